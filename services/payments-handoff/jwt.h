// The signed assertion a provider receives: a compact JWT signed with
// Ed25519 (RFC 8037, alg EdDSA), and the JSON Web Key Set that verifies it.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_JWT_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_JWT_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"
#include "parentsportal/payments.pb.h"

namespace pp::payments {

namespace api = parentsportal::payments::v1;

// The claims of a hand-off assertion.
struct AssertionClaims {
  std::string issuer;     // iss
  std::string audience;   // aud: the provider's audience
  std::string subject;    // sub: the parent's pseudonym for this provider
  std::string jwt_id;     // jti: the hand-off id
  absl::Time issued_at;   // iat
  absl::Time expires_at;  // exp
  std::string school;     // the school's SEED code
  std::string pupil_ref;  // the school's reference for the pupil
  std::string service;    // "school-meals" or "trips"
};

// Returns `text` as a JSON string literal, quotes included.
std::string JsonString(std::string_view text);

// Returns the compact JWT of `claims`, signed by `key` with the header
// {"alg":"EdDSA","typ":"JWT","kid":`kid`}.
std::string SignAssertion(const AssertionClaims& claims, const std::string& kid,
                          const crypto::SigningKey& key);

// Returns the JSON Web Key of a raw Ed25519 public key.
api::JsonWebKey ToJsonWebKey(const std::string& kid, std::string_view public_key);

// Returns the key set as JSON: {"keys":[{"kty":"OKP",...}]}.
std::string JwksJson(const api::JsonWebKeySet& keys);

// Parses a JSON Web Key Set into raw public keys by kid. Keys that are not
// Ed25519 signing keys are skipped. InvalidArgument for text that is not a
// key set.
absl::StatusOr<std::map<std::string, std::string>> ParseJwks(std::string_view json);

// What a provider requires of an assertion besides its signature.
struct AssertionCheck {
  std::string issuer;
  std::string audience;
  // Allowed difference between the two clocks.
  absl::Duration leeway = absl::Seconds(5);
};

// Verifies `token` against `keys` (raw public keys by kid) and returns its
// claims. Fails with InvalidArgument for a token that is not a compact JWT
// of this shape, NotFound for a kid that is not in `keys` (so that the
// caller can fetch the key set again), Unauthenticated for a header other
// than alg EdDSA or a signature that does not verify, PermissionDenied for
// another issuer or audience, and FailedPrecondition for an expired token
// or one issued in the future.
absl::StatusOr<AssertionClaims> VerifyAssertion(std::string_view token,
                                                const std::map<std::string, std::string>& keys,
                                                const AssertionCheck& check, absl::Time now);

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_JWT_H_
