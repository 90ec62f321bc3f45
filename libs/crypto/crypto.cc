#include "crypto/crypto.h"

#include <sodium.h>

#include <cstdlib>
#include <iostream>
#include <vector>

namespace pp::crypto {
namespace {

void EnsureInitialised() {
  static const bool ready = [] {
    if (sodium_init() < 0) {
      std::cerr << "libsodium failed to initialise\n";
      std::abort();
    }
    return true;
  }();
  (void)ready;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  EnsureInitialised();
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string text(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

absl::StatusOr<std::string> Base64UrlDecode(std::string_view text) {
  EnsureInitialised();
  std::string bytes(text.size(), '\0');
  size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
    return absl::InvalidArgumentError("invalid base64url text");
  }
  bytes.resize(length);
  return bytes;
}

std::string RandomToken(int bytes) {
  EnsureInitialised();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return Base64UrlEncode(raw);
}

std::string RandomDigits(int digits) {
  EnsureInitialised();
  std::string code;
  for (int i = 0; i < digits; ++i) code += static_cast<char>('0' + randombytes_uniform(10));
  return code;
}

std::string RandomString(int length, std::string_view alphabet) {
  EnsureInitialised();
  std::string text;
  for (int i = 0; i < length; ++i) {
    text += alphabet[randombytes_uniform(static_cast<uint32_t>(alphabet.size()))];
  }
  return text;
}

std::string HmacSha256(std::string_view key, std::string_view message) {
  EnsureInitialised();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  return hex;
}

std::string HashToken(std::string_view secret) {
  EnsureInitialised();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

std::string ContentTag(std::string_view content) {
  EnsureInitialised();
  unsigned char digest[16];
  crypto_generichash(digest, sizeof(digest), reinterpret_cast<const unsigned char*>(content.data()),
                     content.size(), nullptr, 0);
  char hex[sizeof(digest) * 2 + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  EnsureInitialised();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

absl::StatusOr<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  EnsureInitialised();
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  size_t memory = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (cost == PasswordCost::kFastForTests) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    memory = crypto_pwhash_MEMLIMIT_MIN;
  }
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), ops, memory,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return absl::ResourceExhaustedError("not enough memory to hash a password");
  }
  return std::string(hash);
}

bool VerifyPassword(std::string_view hash, std::string_view password) {
  EnsureInitialised();
  std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

SigningKey NewSigningKey() {
  EnsureInitialised();
  SigningKey key{std::string(crypto_sign_PUBLICKEYBYTES, '\0'),
                 std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(key.public_key.data()),
                      reinterpret_cast<unsigned char*>(key.secret_key.data()));
  return key;
}

std::string Sign(const SigningKey& key, std::string_view message) {
  EnsureInitialised();
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(key.secret_key.data()));
  return signature;
}

bool VerifySignature(std::string_view public_key, std::string_view message,
                     std::string_view signature) {
  EnsureInitialised();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(
             reinterpret_cast<const unsigned char*>(signature.data()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(),
             reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace pp::crypto
