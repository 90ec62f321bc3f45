#include "gateway/gateway.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/deadline_server.h"
#include "gateway/forms.h"
#include "gateway/http_status.h"
#include "log/log.h"
#include "text/utf8.h"

namespace pp::gateway {
namespace {

// The time the current request on this thread was routed. httplib handles
// each connection's requests one after another on one thread, so a
// thread-local value is enough.
thread_local std::chrono::steady_clock::time_point request_start;

constexpr size_t kMaxRequestBodyBytes = 64 * 1024;
constexpr size_t kMaxRequestHeaders = 100;

// How long a parent should wait before retrying when a service is down.
constexpr int kRetryAfterSeconds = 120;

// Browsers may keep a hashed asset for a year: a changed file has a new name.
constexpr char kAssetCacheControl[] = "public, max-age=31536000, immutable";

// Purposes mixed into the CSRF HMAC, so that a token for one kind of
// binding never matches the other.
constexpr char kSessionPurpose[] = "csrf session\n";
constexpr char kBrowserPurpose[] = "csrf browser\n";

// Keeps the metric's method label to a fixed set.
std::string MethodLabel(const std::string& method) {
  if (method == "GET" || method == "POST" || method == "HEAD") return method;
  return "other";
}

// A CSRF cookie we issued: RandomToken's 43 base64url characters.
bool LooksLikeToken(const std::string& value) {
  if (value.size() != 43) return false;
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsOriginHostCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

}  // namespace

std::string OriginOf(absl::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == absl::string_view::npos) return "";
  absl::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "";
  absl::string_view rest = url.substr(scheme_end + 3);
  absl::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty()) return "";
  for (char c : host) {
    if (!IsOriginHostCharacter(c)) return "";
  }
  return absl::StrCat(scheme, "://", absl::AsciiStrToLower(host));
}

std::string ContentSecurityPolicy(absl::string_view form_target) {
  // The design system's style sheet draws one icon from a data: address.
  return absl::StrCat(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
      form_target.empty() ? "" : " ", form_target);
}

Gateway::Gateway(ServiceClients clients, const Clock& clock, GatewayMetrics& metrics,
                 GatewayOptions options, const Templates& templates, const Assets& assets)
    : clients_(clients),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      templates_(templates),
      assets_(assets) {
  if (options_.csrf_key.empty()) options_.csrf_key = crypto::RandomToken();
}

void Gateway::Register(httplib::Server& server) {
  using Request = httplib::Request;
  using Response = httplib::Response;

  server.Get("/healthz", [](const Request&, Response& response) {
    response.set_content("ok", "text/plain; charset=utf-8");
  });
  server.Get(R"(/assets/([^/]+))", [this](const Request& request, Response& response) {
    const Asset* asset = assets_.Find(request.matches[1].str());
    if (asset == nullptr) {
      SendPage(response, 404, NotFoundPage(BareContext(request)));
      return;
    }
    response.set_header("Cache-Control", kAssetCacheControl);
    response.set_content(asset->body, asset->content_type);
  });
  server.Get("/help/linking", [this](const Request& q, Response& r) {
    SendPage(r, 200, LinkHelpPage(Context(q, r, nullptr)));
  });

  server.Get("/register", [this](const Request& q, Response& r) { GetRegister(q, r); });
  server.Post("/register", [this](const Request& q, Response& r) { PostRegister(q, r); });
  server.Get("/sign-in", [this](const Request& q, Response& r) { GetSignIn(q, r); });
  server.Post("/sign-in", [this](const Request& q, Response& r) { PostSignIn(q, r); });
  server.Get("/change-password",
             [this](const Request& q, Response& r) { GetChangePassword(q, r); });
  server.Post("/change-password",
              [this](const Request& q, Response& r) { PostChangePassword(q, r); });
  server.Post("/sign-out", [this](const Request& q, Response& r) { PostSignOut(q, r); });
  server.Get("/forgot-username",
             [this](const Request& q, Response& r) { GetForgotUsername(q, r); });
  server.Get("/forgot-password",
             [this](const Request& q, Response& r) { GetForgotPassword(q, r); });
  RegisterAccount(server);

  server.Get("/", [this](const Request& q, Response& r) { GetHome(q, r); });
  server.Get(R"(/children/([^/]+))", [this](const Request& q, Response& r) { GetChild(q, r); });
  server.Get("/link", [this](const Request& q, Response& r) { GetLink(q, r); });
  server.Post("/link", [this](const Request& q, Response& r) { PostLink(q, r); });
  server.Get("/link/code", [this](const Request& q, Response& r) { GetLinkCode(q, r); });
  server.Post("/link/code", [this](const Request& q, Response& r) { PostLinkCode(q, r); });
  server.Get(R"(/children/([^/]+)/unlink)",
             [this](const Request& q, Response& r) { GetUnlink(q, r); });
  server.Post(R"(/children/([^/]+)/unlink)",
              [this](const Request& q, Response& r) { PostUnlink(q, r); });
  RegisterPayments(server);
  RegisterCalendar(server);

  // Every form is a few short fields, so a large body is a mistake or an attack.
  server.set_payload_max_length(kMaxRequestBodyBytes);
  server.set_pre_routing_handler([](const Request& request, Response& response) {
    request_start = std::chrono::steady_clock::now();
    // cpp-httplib 0.11 reads a chunked body with no size limit, so a body
    // without a Content-Length is refused before anything reads it.
    if (request.has_header("Transfer-Encoding")) {
      response.status = 411;
      response.set_header("Connection", "close");
      response.set_content("A request body needs a Content-Length.", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    // A browser sends a few dozen headers. cpp-httplib 0.11 limits each
    // header line to 8 KiB but not their number.
    if (request.headers.size() > kMaxRequestHeaders) {
      response.status = 431;
      response.set_header("Connection", "close");
      response.set_content("The request has too many headers.", "text/plain; charset=utf-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    // cpp-httplib sends each range of a multi-range request as its own part,
    // so a few hundred "0-" ranges multiply a page. Every page is small, so
    // Range is ignored and the whole page sent, as RFC 9110 allows. The
    // request object is the server's own mutable one, passed as const.
    const_cast<Request&>(request).ranges.clear();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_post_routing_handler([this](const Request&, Response& response) {
    // Pages contain personal data, so browsers and proxies must not keep them.
    if (!response.has_header("Cache-Control")) response.set_header("Cache-Control", "no-store");
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("X-Frame-Options", "DENY");
    response.set_header("Referrer-Policy", "same-origin");
    // The payment hand-off page sets its own policy, which lets its form
    // post to the provider.
    if (!response.has_header("Content-Security-Policy")) {
      response.set_header("Content-Security-Policy", ContentSecurityPolicy());
    }
    if (options_.secure_cookies) {
      response.set_header("Strict-Transport-Security", "max-age=31536000");
    }
  });
  server.set_logger([this](const Request& q, const Response& r) { LogRequest(q, r); });
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const Request& q, Response& r) { return HandleError(q, r); }));
  server.set_exception_handler(
      [this](const Request& q, Response& r, std::exception_ptr e) { HandleException(q, r, e); });
}

void Gateway::LogRequest(const Request& request, const Response& response) {
  // A request rejected before routing, such as one whose headers did not
  // arrive in time, has no start of its own on this thread.
  double seconds = 0;
  if (request_start != std::chrono::steady_clock::time_point()) {
    seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count();
    request_start = std::chrono::steady_clock::time_point();
  }
  metrics_.CountRequest(request.path, MethodLabel(request.method), response.status, seconds);
  // The path only, because query strings and cookies may contain secrets.
  log::Info("http_request")
      .Field("method", request.method)
      .Field("path", PathForLog(request.path))
      .Field("status", response.status)
      .Field("ms", static_cast<int64_t>(seconds * 1000))
      .Field("remote", request.remote_addr);
}

void Gateway::HandleException(const Request& request, Response& response,
                              std::exception_ptr error) {
  std::string what = "not a std::exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& exception) {
    what = exception.what();
  } catch (...) {
  }
  log::Error("handler_failed").Field("path", PathForLog(request.path)).Field("error", what);
  // A page that failed to render must not fail again here.
  try {
    SendPage(response, 500, ProblemPage(BareContext(request)));
  } catch (const std::exception&) {
    response.status = 500;
    response.set_content("Sorry, there is a problem with the service. Try again later.",
                         "text/plain; charset=utf-8");
  }
}

httplib::Server::HandlerResponse Gateway::HandleError(const Request& request, Response& response) {
  // Handlers write their own error pages. This covers what httplib rejects
  // before a handler runs, such as an unknown address.
  if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  PageContext context = BareContext(request);
  if (DeadlineServer::AnsweringCutOffRequest()) {
    // httplib reports a request that stopped arriving as malformed (400),
    // but the browser sent it too slowly, so the parent can simply retry.
    response.status = 408;
    response.set_header("Connection", "close");
    response.set_content(MessagePage(context, "The page took too long to send",
                                     "Your browser took too long to send this request, so it "
                                     "was not handled. Please try again."),
                         "text/html; charset=utf-8");
  } else if (response.status == 404) {
    response.set_content(NotFoundPage(context), "text/html; charset=utf-8");
  } else if (response.status < 500) {
    response.set_content(MessagePage(context, "Request not understood",
                                     "Your browser sent a request this site cannot handle. Go "
                                     "back and try again."),
                         "text/html; charset=utf-8");
  } else {
    response.set_content(ProblemPage(context), "text/html; charset=utf-8");
  }
  return httplib::Server::HandlerResponse::Handled;
}

bool Gateway::RequireSession(const Request& request, Response& response, Session* session,
                             bool allow_password_change) {
  std::string token = CookieValue(request, SessionCookie());
  if (token.empty()) {
    Redirect(response, "/sign-in");
    return false;
  }

  absl::StatusOr<identity::GetSessionResponse> found = LookUpSession(token);
  if (!found.ok()) {
    if (found.status().code() == absl::StatusCode::kUnauthenticated ||
        found.status().code() == absl::StatusCode::kNotFound) {
      // Expired or signed out elsewhere.
      ClearCookie(response, SessionCookie());
      Redirect(response, "/sign-in");
    } else {
      SendServiceError(request, response, BareContext(request), "GetSession", found.status(), "");
    }
    return false;
  }

  session->token = token;
  session->account = found->account();
  session->must_change_password = found->must_change_password();
  if (session->must_change_password && !allow_password_change) {
    Redirect(response, "/change-password");
    return false;
  }
  return true;
}

absl::StatusOr<identity::GetSessionResponse> Gateway::LookUpSession(const std::string& token) {
  std::optional<identity::GetSessionResponse> cached = session_cache_.Find(token);
  if (cached.has_value()) return *std::move(cached);

  uint64_t ticket = session_cache_.Ticket();
  identity::GetSessionRequest session_request;
  session_request.set_session_token(token);
  absl::StatusOr<identity::GetSessionResponse> found =
      clients_.identity->GetSession(session_request);
  if (found.ok()) session_cache_.Add(token, *found, ticket);
  return found;
}

PageContext Gateway::BareContext(const Request& request) const {
  PageContext context;
  context.csrf_token = CsrfToken(request);
  context.path = request.path;
  context.templates = &templates_;
  context.assets = &assets_;
  return context;
}

std::string Gateway::CsrfToken(const Request& request) const {
  std::string session = CookieValue(request, SessionCookie());
  if (!session.empty()) return crypto::HmacSha256(options_.csrf_key, kSessionPurpose + session);
  std::string browser = CookieValue(request, CsrfCookie());
  if (!LooksLikeToken(browser)) return "";
  return crypto::HmacSha256(options_.csrf_key, kBrowserPurpose + browser);
}

PageContext Gateway::Context(const Request& request, Response& response, const Session* session) {
  PageContext context = BareContext(request);
  // A signed-out browser without a CSRF cookie gets one, and its forms
  // carry the token of the new cookie.
  if (context.csrf_token.empty()) {
    std::string browser = crypto::RandomToken();
    SetCookie(response, CsrfCookie(), browser);
    context.csrf_token = crypto::HmacSha256(options_.csrf_key, kBrowserPurpose + browser);
  }
  if (session != nullptr) {
    context.parent_name =
        absl::StrCat(session->account.forename(), " ", session->account.surname());
  }
  return context;
}

bool Gateway::CheckFormText(const Request& request, Response& response) {
  for (const auto& [name, value] : request.params) {
    if (text::FindInvalidUtf8(name) == std::string_view::npos &&
        text::FindInvalidUtf8(value) == std::string_view::npos) {
      continue;
    }
    log::Warning("form_not_utf8").Field("path", PathForLog(request.path));
    SendPage(response, 400,
             MessagePage(BareContext(request), "This form contains characters that cannot be read",
                         "Some of what was sent is not text in a form this service can read. "
                         "Type each field again, rather than pasting it, and send the form "
                         "again."));
    return false;
  }
  return true;
}

bool Gateway::CheckCsrf(const Request& request, Response& response) {
  // Browsers send Origin with every cross-site POST, so a foreign origin is
  // refused before the token is looked at. A POST without Origin (an older
  // browser, or a script) still needs the token.
  if (request.has_header("Origin") && request.get_header_value("Origin") != options_.origin) {
    metrics_.CountCsrfRejection();
    log::Warning("origin_rejected").Field("path", PathForLog(request.path));
    SendPage(response, 403,
             MessagePage(BareContext(request), "This form was sent from another site",
                         "For your safety, Parents Portal only accepts forms sent from its own "
                         "pages. Go to the home page and try again from there."));
    return false;
  }

  std::string sent = BodyFormField(request, "csrf_token");
  std::string expected = CsrfToken(request);
  if (!expected.empty() && crypto::ConstantTimeEquals(sent, expected)) {
    return CheckFormText(request, response);
  }

  metrics_.CountCsrfRejection();
  // The page's header shows the parent as signed in while the session
  // cookie is still valid, for example after a restart changed the CSRF
  // key. Only the session is read, and the rejected form is not handled.
  Session session;
  const Session* signed_in = nullptr;
  std::string token = CookieValue(request, SessionCookie());
  if (!token.empty()) {
    absl::StatusOr<identity::GetSessionResponse> found = LookUpSession(token);
    if (found.ok()) {
      session.token = token;
      session.account = found->account();
      session.must_change_password = found->must_change_password();
      signed_in = &session;
    } else if (found.status().code() != absl::StatusCode::kUnauthenticated &&
               found.status().code() != absl::StatusCode::kNotFound) {
      // The page is sent with the signed-out header.
      std::string code = absl::StatusCodeToString(found.status().code());
      log::Warning("service_unavailable")
          .Field("rpc", "GetSession")
          .Field("code", code)
          .Field("error", found.status().message())
          .Field("path", PathForLog(request.path));
      metrics_.CountServiceError("GetSession", code);
    }
  }
  SendPage(response, 403,
           MessagePage(Context(request, response, signed_in), "This form has expired",
                       "We could not check that this form came from this site. Go back, reload "
                       "the page and send the form again."));
  return false;
}

void Gateway::SendUnavailable(Response& response, const PageContext& context) {
  response.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
  SendPage(response, 503, UnavailablePage(context));
}

void Gateway::SendTooManyRequests(Response& response, absl::Duration wait,
                                  const std::string& html) {
  response.set_header("Retry-After", RetryAfterValue(wait));
  SendPage(response, 429, html);
}

void Gateway::SendServiceError(const Request& request, Response& response,
                               const PageContext& context, std::string_view rpc,
                               const absl::Status& status, const std::string& account_id) {
  std::string code = absl::StatusCodeToString(status.code());
  switch (status.code()) {
    case absl::StatusCode::kUnauthenticated:
      ClearCookie(response, SessionCookie());
      Redirect(response, "/sign-in");
      return;
    case absl::StatusCode::kNotFound:
      SendPage(response, 404, NotFoundPage(context));
      return;
    // The gateway never cancels its own calls, so CANCELLED is a service
    // that stopped while the call was in flight.
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kCancelled:
      log::Warning("service_unavailable")
          .Field("rpc", rpc)
          .Field("code", code)
          .Field("error", status.message())
          .Field("account", account_id)
          .Field("path", PathForLog(request.path));
      metrics_.CountServiceError(std::string(rpc), code);
      SendUnavailable(response, context);
      return;
    default:
      log::Error("service_failed")
          .Field("rpc", rpc)
          .Field("code", code)
          .Field("error", status.message())
          .Field("account", account_id)
          .Field("path", PathForLog(request.path));
      metrics_.CountServiceError(std::string(rpc), code);
      // A client error that reaches here is one the handler did not expect,
      // so it is ours to fix.
      SendPage(response, std::max(HttpStatusFor(status.code()), 500), ProblemPage(context));
      return;
  }
}

void Gateway::SendPage(Response& response, int status, const std::string& html) {
  response.status = status;
  response.set_content(html, "text/html; charset=utf-8");
}

void Gateway::Redirect(Response& response, const std::string& location) {
  response.set_redirect(location, 303);
}

void Gateway::SetCookie(Response& response, const std::string& name, const std::string& value,
                        CookieAttributes attributes) {
  attributes.secure = options_.secure_cookies;
  response.set_header("Set-Cookie", SetCookieValue(name, value, attributes));
}

void Gateway::ClearCookie(Response& response, const std::string& name, const std::string& path) {
  CookieAttributes attributes;
  attributes.max_age = 0;
  attributes.path = path;
  SetCookie(response, name, "", attributes);
}

const char* Gateway::SessionCookie() const {
  return options_.secure_cookies ? kSecureSessionCookie : kSessionCookie;
}

const char* Gateway::CsrfCookie() const {
  return options_.secure_cookies ? kSecureCsrfCookie : kCsrfCookie;
}

absl::CivilDay Gateway::Today() const { return absl::ToCivilDay(clock_.Now(), SchoolTimeZone()); }

}  // namespace pp::gateway
