#include "password_hashing.h"

#include <sodium.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "crypto/crypto.h"
#include "log/log.h"

namespace pp::identity {
namespace {

// sodium_init is safe to call again and from several threads; a static
// keeps it to one call per process.
void InitialiseSodium() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      log::Error("sodium_init_failed");
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

}  // namespace

Argon2Cost StandardArgon2Cost() { return {2, size_t{19} * 1024 * 1024}; }

Argon2Cost InteractiveArgon2Cost() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

Argon2Cost FastArgon2CostForTests() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

absl::StatusOr<Argon2Cost> Argon2CostNamed(std::string_view name) {
  if (name == "standard") return StandardArgon2Cost();
  if (name == "interactive") return InteractiveArgon2Cost();
  if (name == "fast") return FastArgon2CostForTests();
  return absl::InvalidArgumentError("expected standard, interactive or fast");
}

absl::StatusOr<std::string> HashPassword(std::string_view password, const Argon2Cost& cost) {
  InitialiseSodium();
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), cost.passes, cost.memory_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash a password");
  }
  return std::string(hash);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  return crypto::VerifyPassword(hash, password);
}

bool NeedsRehash(std::string_view hash, const Argon2Cost& cost) {
  InitialiseSodium();
  std::string terminated(hash);
  // 0 means the hash is Argon2id at exactly this cost; 1 means another cost
  // and -1 another algorithm. Both of those call for a new hash.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.passes, cost.memory_bytes) != 0;
}

}  // namespace pp::identity
