// Security rules every response and every form follows: headers, the
// Origin check, CSRF tokens bound to the session, and hashed assets.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr char kSession[] = "session-1";
constexpr char kOtherSession[] = "session-2";

struct Fakes {
  FakeIdentityClient identity;
  FakeLinksClient links;
  FakeCalendarClient calendar;
  FakeHandoffClient handoff;

  Fakes() {
    for (const char* token : {kSession, kOtherSession}) {
      identity::GetSessionResponse session;
      session.mutable_account()->set_account_id(absl::StrCat("account-of-", token));
      session.mutable_account()->set_forename("Aoife");
      identity.sessions[token] = session;
    }
  }
  ServiceClients clients() { return {&identity, &links, &calendar, &handoff}; }
};

httplib::Headers Browser(const std::string& session = "", const std::string& origin = "") {
  std::string cookies = absl::StrCat("pp_csrf=", kTestCsrf);
  if (!session.empty()) absl::StrAppend(&cookies, "; pp_session=", session);
  httplib::Headers headers{{"Cookie", cookies}};
  if (!origin.empty()) headers.emplace("Origin", origin);
  return headers;
}

TEST_CASE("every response carries security headers") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* path : {"/", "/sign-in", "/no-such-page", "/healthz"}) {
    INFO(path);
    httplib::Result result = client.Get(path);
    REQUIRE(result);
    std::string policy = result->get_header_value("Content-Security-Policy");
    CHECK(absl::StrContains(policy, "default-src 'self'"));
    CHECK(absl::StrContains(policy, "script-src 'self';"));
    CHECK(absl::StrContains(policy, "style-src 'self';"));
    CHECK(absl::StrContains(policy, "frame-ancestors 'none'"));
    CHECK(absl::StrContains(policy, "form-action 'self'"));
    CHECK_FALSE(absl::StrContains(policy, "unsafe-inline"));
    CHECK(result->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(result->get_header_value("Referrer-Policy") == "same-origin");
    CHECK(result->get_header_value("Cache-Control") == "no-store");
    // Plain HTTP: a browser would ignore HSTS, and it must not stick to a
    // development host.
    CHECK_FALSE(result->has_header("Strict-Transport-Security"));
  }
}

TEST_CASE("tls setting adds hsts") {
  Fakes fakes;
  GatewayOptions options = TestServer::TestOptions();
  options.secure_cookies = true;
  TestServer server(fakes.clients(), options);
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/sign-in");
  REQUIRE(result);
  CHECK(result->get_header_value("Strict-Transport-Security") == "max-age=31536000");
}

TEST_CASE("pages have no inline script or style") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* path : {"/", "/sign-in", "/register", "/forgot-password", "/help/linking"}) {
    INFO(path);
    httplib::Result result = client.Get(path);
    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK_FALSE(absl::StrContains(result->body, "<script>"));
    CHECK_FALSE(absl::StrContains(result->body, "<style"));
    CHECK_FALSE(absl::StrContains(result->body, " style="));
    CHECK_FALSE(absl::StrContains(result->body,
                                  " on"
                                  "click="));
  }
}

TEST_CASE("post from another origin is refused") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Params form{{"csrf_token", TestCsrfField(kSession)}};

  for (const char* origin :
       {"https://evil.example", "null", "http://portal.test:8080", "https://portal.test"}) {
    INFO(origin);
    httplib::Result result = client.Post("/sign-out", Browser(kSession, origin), form);
    REQUIRE(result);
    CHECK(result->status == 403);
    CHECK(absl::StrContains(result->body, "This form was sent from another site"));
  }
  CHECK(fakes.identity.last_sign_out.session_token().empty());

  // The portal's own origin, and no Origin at all, pass on to the token check.
  httplib::Result own = client.Post("/sign-out", Browser(kSession, kTestOrigin), form);
  REQUIRE(own);
  CHECK(own->status == 303);
  CHECK(fakes.identity.last_sign_out.session_token() == kSession);
  httplib::Result none = client.Post("/sign-out", Browser(kSession), form);
  REQUIRE(none);
  CHECK(none->status == 303);
}

TEST_CASE("csrf token is bound to session") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // The page of one session carries that session's token.
  httplib::Result page = client.Get("/link", Browser(kSession));
  REQUIRE(page);
  CHECK(absl::StrContains(
      page->body, absl::StrCat("name=\"csrf_token\" value=\"", TestCsrfField(kSession), "\"")));

  // Another session's token, or the signed-out token, is refused even with
  // the matching pp_csrf cookie: a planted cookie is not enough.
  for (const std::string& token :
       {TestCsrfField(kOtherSession), TestCsrfField(), std::string(kTestCsrf), std::string()}) {
    httplib::Result result =
        client.Post("/sign-out", Browser(kSession), httplib::Params{{"csrf_token", token}});
    REQUIRE(result);
    CHECK(result->status == 403);
    CHECK(absl::StrContains(result->body, "This form has expired"));
  }
  CHECK(fakes.identity.last_sign_out.session_token().empty());

  httplib::Result signed_out = client.Post(
      "/sign-out", Browser(kSession), httplib::Params{{"csrf_token", TestCsrfField(kSession)}});
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
}

TEST_CASE("csrf token is read from body only") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  std::string token = TestCsrfField(kSession);

  // A token in the address, as a link or a cross-site form could plant it,
  // is not read, even with an empty url-encoded body.
  httplib::Result in_query =
      client.Post(absl::StrCat("/sign-out?csrf_token=", token), Browser(kSession), "",
                  "application/x-www-form-urlencoded");
  REQUIRE(in_query);
  CHECK(in_query->status == 403);
  CHECK(absl::StrContains(in_query->body, "This form has expired"));

  // A body of another type is not a form.
  httplib::Result as_text =
      client.Post("/sign-out", Browser(kSession), absl::StrCat("csrf_token=", token), "text/plain");
  REQUIRE(as_text);
  CHECK(as_text->status == 403);
  CHECK(fakes.identity.last_sign_out.session_token().empty());

  // A wrong token in the body is not rescued by a right one in the address.
  httplib::Result both =
      client.Post(absl::StrCat("/sign-out?csrf_token=", token), Browser(kSession),
                  "csrf_token=wrong", "application/x-www-form-urlencoded");
  REQUIRE(both);
  CHECK(both->status == 403);
  CHECK(fakes.identity.last_sign_out.session_token().empty());

  // A charset parameter on the media type is allowed.
  httplib::Result in_body =
      client.Post("/sign-out", Browser(kSession), absl::StrCat("csrf_token=", token),
                  "application/x-www-form-urlencoded; charset=UTF-8");
  REQUIRE(in_body);
  CHECK(in_body->status == 303);
  CHECK(fakes.identity.last_sign_out.session_token() == kSession);
}

TEST_CASE("expired form keeps signed-in header") {
  Fakes fakes;
  fakes.identity.sessions[kSession].mutable_account()->set_surname("O'Neill");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  // A form loaded before a restart that changed the CSRF key carries a
  // token of the old key.
  httplib::Params form{{"csrf_token", crypto::HmacSha256("key-before-restart",
                                                         std::string("csrf session\n") + kSession)},
                       {"child_forename", "Eilidh"},
                       {"child_surname", "O'Neill"},
                       {"child_date_of_birth-day", "3"},
                       {"child_date_of_birth-month", "5"},
                       {"child_date_of_birth-year", "2019"},
                       {"stage", "P2"},
                       {"postcode", "DD1 4HN"}};

  httplib::Result result = client.Post("/link", Browser(kSession), form);
  REQUIRE(result);
  CHECK(result->status == 403);
  CHECK(absl::StrContains(result->body, "This form has expired"));
  CHECK(absl::StrContains(result->body, "Signed in as Aoife O&apos;Neill"));
  CHECK_FALSE(absl::StrContains(result->body, "Create an account"));
  // The sign-out button carries the token of the current key.
  CHECK(absl::StrContains(
      result->body, absl::StrCat("name=\"csrf_token\" value=\"", TestCsrfField(kSession), "\"")));
  // Nothing of the form reached the link service, and the session stays.
  CHECK(fakes.links.last_start_link.child_forename().empty());
  CHECK(result->get_header_value_count("Set-Cookie") == 0);

  // A session that has ended gets the signed-out header.
  httplib::Result ended = client.Post("/link", Browser("ended-session"), form);
  REQUIRE(ended);
  CHECK(ended->status == 403);
  CHECK(absl::StrContains(ended->body, "Create an account"));
  CHECK_FALSE(absl::StrContains(ended->body, "Signed in as"));

  // While identity is down, the page is still sent, with the signed-out header.
  fakes.identity.outage = absl::UnavailableError("identity down");
  httplib::Result outage = client.Post("/link", Browser(kOtherSession), form);
  REQUIRE(outage);
  CHECK(outage->status == 403);
  CHECK(absl::StrContains(outage->body, "This form has expired"));
  CHECK(absl::StrContains(outage->body, "Create an account"));
  CHECK(fakes.links.last_start_link.child_forename().empty());
}

TEST_CASE("signed-out token is bound to its cookie") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Params form{
      {"csrf_token", TestCsrfField()}, {"username", "aoife@example.com"}, {"password", "pw"}};

  // Another browser's pp_csrf cookie does not match the token.
  httplib::Headers other{{"Cookie", "pp_csrf=another-browser-aaaaaaaaaaaaaaaaaaaaaaaa"}};
  httplib::Result refused = client.Post("/sign-in", other, form);
  REQUIRE(refused);
  CHECK(refused->status == 403);
  CHECK(fakes.identity.calls == 0);

  httplib::Result accepted = client.Post("/sign-in", Browser(), form);
  REQUIRE(accepted);
  CHECK(accepted->status == 303);
}

TEST_CASE("hashed assets are cached for a year") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* name : {"design-system.css", "design-system.js", "site.css", "site.js",
                           "handoff.js", "icons.svg"}) {
    INFO(name);
    std::string url = TestAssets().Url(name);
    REQUIRE(absl::StartsWith(url, "/assets/"));
    httplib::Result result = client.Get(url);
    REQUIRE(result);
    CHECK(result->status == 200);
    CHECK(result->get_header_value("Cache-Control") == "public, max-age=31536000, immutable");
    CHECK_FALSE(result->body.empty());
  }
  httplib::Result css = client.Get(TestAssets().Url("design-system.css"));
  REQUIRE(css);
  CHECK(css->get_header_value("Content-Type") == "text/css; charset=utf-8");
  CHECK(absl::StrContains(css->body, ".ds_site-header"));

  // Only hashed names are served, so a stale name never gets new content.
  for (const char* path :
       {"/assets/site.css", "/assets/site.0000000000000000.css", "/assets/../CMakeLists.txt"}) {
    INFO(path);
    httplib::Result missing = client.Get(path);
    REQUIRE(missing);
    CHECK(missing->status == 404);
    CHECK(missing->get_header_value("Cache-Control") == "no-store");
  }
}

TEST_CASE("origin of an address") {
  CHECK(OriginOf("https://Pay.Example.test/sso?x=1") == "https://pay.example.test");
  CHECK(OriginOf("http://127.0.0.1:8081/pay") == "http://127.0.0.1:8081");
  CHECK(OriginOf("https://[::1]:8443") == "https://[::1]:8443");
  CHECK(OriginOf("javascript:alert(1)") == "");
  CHECK(OriginOf("https://pay.example; script-src *") == "");
  CHECK(OriginOf("ftp://files.example") == "");
}

}  // namespace
}  // namespace pp::gateway
