// Handlers for payments: the hand-off to a provider, the provider's
// callback, the published keys and the parent's receipts.
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/forms.h"
#include "gateway/gateway.h"
#include "log/log.h"

namespace pp::gateway {
namespace {

// Returns `text` as a JSON string literal.
std::string JsonText(absl::string_view text) {
  std::string json = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      json += '\\';
      json += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      json += ' ';
    } else {
      json += c;
    }
  }
  return json + "\"";
}

// The payments a parent can choose on a child's page, each with the words
// the error pages use for it. The values are those of the buttons in
// _payments_form.mustache, which payments-handoff accepts.
struct PaymentService {
  const char* value;
  const char* description;
};
constexpr PaymentService kPaymentServices[] = {
    {"school-meals", "school meals"},
    {"trips", "trips"},
};

// Returns the service whose form value is `value`, or nullptr for any other.
const PaymentService* FindPaymentService(absl::string_view value) {
  for (const PaymentService& service : kPaymentServices) {
    if (value == service.value) return &service;
  }
  return nullptr;
}

// Returns the HTTP status a provider gets for the service's response to its
// callback.
int CallbackHttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kFailedPrecondition:
      return 409;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

void Gateway::RegisterPayments(httplib::Server& server) {
  server.Post("/services/payments", [this](const Request& q, Response& r) { PostPayments(q, r); });
  server.Post("/services/payments/callback",
              [this](const Request& q, Response& r) { PostPaymentsCallback(q, r); });
  server.Get("/services/payments/receipts",
             [this](const Request& q, Response& r) { GetPaymentReceipts(q, r); });
  server.Get("/.well-known/jwks.json", [this](const Request& q, Response& r) { GetJwks(q, r); });
}

void Gateway::PostPayments(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const identity::Account& account = session.account;

  // A missing or unknown child is a page that does not exist, whatever the cause.
  link::GetChildRequest child_request;
  child_request.set_account_id(account.account_id());
  child_request.set_child_id(FormField(request, "child"));
  absl::StatusOr<link::Child> child = clients_.links->GetChild(child_request);
  if (!child.ok()) {
    absl::Status status = child.status();
    if (status.code() == absl::StatusCode::kInvalidArgument) status = absl::NotFoundError("");
    SendServiceError(request, response, context, "GetChild", status, account.account_id());
    return;
  }

  // The architecture's form has only `child`, so school meals is the default.
  // Only a changed form sends another value. The log records its length but
  // not its text, which could be anything the sender typed.
  std::string service_value = FormField(request, "service");
  if (service_value.empty()) service_value = "school-meals";
  const PaymentService* service = FindPaymentService(service_value);
  if (service == nullptr) {
    log::Warning("payment_service_rejected")
        .Field("account", account.account_id())
        .Field("value_bytes", static_cast<int64_t>(service_value.size()));
    SendPage(response, 400,
             MessagePage(context, "Payment not recognised",
                         "We did not recognise the payment you chose. Go back to your child's "
                         "page and choose one of the payments listed there."));
    return;
  }

  payments::CreateRequest call;
  call.set_account_id(account.account_id());
  call.set_child_id(child->child_id());
  call.set_service(service->value);
  absl::StatusOr<payments::CreateResponse> handoff = clients_.handoff->Create(call);
  // The parent sees the gateway's own words, and the service's message goes
  // to the log. Any other error after the checks above is a fault of ours,
  // which SendServiceError shows as a problem with the service.
  if (!handoff.ok() && handoff.status().code() == absl::StatusCode::kFailedPrecondition) {
    log::Warning("payment_unavailable")
        .Field("account", account.account_id())
        .Field("school", child->seed_code())
        .Field("service", service->value)
        .Field("error", handoff.status().message());
    SendPage(
        response, 422,
        MessagePage(context, "Online payment not available",
                    absl::StrCat(child->school_name(), " does not take online payments for ",
                                 service->description, ". Ask the school office how to pay.")));
    return;
  }
  if (!handoff.ok()) {
    SendServiceError(request, response, context, "Create", handoff.status(), account.account_id());
    return;
  }
  // The page posts the token to this address, so only a web address will do.
  if (!absl::StartsWith(handoff->provider_url(), "https://") &&
      !absl::StartsWith(handoff->provider_url(), "http://")) {
    SendServiceError(request, response, context, "Create",
                     absl::InternalError("provider_url is not an http or https address"),
                     account.account_id());
    return;
  }
  // The page's form posts to the provider, so the policy allows its origin.
  response.set_header("Content-Security-Policy",
                      ContentSecurityPolicy(OriginOf(handoff->provider_url())));
  SendPage(response, 200,
           PaymentHandoffPage(context, handoff->provider_url(), handoff->token(),
                              handoff->provider_name()));
}

void Gateway::PostPaymentsCallback(const Request& request, Response& response) {
  // The provider signs the raw body, so it goes on unparsed.
  payments::CallbackRequest call;
  call.set_provider_id(request.get_header_value("Payment-Provider"));
  call.set_timestamp(request.get_header_value("Payment-Timestamp"));
  call.set_signature(request.get_header_value("Payment-Signature"));
  call.set_body(request.body);
  absl::StatusOr<payments::CallbackResponse> answer = clients_.handoff->HandleCallback(call);

  absl::StatusCode code = answer.status().code();
  response.status = CallbackHttpStatus(code);
  if (answer.ok()) {
    response.set_content(
        absl::StrCat("{\"event_id\":", JsonText(answer->event_id()),
                     ",\"handoff_id\":", JsonText(answer->handoff_id()), ",\"state\":",
                     JsonText(absl::AsciiStrToLower(payments::HandoffState_Name(answer->state()))),
                     ",\"replayed\":", answer->replayed() ? "true" : "false", "}"),
        "application/json");
    return;
  }
  if (response.status >= 500) {
    log::Warning("payments_callback_failed")
        .Field("code", absl::StatusCodeToString(code))
        .Field("error", answer.status().message());
    metrics_.CountServiceError("HandleCallback", absl::StatusCodeToString(code));
  }
  response.set_content(absl::StrCat("{\"error\":", JsonText(answer.status().message()), "}"),
                       "application/json");
}

void Gateway::GetJwks(const Request& request, Response& response) {
  absl::StatusOr<payments::JsonWebKeySet> keys = clients_.handoff->GetJwks();
  if (!keys.ok()) {
    log::Warning("jwks_unavailable").Field("error", keys.status().message());
    metrics_.CountServiceError("GetJwks", absl::StatusCodeToString(keys.status().code()));
    response.status = 503;
    response.set_header("Retry-After", "30");
    response.set_content("{\"error\":\"the key set is not available right now\"}",
                         "application/json");
    return;
  }
  std::string json = "{\"keys\":[";
  for (int i = 0; i < keys->keys_size(); ++i) {
    const payments::JsonWebKey& key = keys->keys(i);
    absl::StrAppend(&json, i == 0 ? "" : ",", "{\"kty\":", JsonText(key.kty()),
                    ",\"crv\":", JsonText(key.crv()), ",\"x\":", JsonText(key.x()),
                    ",\"kid\":", JsonText(key.kid()), ",\"alg\":", JsonText(key.alg()),
                    ",\"use\":", JsonText(key.use()), "}");
  }
  // Short, so that a rotated key reaches providers soon; providers also
  // fetch again when they meet an unknown kid.
  response.set_header("Cache-Control", "public, max-age=300");
  response.set_content(json + "]}", "application/json");
}

void Gateway::GetPaymentReceipts(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  payments::ListReceiptsRequest call;
  call.set_account_id(session.account.account_id());
  absl::StatusOr<payments::ListReceiptsResponse> receipts = clients_.handoff->ListReceipts(call);
  if (!receipts.ok()) {
    SendServiceError(request, response, context, "ListReceipts", receipts.status(),
                     session.account.account_id());
    return;
  }
  std::vector<payments::HandoffStatus> list(receipts->receipts().begin(),
                                            receipts->receipts().end());
  SendPage(response, 200, PaymentReceiptsPage(context, list));
}

}  // namespace pp::gateway
