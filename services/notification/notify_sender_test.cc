// The Notify sender against a Notify-compatible HTTP server on loopback.
#include "notify_sender.h"

#include <httplib.h>
#include <sodium.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "crypto/crypto.h"

namespace pp::notification {
namespace {

constexpr char kServiceId[] = "26785a09-ab16-4eb0-8407-a37497a57506";
constexpr char kSecret[] = "3d844edf-8d35-48ac-975b-e847b4f122b0";

// A local stand-in for the Notify API: records each request and replies
// with the status set in `reply_status`.
class FakeNotify {
 public:
  FakeNotify() {
    auto record = [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard<std::mutex> lock(mutex);
      paths.push_back(request.path);
      bodies.push_back(request.body);
      authorizations.push_back(request.get_header_value("Authorization"));
      response.status = reply_status;
      response.set_content(reply_status == 201 ? R"({"id":"740e5834"})"
                                               : R"({"errors":[{"error":"BadRequestError"}]})",
                           "application/json");
    };
    server.Post("/v2/notifications/email", record);
    server.Post("/v2/notifications/sms", record);
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::yield();
  }
  ~FakeNotify() {
    server.stop();
    thread.join();
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port); }

  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mutex;
  int reply_status = 201;
  std::vector<std::string> paths;
  std::vector<std::string> bodies;
  std::vector<std::string> authorizations;
};

OutboxMessage Sms() {
  OutboxMessage message;
  message.id = 42;
  message.channel = Channel::kSms;
  message.recipient = "+447294053474";
  message.body = "Parents Portal security code: 482913";
  return message;
}

// Returns true when `token` is an HS256 JWT signed with kSecret.
bool SignatureValid(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  std::string input = parts[0] + "." + parts[1];
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(kSecret),
                              sizeof kSecret - 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()),
                                input.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return crypto::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), sizeof mac)) == parts[2];
}

}  // namespace

TEST_CASE("notify key splits into service id and secret") {
  absl::StatusOr<NotifyKey> key =
      ParseNotifyKey(absl::StrCat("portal-live-", kServiceId, "-", kSecret));
  REQUIRE(key.ok());
  CHECK(key->service_id == kServiceId);
  CHECK(key->secret == kSecret);
  CHECK(ParseNotifyKey("too-short").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("notify sender posts a signed text message") {
  FakeNotify notify;
  pp::FakeClock clock(absl::FromUnixSeconds(1796400000));
  auto sender =
      NotifySender::Create({notify.url(), absl::StrCat("portal-", kServiceId, "-", kSecret),
                            "email-template", "sms-template"},
                           clock);
  REQUIRE(sender.ok());

  REQUIRE((*sender)->Deliver(Sms()).ok());
  clock.Advance(absl::Seconds(5));
  OutboxMessage email = Sms();
  email.channel = Channel::kEmail;
  email.recipient = "parent@example.com";
  email.subject = "Your \"code\"";
  REQUIRE((*sender)->Deliver(email).ok());

  std::lock_guard<std::mutex> lock(notify.mutex);
  REQUIRE(notify.paths.size() == 2);
  CHECK(notify.paths[0] == "/v2/notifications/sms");
  CHECK(notify.bodies[0] == R"({"phone_number":"+447294053474","template_id":"sms-template",)"
                            R"("personalisation":{"body":"Parents Portal security code: 482913"},)"
                            R"("reference":"msg-000000000042"})");
  CHECK(notify.paths[1] == "/v2/notifications/email");
  CHECK(absl::StrContains(notify.bodies[1], R"("subject":"Your \"code\"")"));

  // A fresh token per request, each signed, with iss and iat.
  for (int i = 0; i < 2; ++i) {
    INFO("request " << i);
    const std::string& header = notify.authorizations[i];
    REQUIRE(absl::StartsWith(header, "Bearer "));
    std::string token = header.substr(7);
    CHECK(SignatureValid(token));
    std::vector<std::string> parts = absl::StrSplit(token, '.');
    absl::StatusOr<std::string> claims = crypto::Base64UrlDecode(parts[1]);
    REQUIRE(claims.ok());
    CHECK(*claims ==
          absl::StrCat(R"({"iss":")", kServiceId, R"(","iat":)", 1796400000 + 5 * i, "}"));
  }
  CHECK(notify.authorizations[0] != notify.authorizations[1]);
}

TEST_CASE("notify replies split into temporary and permanent") {
  FakeNotify notify;
  pp::FakeClock clock(absl::FromUnixSeconds(1796400000));
  auto sender = NotifySender::Create(
      {notify.url(), absl::StrCat("k-", kServiceId, "-", kSecret), "e", "s"}, clock);
  REQUIRE(sender.ok());
  const std::pair<int, absl::StatusCode> cases[] = {
      {429, absl::StatusCode::kResourceExhausted}, {500, absl::StatusCode::kUnavailable},
      {503, absl::StatusCode::kUnavailable},       {400, absl::StatusCode::kInvalidArgument},
      {403, absl::StatusCode::kPermissionDenied},
  };
  for (const auto& [status, code] : cases) {
    INFO("HTTP " << status);
    {
      std::lock_guard<std::mutex> lock(notify.mutex);
      notify.reply_status = status;
    }
    absl::Status delivered = (*sender)->Deliver(Sms());
    CHECK(delivered.code() == code);
    CHECK(IsTemporaryFailure(delivered) == (status == 429 || status >= 500));
  }
}

TEST_CASE("unreachable notify is a temporary failure") {
  pp::FakeClock clock(absl::FromUnixSeconds(1796400000));
  auto sender = NotifySender::Create(
      {"http://127.0.0.1:1", absl::StrCat("k-", kServiceId, "-", kSecret), "e", "s"}, clock);
  REQUIRE(sender.ok());
  CHECK((*sender)->Deliver(Sms()).code() == absl::StatusCode::kUnavailable);
}

}  // namespace pp::notification
