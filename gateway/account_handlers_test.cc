// Handler tests of the account pages: the real gateway on a loopback port
// with a fake identity client.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"
#include "server/grpc_status.h"

namespace pp::gateway {
namespace {

constexpr char kToken[] = "session-1";

struct AccountFakes {
  FakeIdentityClient identity;
  FakeLinksClient links;
  FakeCalendarClient calendar;
  FakeHandoffClient handoff;

  AccountFakes() {
    identity::GetSessionResponse session;
    session.mutable_account()->set_account_id("account-1");
    session.mutable_account()->set_forename("Aoife");
    session.mutable_account()->set_surname("O'Neill");
    identity.sessions[kToken] = session;
  }
  ServiceClients clients() { return {&identity, &links, &calendar, &handoff}; }
};

httplib::Headers Cookies(const std::string& session_cookie = "") {
  std::string cookies = absl::StrCat("pp_csrf=", kTestCsrf);
  if (!session_cookie.empty()) absl::StrAppend(&cookies, "; ", session_cookie);
  return {{"Cookie", cookies}};
}

// Adds the csrf_token that matches Cookies(session_cookie).
httplib::Params Form(httplib::Params params, const std::string& session_cookie = "") {
  std::string session = session_cookie.substr(session_cookie.find('=') + 1);
  params.emplace("csrf_token", TestCsrfField(session_cookie.empty() ? "" : session));
  return params;
}

std::string AllSetCookies(const httplib::Result& result) {
  std::string all;
  for (size_t i = 0; i < result->get_header_value_count("Set-Cookie"); ++i) {
    absl::StrAppend(&all, result->get_header_value("Set-Cookie", i), "\n");
  }
  return all;
}

}  // namespace

TEST_CASE("secure session cookie has host prefix") {
  AccountFakes fakes;
  fakes.identity.sign_in->set_session_token("new-session");
  GatewayOptions options = TestServer::TestOptions();
  options.secure_cookies = true;
  TestServer server(fakes.clients(), options);
  httplib::Client client = server.Client();

  httplib::Headers browser{{"Cookie", absl::StrCat("__Host-pp_csrf=", kTestCsrf)}};
  httplib::Result signed_in = client.Post(
      "/sign-in", browser, Form({{"username", "aoife@example.com"}, {"password", "pw"}}));
  REQUIRE(signed_in);
  CHECK(absl::StrContains(AllSetCookies(signed_in),
                          "__Host-pp_session=new-session; Path=/; HttpOnly; SameSite=Lax; "
                          "Secure\n"));

  // Only the prefixed cookie opens a session over TLS.
  httplib::Result plain = client.Get("/account", Cookies("pp_session=session-1"));
  REQUIRE(plain);
  CHECK(plain->status == 303);
  httplib::Result prefixed = client.Get("/account", Cookies("__Host-pp_session=session-1"));
  REQUIRE(prefixed);
  CHECK(prefixed->status == 200);
}

TEST_CASE("secure csrf cookie has host prefix") {
  AccountFakes fakes;
  GatewayOptions options = TestServer::TestOptions();
  options.secure_cookies = true;
  TestServer server(fakes.clients(), options);
  httplib::Client client = server.Client();

  // A browser without the cookie gets the prefixed one.
  httplib::Result page = client.Get("/sign-in");
  REQUIRE(page);
  std::string issued = AllSetCookies(page);
  CHECK(absl::StartsWith(issued, "__Host-pp_csrf="));
  CHECK(absl::StrContains(issued, "; Path=/; HttpOnly; SameSite=Lax; Secure\n"));
  CHECK_FALSE(absl::StrContains(issued, "Domain="));

  // The unprefixed cookie, which a sibling subdomain could plant, does not
  // match a token over TLS, and the prefixed one does.
  httplib::Params form = Form({{"username", "aoife@example.com"}, {"password", "pw"}});
  httplib::Result planted = client.Post("/sign-in", Cookies(), form);
  REQUIRE(planted);
  CHECK(planted->status == 403);
  CHECK(fakes.identity.calls == 0);
  httplib::Headers browser{{"Cookie", absl::StrCat("__Host-pp_csrf=", kTestCsrf)}};
  httplib::Result accepted = client.Post("/sign-in", browser, form);
  REQUIRE(accepted);
  CHECK(accepted->status == 303);
  // Signing in replaces the prefixed cookie.
  CHECK(absl::StrContains(AllSetCookies(accepted), "\n__Host-pp_csrf="));
}

TEST_CASE("plain http csrf cookie has no prefix") {
  AccountFakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result page = client.Get("/sign-in");
  REQUIRE(page);
  std::string issued = AllSetCookies(page);
  CHECK(absl::StartsWith(issued, "pp_csrf="));
  CHECK_FALSE(absl::StrContains(issued, "Secure"));
}

TEST_CASE("sign-in sends the client address") {
  AccountFakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  REQUIRE(client.Post("/sign-in", Cookies(),
                      Form({{"username", "aoife@example.com"}, {"password", "pw"}})));
  CHECK(fakes.identity.last_sign_in.client_address() == "127.0.0.1");
}

TEST_CASE("sign-in ends the browser's old session") {
  AccountFakes fakes;
  identity::SignInResponse signed_in;
  signed_in.set_session_token("session-2");
  signed_in.mutable_account()->set_account_id("account-2");
  fakes.identity.sign_in = signed_in;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  std::string old_cookie = absl::StrCat("pp_session=", kToken);

  httplib::Result result =
      client.Post("/sign-in", Cookies(old_cookie),
                  Form({{"username", "bob@example.com"}, {"password", "pw"}}, old_cookie));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(fakes.identity.last_sign_out.session_token() == kToken);
  CHECK(fakes.identity.sessions.count(kToken) == 0);
  CHECK(absl::StrContains(AllSetCookies(result), "pp_session=session-2"));
}

TEST_CASE("locked sign-in shows the wait") {
  AccountFakes fakes;
  fakes.identity.sign_in = WithRetryDelay(
      absl::ResourceExhaustedError("Too many wrong passwords were entered for this email address. "
                                   "Wait 2 minutes before you try again."),
      absl::Seconds(119) + absl::Milliseconds(200));
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Result result = client.Post(
      "/sign-in", Cookies(), Form({{"username", "aoife@example.com"}, {"password", "pw"}}));
  REQUIRE(result);
  CHECK(result->status == 429);
  CHECK(absl::StrContains(result->body, "Wait 2 minutes"));
  // Identity's retry delay, rounded up to whole seconds.
  CHECK(result->get_header_value("Retry-After") == "120");

  // Without a delay from the service there is no header.
  fakes.identity.sign_in = absl::ResourceExhaustedError("Wait a while.");
  httplib::Result vague = client.Post(
      "/sign-in", Cookies(), Form({{"username", "aoife@example.com"}, {"password", "pw"}}));
  REQUIRE(vague);
  CHECK(vague->status == 429);
  CHECK_FALSE(vague->has_header("Retry-After"));
}

TEST_CASE("address limit slows failed sign-ins") {
  AccountFakes fakes;
  fakes.identity.sign_in = absl::UnauthenticatedError("wrong");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Params form = Form({{"username", "someone@example.com"}, {"password", "guess"}});
  for (int i = 0; i < 20; ++i) {
    httplib::Result result = client.Post("/sign-in", Cookies(), form);
    REQUIRE(result);
    REQUIRE(result->status == 401);
  }
  int calls = fakes.identity.calls;
  httplib::Result limited = client.Post("/sign-in", Cookies(), form);
  REQUIRE(limited);
  CHECK(limited->status == 429);
  CHECK(absl::StrContains(limited->body,
                          "Too many failed sign-ins and password resets from your network"));
  // One more attempt is allowed a minute after the last failure.
  CHECK(limited->get_header_value("Retry-After") == "60");
  // Identity is not asked at all while the address waits.
  CHECK(fakes.identity.calls == calls);

  // The header counts down with the clock, in whole seconds rounded up.
  server.clock().Advance(absl::Milliseconds(15500));
  httplib::Result later = client.Post("/sign-in", Cookies(), form);
  REQUIRE(later);
  CHECK(later->status == 429);
  CHECK(later->get_header_value("Retry-After") == "45");

  // A password reset from the same address waits just as long.
  httplib::Result reset = client.Post("/forgot-password", Cookies(),
                                      Form({{"username", "someone@example.com"},
                                            {"email", "someone@example.com"},
                                            {"postcode", "DD1 4HN"},
                                            {"date_of_birth-day", "2"},
                                            {"date_of_birth-month", "7"},
                                            {"date_of_birth-year", "1984"}}));
  REQUIRE(reset);
  CHECK(reset->status == 429);
  CHECK(reset->get_header_value("Retry-After") == "45");
  CHECK(absl::StrContains(reset->body, "password resets from your network"));
  CHECK(fakes.identity.calls == calls);
}

TEST_CASE("busy identity does not limit the address") {
  AccountFakes fakes;
  fakes.identity.sign_in = absl::ResourceExhaustedError(
      "Too many people are signing in right now. Wait a minute and try again.");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Params form = Form({{"username", "someone@example.com"}, {"password", "right"}});
  for (int i = 0; i < 30; ++i) {
    httplib::Result busy = client.Post("/sign-in", Cookies(), form);
    REQUIRE(busy);
    REQUIRE(busy->status == 429);
    REQUIRE(absl::StrContains(busy->body, "Too many people are signing in right now"));
  }

  // Identity has capacity again: the right password signs in at once.
  parentsportal::identity::v1::SignInResponse response;
  response.set_session_token("new-session");
  fakes.identity.sign_in = response;
  httplib::Result signed_in = client.Post("/sign-in", Cookies(), form);
  REQUIRE(signed_in);
  CHECK(signed_in->status == 303);
}

TEST_CASE("change password renews the session cookie") {
  AccountFakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Result result = client.Post(
      "/change-password", Cookies("pp_session=session-1"),
      Form({{"current_password", "old password"}, {"new_password", "a long new password"}},
           "pp_session=session-1"));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(absl::StrContains(AllSetCookies(result), "pp_session=renewed-session; Path=/"));
  CHECK(fakes.identity.last_change_password.client_address() == "127.0.0.1");
}

TEST_CASE("forgot pages read the same either way") {
  AccountFakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result username_page = client.Get("/forgot-username");
  REQUIRE(username_page);
  CHECK(username_page->status == 200);
  CHECK(absl::StrContains(username_page->body, "name=\"postcode\""));
  CHECK(absl::StrContains(username_page->body, "name=\"gender\""));

  httplib::Result sent = client.Post("/forgot-username", Cookies(),
                                     Form({{"email", "aoife@example.com"},
                                           {"postcode", "DD1 4HN"},
                                           {"gender", "female"},
                                           {"date_of_birth", "1984-07-02"}}));
  REQUIRE(sent);
  CHECK(sent->status == 303);
  CHECK(sent->get_header_value("Location") == "/forgot-username?sent=1");
  CHECK(fakes.identity.last_forgot_username.postcode() == "DD1 4HN");
  CHECK(fakes.identity.last_forgot_username.client_address() == "127.0.0.1");

  httplib::Result reset = client.Post("/forgot-password", Cookies(),
                                      Form({{"username", "aoife@example.com"},
                                            {"email", "aoife@example.com"},
                                            {"postcode", "DD1 4HN"},
                                            {"date_of_birth-day", "2"},
                                            {"date_of_birth-month", "7"},
                                            {"date_of_birth-year", "1984"}}));
  REQUIRE(reset);
  CHECK(reset->status == 303);
  CHECK(reset->get_header_value("Location") == "/forgot-password?sent=1");
  CHECK(fakes.identity.last_forgot_password.date_of_birth() == "1984-07-02");

  for (const char* path : {"/forgot-username?sent=1", "/forgot-password?sent=1"}) {
    INFO(path);
    httplib::Result page = client.Get(path);
    REQUIRE(page);
    CHECK(
        absl::StrContains(page->body, "If these details match an account, we have sent an email"));
  }
}

TEST_CASE("forgot password shows a field error") {
  AccountFakes fakes;
  fakes.identity.forgot_status =
      absl::InvalidArgumentError("postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Result result = client.Post("/forgot-password", Cookies(),
                                       Form({{"username", "aoife@example.com"},
                                             {"email", "aoife@example.com"},
                                             {"postcode", "EH!1 2AB"},
                                             {"date_of_birth", "1984-07-02"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "postcode is not a UK postcode"));
  CHECK(absl::StrContains(result->body, "value=\"EH!1 2AB\""));
}

TEST_CASE("account page lists recent sign-ins") {
  AccountFakes fakes;
  identity::AccountEvent* event = fakes.identity.events.add_events();
  event->set_kind("signed_in");
  event->set_at("2026-12-04T11:58:00+00:00");
  event->set_source_address("198.51.100.7");
  event = fakes.identity.events.add_events();
  event->set_kind("sign_in_failed");
  event->set_at("2026-12-04T11:57:00+00:00");
  event->set_source_address("<script>");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/account", Cookies("pp_session=session-1"));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "Signed in"));
  CHECK(absl::StrContains(result->body, "198.51.100.7"));
  CHECK(absl::StrContains(result->body, "Wrong password"));
  CHECK(absl::StrContains(result->body, "&lt;script&gt;"));
  CHECK(absl::StrContains(result->body, "4 December 2026"));

  httplib::Result signed_out = client.Get("/account");
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
}

TEST_CASE("empty register form lists each field") {
  AccountFakes fakes;
  TestServer server(fakes.clients());

  httplib::Result result = server.Client().Post("/register", Cookies(), Form({}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(fakes.identity.calls == 0);
  const std::string& body = result->body;
  CHECK(absl::StrContains(body, "<title>Error: Create an account - Parents Portal</title>"));
  CHECK(absl::StrContains(body, "<a href=\"#forename\">Enter your first name</a>"));
  CHECK(absl::StrContains(body, "<a href=\"#surname\">Enter your last name</a>"));
  CHECK(absl::StrContains(body, "<a href=\"#email\">Enter your email address"));
  CHECK(absl::StrContains(body, "<a href=\"#postcode\">Enter your home postcode"));
  CHECK(absl::StrContains(body, "<a href=\"#gender\">Choose your gender"));
  CHECK(absl::StrContains(body, "<a href=\"#date_of_birth-day\">Enter the date of birth.</a>"));
}

}  // namespace pp::gateway
