#include "notify_sender.h"

#include <curl/curl.h>
#include <sodium.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "crypto/crypto.h"

namespace pp::notification {
namespace {

// A Notify key ends with "-<service id>-<secret key>", two 36-character UUIDs.
constexpr size_t kUuidLength = 36;

size_t AppendReply(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

}  // namespace

absl::StatusOr<NotifyKey> ParseNotifyKey(const std::string& api_key) {
  size_t needed = 2 * kUuidLength + 2;
  if (api_key.size() < needed || api_key[api_key.size() - kUuidLength - 1] != '-' ||
      api_key[api_key.size() - needed] != '-') {
    return absl::InvalidArgumentError(
        "notify_api_key must end with -<service id>-<secret key>, as Notify issues it");
  }
  return NotifyKey{api_key.substr(api_key.size() - 2 * kUuidLength - 1, kUuidLength),
                   api_key.substr(api_key.size() - kUuidLength)};
}

std::string NotifyToken(const NotifyKey& key, absl::Time now) {
  std::string header = crypto::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  std::string claims = crypto::Base64UrlEncode(absl::StrCat(
      R"({"iss":)", JsonString(key.service_id), R"(,"iat":)", absl::ToUnixSeconds(now), "}"));
  std::string signing_input = absl::StrCat(header, ".", claims);

  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.secret.data()),
                              key.secret.size());
  crypto_auth_hmacsha256_update(
      &state, reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return absl::StrCat(
      signing_input, ".",
      crypto::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), sizeof mac)));
}

std::string JsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

absl::StatusOr<std::unique_ptr<NotifySender>> NotifySender::Create(NotifyOptions options,
                                                                   const Clock& clock) {
  absl::StatusOr<NotifyKey> key = ParseNotifyKey(options.api_key);
  if (!key.ok()) return key.status();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  return std::unique_ptr<NotifySender>(new NotifySender(std::move(options), *key, clock));
}

absl::Status NotifySender::Deliver(const OutboxMessage& message) {
  bool sms = message.channel == Channel::kSms;
  std::string reference = MessageId(message.id);
  std::string body =
      sms ? absl::StrCat(R"({"phone_number":)", JsonString(message.recipient), R"(,"template_id":)",
                         JsonString(options_.sms_template_id), R"(,"personalisation":{"body":)",
                         JsonString(message.body), R"(},"reference":)", JsonString(reference), "}")
          : absl::StrCat(R"({"email_address":)", JsonString(message.recipient),
                         R"(,"template_id":)", JsonString(options_.email_template_id),
                         R"(,"personalisation":{"subject":)", JsonString(message.subject),
                         R"(,"body":)", JsonString(message.body), R"(},"reference":)",
                         JsonString(reference), "}");
  std::string url =
      absl::StrCat(options_.url, sms ? "/v2/notifications/sms" : "/v2/notifications/email");
  std::string authorization =
      absl::StrCat("Authorization: Bearer ", NotifyToken(key_, clock_.Now()));

  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::ResourceExhaustedError("libcurl could not create a handle");
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, authorization.c_str());
  std::string reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendReply);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.timeout)));
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  if (code != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat("the Notify API could not be reached: ", curl_easy_strerror(code)));
  }
  if (status >= 200 && status < 300) return absl::OkStatus();
  // The reply goes into logs, so only its start is kept.
  std::string detail = absl::StrCat("the Notify API replied ", status, ": ", reply.substr(0, 200));
  if (status == 429) return absl::ResourceExhaustedError(detail);
  if (status >= 500) return absl::UnavailableError(detail);
  if (status == 403) return absl::PermissionDeniedError(detail);
  return absl::InvalidArgumentError(detail);
}

}  // namespace pp::notification
