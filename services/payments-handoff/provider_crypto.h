// Keyed hashes and signatures between the portal and payment providers:
// the key ids of the published keys, callback signatures and pseudonyms.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_CRYPTO_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_CRYPTO_H_

#include <string>
#include <string_view>

namespace pp::payments {

// Returns the raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(std::string_view key, std::string_view message);

// Returns the RFC 7638 thumbprint of a raw Ed25519 public key, base64url:
// the SHA-256 of {"crv":"Ed25519","kty":"OKP","x":"<key>"}.
std::string KeyThumbprint(std::string_view public_key);

// Returns the Payment-Signature header value of a callback: "v1=" and the
// lower-case hex HMAC-SHA256 of `timestamp` "." `body` under `secret`.
std::string CallbackSignature(std::string_view secret, std::string_view timestamp,
                              std::string_view body);

// Returns true when `signature` is CallbackSignature of the same values,
// comparing in constant time.
bool VerifyCallbackSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body, std::string_view signature);

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_CRYPTO_H_
