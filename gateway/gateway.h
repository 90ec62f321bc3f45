// The parents' web pages: routes, sessions, CSRF checks and the mapping of
// service errors to pages. Holds no data of its own: sessions live in the
// identity service and are read on every request that needs one.
#ifndef PP_GATEWAY_GATEWAY_H_
#define PP_GATEWAY_GATEWAY_H_

#include <httplib.h>

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "clock/clock.h"
#include "gateway/address_limit.h"
#include "gateway/forms.h"
#include "gateway/gateway_metrics.h"
#include "gateway/online_services.h"
#include "gateway/pages.h"
#include "gateway/service_clients.h"
#include "gateway/session_cache.h"
#include "gateway/site_files.h"

namespace pp::gateway {

inline constexpr char kSessionCookie[] = "pp_session";
// The session cookie's name over TLS: browsers accept a __Host- cookie only
// when it is Secure, has Path=/ and no Domain, so no other site can set it.
inline constexpr char kSecureSessionCookie[] = "__Host-pp_session";
inline constexpr char kCsrfCookie[] = "pp_csrf";
// The signed-out browser's CSRF cookie over TLS. The prefix stops a sibling
// subdomain from planting a cookie with a token of its own choosing.
inline constexpr char kSecureCsrfCookie[] = "__Host-pp_csrf";
inline constexpr char kLinkAttemptCookie[] = "pp_link_attempt";

struct GatewayOptions {
  // Adds Secure to every cookie. Set it when a TLS proxy serves the pages.
  bool secure_cookies = false;
  // The portal's address as parents reach it, such as
  // "https://portal.example.org", for the calendar feed addresses on their
  // pages. When empty, the feed address uses the request's Host header.
  std::string public_base_url;
  // The portal's own origin, such as "https://portal.example.org". A POST
  // whose Origin header is present and differs from it is refused.
  std::string origin = "http://127.0.0.1:8080";
  // The key of the HMAC that binds each form's CSRF token to the session or
  // to the signed-out browser's cookie. Every gateway serving the same
  // portal needs the same key. When empty, the gateway picks a random key
  // at start, and forms loaded before a restart are refused once.
  std::string csrf_key;
  // How long the gateway reuses identity's response about a session cookie.
  // session_cache.h describes what that means with several gateways. Zero
  // calls identity on every request.
  absl::Duration session_cache_ttl = absl::ZeroDuration();
};

// Returns the origin ("scheme://host[:port]") of an http or https address,
// or "" when `url` is not one or its host has characters an origin cannot.
std::string OriginOf(absl::string_view url);

// Returns the Content-Security-Policy of every page. `form_target` is an
// origin forms may post to besides this one, or empty.
std::string ContentSecurityPolicy(absl::string_view form_target = "");

// Returns `path` as the access log may show it. A parent's feed address is
// replaced by its route, "/calendar/{token}.ics", because the token alone
// gives access to the feed.
std::string PathForLog(const std::string& path);

class Gateway {
 public:
  // `clients`, `clock`, `metrics`, `templates` and `assets` must outlive
  // the gateway.
  Gateway(ServiceClients clients, const Clock& clock, GatewayMetrics& metrics,
          GatewayOptions options, const Templates& templates, const Assets& assets);

  // Registers every route and the logging, error and exception hooks.
  void Register(httplib::Server& server);

 private:
  // The signed-in parent of a request.
  struct Session {
    std::string token;
    identity::Account account;
    bool must_change_password = false;
  };

  using Request = httplib::Request;
  using Response = httplib::Response;

  // Account pages (account_handlers.cc).
  void GetRegister(const Request& request, Response& response);
  void PostRegister(const Request& request, Response& response);
  void GetSignIn(const Request& request, Response& response);
  void PostSignIn(const Request& request, Response& response);
  void GetChangePassword(const Request& request, Response& response);
  void PostChangePassword(const Request& request, Response& response);
  void PostSignOut(const Request& request, Response& response);
  void GetForgotUsername(const Request& request, Response& response);
  void GetForgotPassword(const Request& request, Response& response);
  // Registers the routes below (account_handlers.cc).
  void RegisterAccount(httplib::Server& server);
  void PostForgotUsername(const Request& request, Response& response);
  void PostForgotPassword(const Request& request, Response& response);
  void GetAccount(const Request& request, Response& response);
  void PostPreferences(const Request& request, Response& response);

  // Pages of a signed-in parent (portal_handlers.cc).
  void GetHome(const Request& request, Response& response);
  void GetChild(const Request& request, Response& response);
  void GetLink(const Request& request, Response& response);
  void PostLink(const Request& request, Response& response);
  void GetLinkCode(const Request& request, Response& response);
  void PostLinkCode(const Request& request, Response& response);
  void GetUnlink(const Request& request, Response& response);
  void PostUnlink(const Request& request, Response& response);

  // Payments (payments_handlers.cc).
  void RegisterPayments(httplib::Server& server);
  void PostPayments(const Request& request, Response& response);
  void GetJwks(const Request& request, Response& response);
  void PostPaymentsCallback(const Request& request, Response& response);
  void GetPaymentReceipts(const Request& request, Response& response);

  // Calendar feeds and the month view (calendar_handlers.cc).
  void RegisterCalendar(httplib::Server& server);
  void GetParentFeed(const Request& request, Response& response);
  void GetSchoolFeed(const Request& request, Response& response);
  void PostReplaceFeed(const Request& request, Response& response);
  void PostRevokeFeed(const Request& request, Response& response);
  void GetChildCalendar(const Request& request, Response& response);
  // Returns the feed part of the home page: the parent's feed address from
  // `token`, if any, and the confirmation of a form just sent. A failed
  // `token` shows the feed as unavailable.
  FeedView MakeFeedView(const Request& request, const absl::StatusOr<calendar::FeedToken>& token);
  // Returns the absolute address of the feed with `token`.
  std::string FeedAddress(const Request& request, const std::string& token) const;
  // Writes `feed` as text/calendar with its validators, or 304 without a
  // body when the request's If-None-Match or If-Modified-Since shows the
  // client already has it.
  void SendFeed(const Request& request, Response& response, const calendar::Feed& feed,
                const char* cache_control);

  // Hooks (gateway.cc).
  void LogRequest(const Request& request, const Response& response);
  void HandleException(const Request& request, Response& response, std::exception_ptr error);
  httplib::Server::HandlerResponse HandleError(const Request& request, Response& response);

  // Reads the session cookie and looks up its account in the session cache
  // or else in identity. Returns
  // false after writing the response itself: a redirect to /sign-in when
  // there is no valid session, to /change-password while the password must
  // change (unless `allow_password_change`), or an error page.
  bool RequireSession(const Request& request, Response& response, Session* session,
                      bool allow_password_change = false);
  // Returns the session of `token` from the session cache or else from
  // identity, and caches what identity returns. Writes no response. Fails
  // with UNAUTHENTICATED or NOT_FOUND for a session that ended, and with
  // another code when identity failed.
  absl::StatusOr<identity::GetSessionResponse> LookUpSession(const std::string& token);
  // Returns the context for a page, setting the CSRF cookie when the
  // browser has none yet.
  PageContext Context(const Request& request, Response& response, const Session* session);
  // Returns the context of a page shown before the session is known, such
  // as an error page, with the CSRF token of the cookies sent.
  PageContext BareContext(const Request& request) const;
  // Returns the CSRF token of the browser's forms: an HMAC of the session
  // cookie when there is one, otherwise of the CSRF cookie. Returns ""
  // when the browser has neither.
  std::string CsrfToken(const Request& request) const;
  // Returns true when the POST's Origin header, if any, is the portal's own
  // and the csrf_token field of its url-encoded body matches the browser's
  // cookies. A token in the query string does not count. Otherwise
  // writes a 403 page and returns false. The page for a token that does not
  // match has the signed-in header when the session cookie is valid. Once
  // the token matches, checks the fields as CheckFormText does.
  bool CheckCsrf(const Request& request, Response& response);
  // Returns true when every field of the request is valid UTF-8, as browsers
  // send forms and the services require. Otherwise writes a 400 page and
  // returns false. CheckCsrf calls it once the token matches.
  bool CheckFormText(const Request& request, Response& response);
  // Ends the session of `token` at identity and drops it from the session
  // cache. Returns identity's error, if any.
  absl::Status EndSession(const std::string& token);
  // Writes the 503 page with its Retry-After header.
  void SendUnavailable(Response& response, const PageContext& context);
  // Writes `html` with status 429 and a Retry-After header of `wait` in
  // whole seconds, rounded up and at least 1.
  void SendTooManyRequests(Response& response, absl::Duration wait, const std::string& html);
  // Writes a page for a service error the parent cannot fix by
  // changing the form: 503 when the service is down, a redirect to sign in
  // when the session ended, 404 for NOT_FOUND, otherwise 500. Logs one line.
  void SendServiceError(const Request& request, Response& response, const PageContext& context,
                        std::string_view rpc, const absl::Status& status,
                        const std::string& account_id);

  // Returns the child named by the path's first parameter when the signed-in
  // parent is linked to them. Otherwise sends the error page (404 for another
  // parent's child or a malformed id) and returns nullopt.
  std::optional<link::Child> LinkedChildOrError(const Request& request, Response& response,
                                                const PageContext& context,
                                                const std::string& account_id);

  void SendPage(Response& response, int status, const std::string& html);
  void Redirect(Response& response, const std::string& location);
  // Sets an HttpOnly, SameSite=Lax cookie, also Secure when
  // GatewayOptions::secure_cookies is set.
  void SetCookie(Response& response, const std::string& name, const std::string& value,
                 CookieAttributes attributes = {});
  void ClearCookie(Response& response, const std::string& name, const std::string& path = "/");
  // Returns today's date where the schools are.
  absl::CivilDay Today() const;
  // Returns the session cookie's name: with the __Host- prefix when
  // cookies are Secure.
  const char* SessionCookie() const;
  // Returns the signed-out browser's CSRF cookie name: with the __Host-
  // prefix when cookies are Secure.
  const char* CsrfCookie() const;

  ServiceClients clients_;
  const Clock& clock_;
  GatewayMetrics& metrics_;
  GatewayOptions options_;
  const Templates& templates_;
  const Assets& assets_;
  // Failed sign-ins and password resets per client address.
  AddressLimit address_limit_{clock_};
  // Sessions identity confirmed in the last options_.session_cache_ttl.
  SessionCache session_cache_{clock_, options_.session_cache_ttl};
  // The services each school takes online, as payments-handoff listed them.
  OnlineServicesCache online_services_{clock_};

  // Returns the services the schools of `children` take online, leaving out
  // schools that payments-handoff could not be asked about.
  OnlineServices OnlineServicesOf(const std::vector<link::Child>& children);
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_GATEWAY_H_
