// Argon2id password hashes (libsodium) at a cost the operator chooses, and
// the check that tells when a stored hash was made at a lower cost.
#ifndef PP_SERVICES_IDENTITY_PASSWORD_HASHING_H_
#define PP_SERVICES_IDENTITY_PASSWORD_HASHING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pp::identity {

// The cost of one Argon2id hash: passes over memory, and memory in bytes.
struct Argon2Cost {
  uint64_t passes = 0;
  size_t memory_bytes = 0;
};

// 2 passes over 19 MiB, the default cost. OWASP's Password Storage Cheat
// Sheet gives 15 MiB as the minimum for 2 passes. A hash takes about a fifth
// of the interactive cost's time, so one thread can hash 50 sign-ins a second.
Argon2Cost StandardArgon2Cost();

// libsodium's interactive limits: 2 passes over 64 MiB, for machines with
// cores to spare for hashing.
Argon2Cost InteractiveArgon2Cost();

// libsodium's smallest limits (1 pass, 8 KiB), for tests only.
Argon2Cost FastArgon2CostForTests();

// Returns the cost that `--password_hash_cost` names: "standard",
// "interactive" or "fast" (tests only). Fails with InvalidArgument otherwise.
absl::StatusOr<Argon2Cost> Argon2CostNamed(std::string_view name);

// Returns an Argon2id hash string that embeds its salt and cost. Fails with
// ResourceExhausted when the memory cannot be allocated.
absl::StatusOr<std::string> HashPassword(std::string_view password, const Argon2Cost& cost);

// Returns true when `password` matches `hash`, whatever cost made the hash.
bool VerifyPassword(std::string_view hash, std::string_view password);

// Returns an Argon2id hash string as HashPassword does, but made with the
// salt of `salt_source` when that is an Argon2id hash at exactly `cost`, so
// that MatchPassword can check a password against both with one hash. Uses
// a new salt otherwise, and when `salt_source` is empty.
absl::StatusOr<std::string> HashPasswordWithSaltOf(std::string_view password,
                                                   const Argon2Cost& cost,
                                                   std::string_view salt_source);

// Returns, for each of `hashes`, whether `password` matches it. Hashes the
// password once for each distinct salt and cost among them, so two hashes
// made by HashPasswordWithSaltOf cost one. An empty hash never matches and
// costs nothing.
std::vector<bool> MatchPassword(std::string_view password,
                                const std::vector<std::string_view>& hashes);

// Returns true when `hash` was not made with Argon2id at exactly `cost`, so
// that the password should be hashed again at the next successful sign-in.
bool NeedsRehash(std::string_view hash, const Argon2Cost& cost);

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_PASSWORD_HASHING_H_
