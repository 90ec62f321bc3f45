// Secrets: random tokens and codes, password hashes and signatures, all from
// libsodium.
#ifndef PP_CRYPTO_CRYPTO_H_
#define PP_CRYPTO_CRYPTO_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pp::crypto {

// Returns `bytes` random bytes as unpadded base64url text (43 characters for
// the default 32 bytes).
std::string RandomToken(int bytes = 32);

// Returns `digits` random decimal digits, each uniformly chosen.
std::string RandomDigits(int digits);

// Returns `length` characters, each chosen uniformly from `alphabet`
// (at least 2 and at most 256 distinct bytes).
std::string RandomString(int length, std::string_view alphabet);

// Returns the SHA-256 of `secret` as lower-case hex. For high-entropy
// secrets (tokens) only; passwords go through HashPassword.
std::string HashToken(std::string_view secret);

// Returns 128 bits of the BLAKE2b of `content` as 32 lower-case hex digits,
// a tag that distinguishes versions of a document, such as an HTTP ETag.
// Faster than HashToken on long texts. Not for secrets.
std::string ContentTag(std::string_view content);

// Returns the HMAC-SHA-256 of `message` under `key` (any length) as
// lower-case hex.
std::string HmacSha256(std::string_view key, std::string_view message);

// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Cost of an Argon2id hash. kInteractive is libsodium's interactive limits
// (2 passes, 64 MiB); kFastForTests is for tests only. Identity chooses its
// own cost (services/identity/password_hashing.h).
enum class PasswordCost { kInteractive, kFastForTests };

// Returns an Argon2id hash string that embeds its salt and cost. Fails with
// ResourceExhausted when the memory cannot be allocated.
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         PasswordCost cost = PasswordCost::kInteractive);

// Returns true when `password` matches `hash` from HashPassword.
bool VerifyPassword(std::string_view hash, std::string_view password);

// An Ed25519 key pair; both halves as raw bytes.
struct SigningKey {
  std::string public_key;
  std::string secret_key;
};

SigningKey NewSigningKey();

// Returns the detached signature of `message`.
std::string Sign(const SigningKey& key, std::string_view message);

// Returns true when `signature` is `message` signed by `public_key`'s pair.
bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature);

// Base64url without padding, and back. Decoding fails with InvalidArgument.
std::string Base64UrlEncode(std::string_view bytes);
absl::StatusOr<std::string> Base64UrlDecode(std::string_view text);

}  // namespace pp::crypto

#endif  // PP_CRYPTO_CRYPTO_H_
