#include "sandbox_provider.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "log/log.h"
#include "provider_crypto.h"
#include "server/server.h"

namespace pp::payments {
namespace {

// A form posted here carries one token or one id, so larger bodies are rejected.
constexpr size_t kMaxRequestBytes = 16 * 1024;
// The sandbox fetches the key set again for an unknown kid at most this often.
constexpr absl::Duration kMinKeyRefetch = absl::Seconds(5);
// How long an accepted hand-off is remembered after its token expired, so
// that a completion form submitted late still finds it.
constexpr absl::Duration kAcceptedRetention = absl::Hours(1);

// Splits "http://host:port/path" into "http://host:port" and "/path".
std::pair<std::string, std::string> SplitUrl(const std::string& url) {
  size_t scheme_end = url.find("://");
  size_t path_start = scheme_end == std::string::npos ? 0 : url.find('/', scheme_end + 3);
  if (path_start == std::string::npos) return {url, "/"};
  return {url.substr(0, path_start), url.substr(path_start)};
}

std::string EscapeHtml(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

void SendPage(httplib::Response& response, int status, const std::string& title,
              const std::string& body) {
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  response.set_content(
      absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                   "<title>",
                   EscapeHtml(title), "</title>\n</head>\n<body>\n<main>\n<h1>", EscapeHtml(title),
                   "</h1>\n", body, "</main>\n</body>\n</html>\n"),
      "text/html; charset=utf-8");
}

void SendError(httplib::Response& response, int status, const absl::Status& error) {
  SendPage(response, status, "Payment not possible",
           absl::StrCat("<p>", EscapeHtml(std::string(error.message())), ".</p>\n"));
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> HttpKeySource::FetchKeys() {
  auto [origin, path] = SplitUrl(url_);
  httplib::Client client(origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  httplib::Result result = client.Get(path);
  if (!result || result->status != 200) {
    return absl::UnavailableError(absl::StrCat("cannot fetch the key set from ", url_));
  }
  return ParseJwks(result->body);
}

SandboxProvider::SandboxProvider(SandboxOptions options, KeySource& keys, const Clock& clock)
    : options_(std::move(options)),
      key_source_(keys),
      clock_(clock),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(kMaxRequestBytes);
  server_->set_socket_options(SetExclusiveListenerOptions);
  server_->Post("/pay", [this](const httplib::Request& request, httplib::Response& response) {
    HandlePay(request, response);
  });
  server_->Post("/pay/complete",
                [this](const httplib::Request& request, httplib::Response& response) {
                  HandleComplete(request, response);
                });
}

SandboxProvider::~SandboxProvider() { Stop(); }

absl::StatusOr<AssertionClaims> SandboxProvider::Accept(const std::string& token) {
  AssertionCheck check{options_.issuer, options_.audience};
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<AssertionClaims> claims = VerifyAssertion(token, keys_, check, now);

  // A kid not seen yet is a rotated key: fetch the key set again, but not
  // on every request, so bad tokens cannot make the sandbox hammer the portal.
  if (claims.status().code() == absl::StatusCode::kNotFound &&
      now - keys_fetched_at_ >= kMinKeyRefetch) {
    absl::StatusOr<std::map<std::string, std::string>> fetched = key_source_.FetchKeys();
    if (!fetched.ok()) return fetched.status();
    keys_ = std::move(*fetched);
    keys_fetched_at_ = now;
    claims = VerifyAssertion(token, keys_, check, now);
  }
  if (!claims.ok()) return claims.status();

  for (auto it = accepted_.begin(); it != accepted_.end();) {
    it = it->second.expires_at + kAcceptedRetention < now ? accepted_.erase(it) : std::next(it);
  }
  if (!accepted_.emplace(claims->jwt_id, Accepted{claims->expires_at, ""}).second) {
    return absl::AlreadyExistsError("the token was used before; each token works once");
  }
  return claims;
}

absl::StatusOr<CallbackResult> SandboxProvider::Complete(const std::string& handoff_id,
                                                         const std::string& outcome) {
  if (outcome != "paid" && outcome != "cancelled" && outcome != "failed") {
    return absl::InvalidArgumentError("the outcome must be paid, cancelled or failed");
  }
  std::string body;
  {
    absl::MutexLock lock(&mutex_);
    auto found = accepted_.find(handoff_id);
    if (found == accepted_.end()) {
      return absl::NotFoundError("this sandbox accepted no hand-off with that id");
    }
    if (found->second.callback_body.empty()) {
      found->second.callback_body = absl::StrCat(
          "{\"event_id\":", JsonString(absl::StrCat("evt-", crypto::RandomToken(12))),
          ",\"handoff_id\":", JsonString(handoff_id), ",\"outcome\":", JsonString(outcome),
          ",\"provider_reference\":", JsonString(absl::StrCat("sandbox-", crypto::RandomToken(9))),
          "}");
    }
    body = found->second.callback_body;
  }
  return PostCallback(body);
}

absl::StatusOr<CallbackResult> SandboxProvider::PostCallback(const std::string& body) {
  std::string timestamp = absl::StrCat(absl::ToUnixSeconds(clock_.Now()));
  auto [origin, path] = SplitUrl(options_.callback_url);
  httplib::Client client(origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Headers headers = {
      {"Payment-Provider", options_.provider_id},
      {"Payment-Timestamp", timestamp},
      {"Payment-Signature", CallbackSignature(options_.callback_secret, timestamp, body)}};
  httplib::Result result = client.Post(path, headers, body, "application/json");
  if (!result) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the portal's callback at ", options_.callback_url));
  }
  log::Info("sandbox_callback_sent").Field("status", result->status);
  return CallbackResult{result->status, result->body};
}

absl::StatusOr<int> SandboxProvider::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the sandbox address must be host:port, got \"", address, "\""));
  }
  std::string host = address.substr(0, colon);
  if (port == 0) {
    port = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", address, ": the address is in use or not local"));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Stop only takes effect once the server loop runs, so wait for it.
  absl::Time give_up = absl::Now() + absl::Seconds(5);
  while (!server_->is_running() && absl::Now() < give_up) std::this_thread::yield();
  log::Info("sandbox_provider_listening").Field("address", host).Field("port", port);
  return port;
}

void SandboxProvider::Stop() {
  if (!thread_.joinable()) return;
  server_->stop();
  thread_.join();
}

void SandboxProvider::HandlePay(const httplib::Request& request, httplib::Response& response) {
  std::string token = request.get_param_value("token");
  if (token.empty()) {
    return SendError(response, 400, absl::InvalidArgumentError("The request has no token"));
  }
  absl::StatusOr<AssertionClaims> claims = Accept(token);
  if (!claims.ok()) {
    int status = claims.status().code() == absl::StatusCode::kUnavailable ? 503 : 400;
    return SendError(response, status, claims.status());
  }

  std::string id = EscapeHtml(claims->jwt_id);
  std::string body = absl::StrCat(
      "<p>This is a sandbox for trying Parents Portal: no money moves.</p>\n<dl>\n"
      "<dt>School</dt><dd>",
      EscapeHtml(claims->school), "</dd>\n<dt>Pupil reference</dt><dd>",
      EscapeHtml(claims->pupil_ref), "</dd>\n<dt>Service</dt><dd>", EscapeHtml(claims->service),
      "</dd>\n<dt>Payer</dt><dd>", EscapeHtml(claims->subject.substr(0, 8)),
      "</dd>\n</dl>\n<form method=\"post\" action=\"/pay/complete\">\n"
      "<input type=\"hidden\" name=\"handoff_id\" value=\"",
      id,
      "\">\n<button type=\"submit\" name=\"outcome\" value=\"paid\">Pay £0.00 (sandbox)</button>\n"
      "<button type=\"submit\" name=\"outcome\" value=\"cancelled\">Cancel</button>\n</form>\n");
  SendPage(response, 200, "Sandbox payment provider", body);
}

void SandboxProvider::HandleComplete(const httplib::Request& request, httplib::Response& response) {
  std::string outcome = request.get_param_value("outcome");
  absl::StatusOr<CallbackResult> result =
      Complete(request.get_param_value("handoff_id"), outcome.empty() ? "paid" : outcome);
  if (!result.ok()) {
    int status = result.status().code() == absl::StatusCode::kUnavailable ? 503 : 400;
    return SendError(response, status, result.status());
  }
  if (result->http_status != 200) {
    return SendError(response, 502,
                     absl::UnknownError(absl::StrCat("The portal rejected the callback with HTTP ",
                                                     result->http_status)));
  }
  response.status = 303;
  response.set_header("Location", options_.return_url);
  response.set_header("Cache-Control", "no-store");
}

}  // namespace pp::payments
