#include "password_hashing.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
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

constexpr int kBase64Variant = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;

// The length of the digest in the hash strings libsodium writes.
constexpr size_t kDigestBytes = 32;

// Hashes with longer digests are left to libsodium's own check.
constexpr size_t kMaxDigestBytes = 64;

// The fields of an Argon2id hash string as libsodium writes it:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=1$<salt>$<digest>, with salt and
// digest in base64 without padding.
struct ParsedHash {
  uint64_t passes = 0;
  uint64_t memory_kib = 0;
  std::string salt;
  std::string digest;
};

std::optional<std::string> FromBase64(absl::string_view text, size_t max_bytes) {
  std::string bytes(max_bytes, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &length, &end, kBase64Variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  bytes.resize(length);
  return bytes;
}

std::string ToBase64(std::string_view bytes) {
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), kBase64Variant), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kBase64Variant);
  text.resize(std::strlen(text.c_str()));
  return text;
}

// Returns the fields of `hash`, or nothing when it is not an Argon2id hash
// string with one lane and a salt of libsodium's length.
std::optional<ParsedHash> ParseHash(std::string_view hash) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(hash.data(), hash.size()), '$');
  if (parts.size() != 6 || !parts[0].empty() || parts[1] != "argon2id" || parts[2] != "v=19") {
    return std::nullopt;
  }
  std::vector<absl::string_view> costs = absl::StrSplit(parts[3], ',');
  ParsedHash parsed;
  if (costs.size() != 3 || !absl::ConsumePrefix(&costs[0], "m=") ||
      !absl::SimpleAtoi(costs[0], &parsed.memory_kib) || !absl::ConsumePrefix(&costs[1], "t=") ||
      !absl::SimpleAtoi(costs[1], &parsed.passes) || costs[2] != "p=1") {
    return std::nullopt;
  }
  std::optional<std::string> salt = FromBase64(parts[4], crypto_pwhash_SALTBYTES);
  std::optional<std::string> digest = FromBase64(parts[5], kMaxDigestBytes);
  if (!salt || salt->size() != crypto_pwhash_SALTBYTES || !digest ||
      digest->size() < crypto_pwhash_BYTES_MIN) {
    return std::nullopt;
  }
  parsed.salt = std::move(*salt);
  parsed.digest = std::move(*digest);
  return parsed;
}

// Returns the Argon2id digest of `password` with the salt and cost of
// `parsed`, as long as its digest, or nothing when memory runs out.
std::optional<std::string> Derive(std::string_view password, const ParsedHash& parsed) {
  std::string digest(parsed.digest.size(), '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(), password.data(),
                    password.size(), reinterpret_cast<const unsigned char*>(parsed.salt.data()),
                    parsed.passes, parsed.memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return digest;
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

absl::StatusOr<std::string> HashPasswordWithSaltOf(std::string_view password,
                                                   const Argon2Cost& cost,
                                                   std::string_view salt_source) {
  InitialiseSodium();
  std::optional<ParsedHash> source = ParseHash(salt_source);
  if (!source || source->passes != cost.passes || source->memory_kib != cost.memory_bytes / 1024) {
    return HashPassword(password, cost);
  }
  source->digest.assign(kDigestBytes, '\0');
  std::optional<std::string> digest = Derive(password, *source);
  if (!digest) return absl::ResourceExhaustedError("not enough memory to hash a password");
  return absl::StrCat("$argon2id$v=19$m=", source->memory_kib, ",t=", source->passes, ",p=1$",
                      ToBase64(source->salt), "$", ToBase64(*digest));
}

std::vector<bool> MatchPassword(std::string_view password,
                                const std::vector<std::string_view>& hashes) {
  InitialiseSodium();
  std::vector<bool> matches(hashes.size(), false);
  // Each digest computed so far, with the hash whose salt and cost made it.
  std::vector<std::pair<ParsedHash, std::optional<std::string>>> derived;
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (hashes[i].empty()) continue;
    std::optional<ParsedHash> parsed = ParseHash(hashes[i]);
    if (!parsed) {
      matches[i] = VerifyPassword(hashes[i], password);
      continue;
    }
    const std::optional<std::string>* digest = nullptr;
    for (const auto& [made_by, made] : derived) {
      if (made_by.salt == parsed->salt && made_by.passes == parsed->passes &&
          made_by.memory_kib == parsed->memory_kib &&
          made_by.digest.size() == parsed->digest.size()) {
        digest = &made;
      }
    }
    if (digest == nullptr) {
      derived.emplace_back(*parsed, Derive(password, *parsed));
      digest = &derived.back().second;
    }
    matches[i] = digest->has_value() && sodium_memcmp((*digest)->data(), parsed->digest.data(),
                                                      parsed->digest.size()) == 0;
  }
  return matches;
}

bool NeedsRehash(std::string_view hash, const Argon2Cost& cost) {
  InitialiseSodium();
  std::string terminated(hash);
  // 0 means the hash is Argon2id at exactly this cost; 1 means another cost
  // and -1 another algorithm. Both of those call for a new hash.
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.passes, cost.memory_bytes) != 0;
}

}  // namespace pp::identity
