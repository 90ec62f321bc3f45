#include "jwt.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pp::payments {
namespace {

namespace protobuf = google::protobuf;

// Tokens are a few hundred bytes, so anything much longer is not ours.
constexpr size_t kMaxTokenBytes = 4096;

absl::StatusOr<protobuf::Struct> ParseJsonObject(const std::string& json, const char* what) {
  protobuf::Struct object;
  protobuf::util::Status status = protobuf::util::JsonStringToMessage(json, &object);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("the token's ", what, " is not a JSON object"));
  }
  return object;
}

// Returns the string member `name`, or "" when it is missing or not a string.
std::string StringMember(const protobuf::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_string_value()) return "";
  return it->second.string_value();
}

// Returns the NumericDate member `name` as a time, or nullopt.
std::optional<absl::Time> TimeMember(const protobuf::Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  if (it == object.fields().end() || !it->second.has_number_value()) return std::nullopt;
  double seconds = it->second.number_value();
  if (!std::isfinite(seconds)) return std::nullopt;
  return absl::FromUnixSeconds(static_cast<int64_t>(seconds));
}

// RFC 7519 allows `aud` to be one string or an array of strings.
bool HasAudience(const protobuf::Struct& claims, const std::string& audience) {
  auto it = claims.fields().find("aud");
  if (it == claims.fields().end()) return false;
  if (it->second.has_string_value()) return it->second.string_value() == audience;
  if (!it->second.has_list_value()) return false;
  for (const protobuf::Value& value : it->second.list_value().values()) {
    if (value.has_string_value() && value.string_value() == audience) return true;
  }
  return false;
}

}  // namespace

std::string JsonString(std::string_view text) {
  std::string json = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        json += "\\\"";
        break;
      case '\\':
        json += "\\\\";
        break;
      case '\n':
        json += "\\n";
        break;
      case '\r':
        json += "\\r";
        break;
      case '\t':
        json += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(c));
          json += escaped;
        } else {
          json += c;
        }
    }
  }
  return json + "\"";
}

std::string SignAssertion(const AssertionClaims& claims, const std::string& kid,
                          const crypto::SigningKey& key) {
  std::string header = absl::StrCat(R"({"alg":"EdDSA","typ":"JWT","kid":)", JsonString(kid), "}");
  std::string payload = absl::StrCat(
      "{\"iss\":", JsonString(claims.issuer), ",\"aud\":", JsonString(claims.audience),
      ",\"sub\":", JsonString(claims.subject), ",\"iat\":", absl::ToUnixSeconds(claims.issued_at),
      ",\"exp\":", absl::ToUnixSeconds(claims.expires_at), ",\"jti\":", JsonString(claims.jwt_id),
      ",\"school\":", JsonString(claims.school), ",\"pupil_ref\":", JsonString(claims.pupil_ref),
      ",\"service\":", JsonString(claims.service), "}");
  std::string signing_input =
      absl::StrCat(crypto::Base64UrlEncode(header), ".", crypto::Base64UrlEncode(payload));
  return absl::StrCat(signing_input, ".",
                      crypto::Base64UrlEncode(crypto::Sign(key, signing_input)));
}

api::JsonWebKey ToJsonWebKey(const std::string& kid, std::string_view public_key) {
  api::JsonWebKey jwk;
  jwk.set_kty("OKP");
  jwk.set_crv("Ed25519");
  jwk.set_x(crypto::Base64UrlEncode(public_key));
  jwk.set_kid(kid);
  jwk.set_alg("EdDSA");
  jwk.set_use("sig");
  return jwk;
}

std::string JwksJson(const api::JsonWebKeySet& keys) {
  std::string json = "{\"keys\":[";
  for (int i = 0; i < keys.keys_size(); ++i) {
    const api::JsonWebKey& key = keys.keys(i);
    absl::StrAppend(&json, i == 0 ? "" : ",", "{\"kty\":", JsonString(key.kty()),
                    ",\"crv\":", JsonString(key.crv()), ",\"x\":", JsonString(key.x()),
                    ",\"kid\":", JsonString(key.kid()), ",\"alg\":", JsonString(key.alg()),
                    ",\"use\":", JsonString(key.use()), "}");
  }
  return json + "]}";
}

absl::StatusOr<std::map<std::string, std::string>> ParseJwks(std::string_view json) {
  api::JsonWebKeySet set;
  protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!protobuf::util::JsonStringToMessage(std::string(json), &set, options).ok()) {
    return absl::InvalidArgumentError("the key set is not a JSON Web Key Set");
  }
  std::map<std::string, std::string> keys;
  for (const api::JsonWebKey& key : set.keys()) {
    if (key.kty() != "OKP" || key.crv() != "Ed25519" || key.kid().empty()) continue;
    if (!key.use().empty() && key.use() != "sig") continue;
    absl::StatusOr<std::string> raw = crypto::Base64UrlDecode(key.x());
    if (!raw.ok()) continue;
    keys[key.kid()] = *raw;
  }
  return keys;
}

absl::StatusOr<AssertionClaims> VerifyAssertion(std::string_view token,
                                                const std::map<std::string, std::string>& keys,
                                                const AssertionCheck& check, absl::Time now) {
  std::vector<std::string> parts = absl::StrSplit(std::string(token), '.');
  if (token.size() > kMaxTokenBytes || parts.size() != 3) {
    return absl::InvalidArgumentError("the token is not a compact JWT of three parts");
  }
  absl::StatusOr<std::string> header_json = crypto::Base64UrlDecode(parts[0]);
  absl::StatusOr<std::string> payload_json = crypto::Base64UrlDecode(parts[1]);
  absl::StatusOr<std::string> signature = crypto::Base64UrlDecode(parts[2]);
  if (!header_json.ok() || !payload_json.ok() || !signature.ok()) {
    return absl::InvalidArgumentError("a part of the token is not base64url");
  }

  // The header chooses the key, so it is checked before anything is trusted.
  absl::StatusOr<protobuf::Struct> header = ParseJsonObject(*header_json, "header");
  if (!header.ok()) return header.status();
  if (StringMember(*header, "alg") != "EdDSA") {
    return absl::UnauthenticatedError("the token's alg is not EdDSA");
  }
  std::string kid = StringMember(*header, "kid");
  auto key = keys.find(kid);
  if (key == keys.end()) {
    return absl::NotFoundError(
        absl::StrCat("no published key has the token's kid \"", kid.substr(0, 64), "\""));
  }
  std::string signing_input = absl::StrCat(parts[0], ".", parts[1]);
  if (!crypto::VerifySignature(key->second, signing_input, *signature)) {
    return absl::UnauthenticatedError("the token's signature does not verify");
  }

  absl::StatusOr<protobuf::Struct> claims = ParseJsonObject(*payload_json, "payload");
  if (!claims.ok()) return claims.status();
  AssertionClaims result;
  result.issuer = StringMember(*claims, "iss");
  result.subject = StringMember(*claims, "sub");
  result.jwt_id = StringMember(*claims, "jti");
  result.school = StringMember(*claims, "school");
  result.pupil_ref = StringMember(*claims, "pupil_ref");
  result.service = StringMember(*claims, "service");
  std::optional<absl::Time> issued_at = TimeMember(*claims, "iat");
  std::optional<absl::Time> expires_at = TimeMember(*claims, "exp");
  if (result.subject.empty() || result.jwt_id.empty() || !issued_at || !expires_at) {
    return absl::InvalidArgumentError("the token lacks one of sub, jti, iat and exp");
  }
  result.issued_at = *issued_at;
  result.expires_at = *expires_at;
  if (result.issuer != check.issuer) {
    return absl::PermissionDeniedError("the token's iss is not the expected issuer");
  }
  if (!HasAudience(*claims, check.audience)) {
    return absl::PermissionDeniedError("the token's aud is not this provider");
  }
  result.audience = check.audience;
  if (now >= result.expires_at + check.leeway) {
    return absl::FailedPreconditionError("the token expired");
  }
  if (result.issued_at > now + check.leeway) {
    return absl::FailedPreconditionError("the token's iat is in the future");
  }
  return result;
}

}  // namespace pp::payments
