#include "provider_crypto.h"

#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"

namespace pp::payments {

std::string HmacSha256(std::string_view key, std::string_view message) {
  // The crypto library initialises libsodium; any call to it does.
  crypto::Base64UrlEncode("");
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  sodium_memzero(&state, sizeof(state));
  return mac;
}

std::string KeyThumbprint(std::string_view public_key) {
  // RFC 7638 fixes the members, their order and the absence of spaces.
  std::string canonical = absl::StrCat(R"({"crv":"Ed25519","kty":"OKP","x":")",
                                       crypto::Base64UrlEncode(public_key), R"("})");
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size());
  return crypto::Base64UrlEncode(digest);
}

std::string CallbackSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
  // Debian's absl::StrCat does not take std::string_view, so append.
  std::string signed_text(timestamp);
  signed_text.append(".").append(body);
  std::string mac = HmacSha256(secret, signed_text);
  std::string hex(mac.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(mac.data()),
                 mac.size());
  hex.pop_back();  // the terminating NUL
  return absl::StrCat("v1=", hex);
}

bool VerifyCallbackSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body, std::string_view signature) {
  return crypto::ConstantTimeEquals(CallbackSignature(secret, timestamp, body), signature);
}

}  // namespace pp::payments
