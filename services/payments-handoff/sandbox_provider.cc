#include "sandbox_provider.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "log/log.h"

namespace pp::payments {
namespace {

// A form posted here carries one token or one id, so larger bodies are rejected.
constexpr size_t kMaxRequestBytes = 16 * 1024;

// Wraps `body` in a complete HTML page.
std::string Page(const std::string& title, const std::string& body) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      EscapeHtml(title), "</title>\n</head>\n<body>\n<main>\n", body,
      "</main>\n</body>\n</html>\n");
}

void SendPage(httplib::Response& response, int status, const std::string& html) {
  response.status = status;
  // The page shows personal data: keep it out of caches, frames and other
  // origins' reach.
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Content-Security-Policy",
                      "default-src 'none'; base-uri 'none'; frame-ancestors 'none'");
  response.set_content(html, "text/html; charset=utf-8");
}

void SendError(httplib::Response& response, int status, const std::string& message) {
  SendPage(response, status,
           Page("Payment not possible",
                absl::StrCat("<h1>Payment not possible</h1>\n<p>", EscapeHtml(message), "</p>\n")));
}

// Returns the HTTP status for a logic error: 400 for what the request can
// fix, 503 for the rest.
int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kNotFound:
      return 400;
    default:
      return 503;
  }
}

std::string MessageFor(const absl::Status& status) {
  if (HttpStatusFor(status) == 503) {
    return "The payment service is not available right now. Try again in a minute.";
  }
  return absl::StrCat("This payment link cannot be used: ", std::string(status.message()), ".");
}

}  // namespace

std::string EscapeHtml(const std::string& text) {
  std::string escaped;
  escaped.reserve(text.size());
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

SandboxProvider::SandboxProvider(HandoffService& service, std::string return_url)
    : service_(service),
      return_url_(std::move(return_url)),
      server_(std::make_unique<httplib::Server>()) {
  server_->set_payload_max_length(kMaxRequestBytes);
  server_->Post("/pay", [this](const httplib::Request& request, httplib::Response& response) {
    HandlePay(request, response);
  });
  server_->Post("/pay/complete",
                [this](const httplib::Request& request, httplib::Response& response) {
                  HandleComplete(request, response);
                });
}

SandboxProvider::~SandboxProvider() { Stop(); }

absl::StatusOr<int> SandboxProvider::Start(const std::string& address) {
  size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the sandbox provider address must be host:port, got \"", address, "\""));
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
    return SendError(response, 400,
                     "The request has no payment token. Start the payment again from Parents "
                     "Portal.");
  }
  api::RedeemRequest redeem;
  redeem.set_token(token);
  absl::StatusOr<api::RedeemResponse> details = service_.Redeem(redeem);
  if (!details.ok())
    return SendError(response, HttpStatusFor(details.status()), MessageFor(details.status()));

  std::string body = absl::StrCat(
      "<h1>Sandbox payment provider</h1>\n"
      "<p>This is a sandbox for trying Parents Portal: no money moves.</p>\n"
      "<dl>\n<dt>School</dt><dd>",
      EscapeHtml(details->school_name()), "</dd>\n<dt>Child</dt><dd>",
      EscapeHtml(details->child_name()), " (", EscapeHtml(details->stage()),
      ")</dd>\n<dt>Parent</dt><dd>", EscapeHtml(details->parent_name()),
      "</dd>\n</dl>\n"
      "<form method=\"post\" action=\"/pay/complete\" aria-labelledby=\"pay-heading\">\n"
      "<h2 id=\"pay-heading\">Confirm the payment</h2>\n"
      "<input type=\"hidden\" name=\"handoff_id\" value=\"",
      EscapeHtml(details->handoff_id()),
      "\">\n<button type=\"submit\">Pay £0.00 (sandbox)</button>\n</form>\n");
  SendPage(response, 200, Page("Sandbox payment provider", body));
}

void SandboxProvider::HandleComplete(const httplib::Request& request, httplib::Response& response) {
  std::string handoff_id = request.get_param_value("handoff_id");
  if (handoff_id.empty()) {
    return SendError(response, 400, "The request has no hand-off id.");
  }

  // A second submission of the same page finds the hand-off completed and
  // goes back to the portal instead of failing on a new reference.
  api::GetStatusRequest status_request;
  status_request.set_handoff_id(handoff_id);
  absl::StatusOr<api::HandoffStatus> status = service_.GetStatus(status_request);
  if (!status.ok())
    return SendError(response, HttpStatusFor(status.status()), MessageFor(status.status()));
  if (status->state() != api::COMPLETED) {
    api::CompleteRequest complete;
    complete.set_handoff_id(handoff_id);
    complete.set_outcome("paid");
    complete.set_provider_reference(absl::StrCat("sandbox-", crypto::RandomToken(12)));
    absl::StatusOr<api::HandoffStatus> completed = service_.Complete(complete);
    if (!completed.ok()) {
      return SendError(response, HttpStatusFor(completed.status()), MessageFor(completed.status()));
    }
  }
  response.status = 303;
  response.set_header("Location", return_url_);
  response.set_header("Cache-Control", "no-store");
}

}  // namespace pp::payments
