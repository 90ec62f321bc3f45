#include "jwt.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_split.h"
#include "provider_crypto.h"

namespace pp::payments {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1780272000);

AssertionClaims Claims() {
  AssertionClaims claims;
  claims.issuer = "https://portal.example.test";
  claims.audience = "https://pay.example.test";
  claims.subject = "pseudonym";
  claims.jwt_id = "handoff-1";
  claims.issued_at = kNow;
  claims.expires_at = kNow + absl::Seconds(60);
  claims.school = "5300011";
  claims.pupil_ref = "0700000001";
  claims.service = "trips";
  return claims;
}

struct Signed {
  crypto::SigningKey key = crypto::NewSigningKey();
  std::string kid = KeyThumbprint(key.public_key);
  std::string token = SignAssertion(Claims(), kid, key);
  std::map<std::string, std::string> keys() const { return {{kid, key.public_key}}; }
};

const AssertionCheck kCheck{"https://portal.example.test", "https://pay.example.test"};

TEST_CASE("assertion verifies with its key") {
  Signed jwt;
  absl::StatusOr<AssertionClaims> claims = VerifyAssertion(jwt.token, jwt.keys(), kCheck, kNow);
  REQUIRE(claims.ok());
  CHECK(claims->jwt_id == "handoff-1");
  CHECK(claims->subject == "pseudonym");
  CHECK(claims->pupil_ref == "0700000001");
  CHECK(claims->school == "5300011");
  CHECK(claims->service == "trips");
  CHECK(claims->expires_at == kNow + absl::Seconds(60));
}

TEST_CASE("assertion header names EdDSA and kid") {
  Signed jwt;
  std::vector<std::string> parts = absl::StrSplit(jwt.token, '.');
  REQUIRE(parts.size() == 3);
  absl::StatusOr<std::string> header = crypto::Base64UrlDecode(parts[0]);
  REQUIRE(header.ok());
  CHECK(*header == "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"" + jwt.kid + "\"}");
}

TEST_CASE("assertion failures have distinct codes") {
  Signed jwt;
  std::vector<std::string> parts = absl::StrSplit(jwt.token, '.');
  std::string tampered_payload =
      crypto::Base64UrlEncode(*crypto::Base64UrlDecode(parts[1]) + " ");  // still JSON, other bytes
  std::string none_header =
      crypto::Base64UrlEncode("{\"alg\":\"none\",\"kid\":\"" + jwt.kid + "\"}");
  struct Case {
    const char* name;
    std::string token;
    AssertionCheck check;
    absl::Time now;
    absl::StatusCode code;
  };
  Case cases[] = {
      {"payload changed", parts[0] + "." + tampered_payload + "." + parts[2], kCheck, kNow,
       absl::StatusCode::kUnauthenticated},
      {"alg none", none_header + "." + parts[1] + ".", kCheck, kNow,
       absl::StatusCode::kUnauthenticated},
      {"other audience",
       jwt.token,
       {kCheck.issuer, "https://other.example.test"},
       kNow,
       absl::StatusCode::kPermissionDenied},
      {"other issuer",
       jwt.token,
       {"https://evil.example.test", kCheck.audience},
       kNow,
       absl::StatusCode::kPermissionDenied},
      {"expired", jwt.token, kCheck, kNow + absl::Seconds(60) + kCheck.leeway,
       absl::StatusCode::kFailedPrecondition},
      {"issued in the future", jwt.token, kCheck, kNow - absl::Seconds(30),
       absl::StatusCode::kFailedPrecondition},
      {"two parts", parts[0] + "." + parts[1], kCheck, kNow, absl::StatusCode::kInvalidArgument},
      {"not base64url", "a.b.c*", kCheck, kNow, absl::StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(VerifyAssertion(c.token, jwt.keys(), c.check, c.now).status().code() == c.code);
  }
}

TEST_CASE("assertion from another key is refused") {
  Signed jwt;
  Signed other;
  CHECK(VerifyAssertion(jwt.token, other.keys(), kCheck, kNow).status().code() ==
        absl::StatusCode::kNotFound);
  std::map<std::string, std::string> swapped = {{jwt.kid, other.key.public_key}};
  CHECK(VerifyAssertion(jwt.token, swapped, kCheck, kNow).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("key set round-trips through JSON") {
  Signed jwt;
  api::JsonWebKeySet set;
  *set.add_keys() = ToJsonWebKey(jwt.kid, jwt.key.public_key);
  absl::StatusOr<std::map<std::string, std::string>> keys = ParseJwks(JwksJson(set));
  REQUIRE(keys.ok());
  CHECK(*keys == jwt.keys());
  CHECK_FALSE(ParseJwks("not json").ok());
}

TEST_CASE("thumbprint matches RFC 8037 example") {
  // RFC 8037, appendix A.3.
  absl::StatusOr<std::string> x =
      crypto::Base64UrlDecode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
  REQUIRE(x.ok());
  CHECK(KeyThumbprint(*x) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
}

TEST_CASE("JSON strings are escaped") {
  CHECK(JsonString("a\"b\\c\n\x01") == "\"a\\\"b\\\\c\\n\\u0001\"");
}

TEST_CASE("callback signature covers timestamp and body") {
  std::string signature = CallbackSignature("secret", "1780272000", "{}");
  CHECK(signature.rfind("v1=", 0) == 0);
  CHECK(signature.size() == 3 + 64);
  CHECK(VerifyCallbackSignature("secret", "1780272000", "{}", signature));
  CHECK_FALSE(VerifyCallbackSignature("secret", "1780272001", "{}", signature));
  CHECK_FALSE(VerifyCallbackSignature("secret", "1780272000", "{ }", signature));
  CHECK_FALSE(VerifyCallbackSignature("other", "1780272000", "{}", signature));
}

}  // namespace
}  // namespace pp::payments
