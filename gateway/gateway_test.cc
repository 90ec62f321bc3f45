// Handler tests: the real gateway on a loopback port, fake services behind
// the client interfaces, driven with httplib::Client.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/test_server.h"
#include "server/grpc_status.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;

using Fakes = SignedInFakes;

// The Cookie header of a browser that loaded a form, optionally signed in.
httplib::Headers Browser(const std::string& session = "") {
  std::string cookies = absl::StrCat("pp_csrf=", kTestCsrf);
  if (!session.empty()) absl::StrAppend(&cookies, "; pp_session=", session);
  return {{"Cookie", cookies}};
}

// Adds the csrf_token of a signed-out browser, which Browser() sends.
httplib::Params WithCsrf(httplib::Params params) {
  params.emplace("csrf_token", TestCsrfField());
  return params;
}

// Adds the csrf_token bound to `session`.
httplib::Params WithCsrf(const std::string& session, httplib::Params params) {
  params.emplace("csrf_token", TestCsrfField(session));
  return params;
}

std::string SetCookies(const httplib::Result& result) {
  std::string all;
  size_t count = result->get_header_value_count("Set-Cookie");
  for (size_t i = 0; i < count; ++i) {
    absl::StrAppend(&all, result->get_header_value("Set-Cookie", i), "\n");
  }
  return all;
}

link::Child MakeChild(const std::string& id, const std::string& forename) {
  link::Child child;
  child.set_child_id(id);
  child.set_forename(forename);
  child.set_surname("O'Neill");
  child.set_stage("P3");
  child.set_seed_code("5300011");
  child.set_school_name("Ashgrove Primary");
  return child;
}

TEST_CASE("healthz skips the services") {
  Fakes fakes;
  fakes.identity.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/healthz");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == "ok");
  CHECK(fakes.identity.calls == 0);
}

TEST_CASE("post without csrf token is rejected") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result =
      client.Post("/sign-in", Browser(),
                  httplib::Params{{"username", "a@example.com"}, {"password", "secret"}});
  REQUIRE(result);
  CHECK(result->status == 403);
  CHECK(absl::StrContains(result->body, "This form has expired"));
  CHECK(fakes.identity.calls == 0);
}

TEST_CASE("mismatched csrf token is rejected") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Params params{{"csrf_token", "another-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                         {"child", "child-1"}};
  httplib::Result result = client.Post("/services/payments", Browser(kSession), params);
  REQUIRE(result);
  CHECK(result->status == 403);
  CHECK(fakes.handoff.last_create.child_id().empty());
}

TEST_CASE("form page sets csrf cookie") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/register");
  REQUIRE(result);
  CHECK(result->status == 200);
  std::string cookies = SetCookies(result);
  REQUIRE(absl::StartsWith(cookies, "pp_csrf="));
  std::string cookie = cookies.substr(8, 43);
  CHECK(absl::StrContains(cookies, "HttpOnly; SameSite=Lax"));
  // The form carries an HMAC of the cookie, never the cookie itself.
  std::smatch match;
  REQUIRE(
      std::regex_search(result->body, match, std::regex("name=\"csrf_token\" value=\"([^\"]+)\"")));
  std::string field = match[1].str();
  CHECK(field.size() == 64);
  CHECK(field != cookie);
  CHECK_FALSE(absl::StrContains(result->body, cookie));
}

TEST_CASE("no session redirects to sign-in") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* path : {"/link", "/link/code", "/children/child-1", "/change-password"}) {
    INFO(path);
    httplib::Result result = client.Get(path);
    REQUIRE(result);
    CHECK(result->status == 303);
    CHECK(result->get_header_value("Location") == "/sign-in");
  }
}

TEST_CASE("expired session clears cookie") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/link", Browser("expired-session"));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/sign-in");
  CHECK(absl::StrContains(SetCookies(result), "pp_session=; Path=/; Max-Age=0"));
}

TEST_CASE("must-change-password redirects other pages") {
  Fakes fakes;
  fakes.identity.sessions[kSession].set_must_change_password(true);
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* path : {"/", "/link", "/children/child-1"}) {
    INFO(path);
    httplib::Result result = client.Get(path, Browser(kSession));
    REQUIRE(result);
    CHECK(result->status == 303);
    CHECK(result->get_header_value("Location") == "/change-password");
  }
  httplib::Result page = client.Get("/change-password", Browser(kSession));
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(absl::StrContains(page->body, "One-time password"));

  httplib::Result changed = client.Post(
      "/change-password", Browser(kSession),
      WithCsrf(kSession,
               {{"current_password", "otp-123"}, {"new_password", " long new password "}}));
  REQUIRE(changed);
  CHECK(changed->status == 303);
  CHECK(changed->get_header_value("Location") == "/");
  CHECK(fakes.identity.last_change_password.session_token() == kSession);
  CHECK(fakes.identity.last_change_password.new_password() == " long new password ");
}

TEST_CASE("change password shows service message") {
  Fakes fakes;
  fakes.identity.change_password_status =
      absl::InvalidArgumentError("Current password is not your current password");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/change-password", Browser(kSession),
      WithCsrf(kSession, {{"current_password", "wrong"}, {"new_password", "a long new password"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "Current password is not your current password"));
  CHECK_FALSE(absl::StrContains(result->body, "a long new password"));
}

TEST_CASE("change password lock names the current password") {
  Fakes fakes;
  fakes.identity.change_password_status = WithRetryDelay(
      absl::ResourceExhaustedError("current_password: Too many wrong current passwords were "
                                   "entered. Wait 2 minutes before you try again."),
      absl::Seconds(90));
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/change-password", Browser(kSession),
      WithCsrf(kSession, {{"current_password", "wrong"}, {"new_password", "a long new password"}}));
  REQUIRE(result);
  CHECK(result->status == 429);
  CHECK(result->get_header_value("Retry-After") == "90");
  CHECK(absl::StrContains(result->body,
                          "<a href=\"#current_password\">Too many wrong current passwords were "
                          "entered. Wait 2 minutes before you try again.</a>"));
  CHECK_FALSE(absl::StrContains(result->body, "href=\"#new_password\""));
}

TEST_CASE("change password after session ended") {
  Fakes fakes;
  fakes.identity.change_password_status = absl::UnauthenticatedError("the session has ended");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/change-password", Browser(kSession),
      WithCsrf(kSession,
               {{"current_password", "old password"}, {"new_password", "a long new password"}}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/sign-in");
}

TEST_CASE("sign-in sets session cookie") {
  Fakes fakes;
  fakes.identity.sign_in->set_session_token("new-session");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/sign-in", Browser(), WithCsrf({{"username", "aoife@example.com"}, {"password", "pw"}}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/");
  std::string cookies = SetCookies(result);
  CHECK(absl::StrContains(cookies, "pp_session=new-session; Path=/; HttpOnly; SameSite=Lax\n"));
  CHECK_FALSE(absl::StrContains(cookies, "Secure"));
  CHECK(fakes.identity.last_sign_in.username() == "aoife@example.com");
  CHECK(fakes.identity.last_sign_in.password() == "pw");
}

TEST_CASE("one-time password sign-in needs change") {
  Fakes fakes;
  fakes.identity.sign_in->set_session_token("new-session");
  fakes.identity.sign_in->set_must_change_password(true);
  GatewayOptions options = TestServer::TestOptions();
  options.secure_cookies = true;
  TestServer server(fakes.clients(), options);
  httplib::Client client = server.Client();

  // Over TLS the signed-out browser's CSRF cookie has the __Host- prefix.
  httplib::Headers browser{{"Cookie", absl::StrCat("__Host-pp_csrf=", kTestCsrf)}};
  httplib::Result result = client.Post(
      "/sign-in", browser, WithCsrf({{"username", "aoife@example.com"}, {"password", "otp"}}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/change-password");
  CHECK(absl::StrContains(SetCookies(result),
                          "pp_session=new-session; Path=/; HttpOnly; SameSite=Lax; Secure"));
}

TEST_CASE("failed sign-in shows generic message") {
  Fakes fakes;
  fakes.identity.sign_in = absl::UnauthenticatedError("wrong password for this account");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/sign-in", Browser(), WithCsrf({{"username", "aoife@example.com"}, {"password", "bad"}}));
  REQUIRE(result);
  CHECK(result->status == 401);
  CHECK(absl::StrContains(result->body, "class=\"ds_error-summary\""));
  CHECK(absl::StrContains(result->body,
                          "<a href=\"#username\">The email address or password is not right.</a>"));
  CHECK_FALSE(absl::StrContains(result->body, "wrong password for this account"));
  CHECK_FALSE(absl::StrContains(result->body, "value=\"bad\""));
  CHECK(SetCookies(result).find("pp_session") == std::string::npos);
}

TEST_CASE("register re-renders escaped values") {
  Fakes fakes;
  fakes.identity.register_status = absl::InvalidArgumentError("The postcode is not valid.");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/register", Browser(),
                                       WithCsrf({{"forename", "<script>O'Brien"},
                                                 {"surname", "Mac Aoidh"},
                                                 {"email", "x@example.com"},
                                                 {"postcode", "nowhere"},
                                                 {"gender", "female"},
                                                 {"date_of_birth", "1985-06-01"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "The postcode is not valid."));
  CHECK(absl::StrContains(result->body, "value=\"&lt;script&gt;O&apos;Brien\""));
  CHECK_FALSE(absl::StrContains(result->body, "<script>"));
  CHECK_FALSE(absl::StrContains(result->body, "O'Brien"));
  CHECK(fakes.identity.last_register.forename() == "<script>O'Brien");
}

TEST_CASE("register accepts both date shapes") {
  struct Case {
    httplib::Params date_fields;
    std::string expected;
  };
  const Case cases[] = {
      {{{"date_of_birth", "1985-06-01"}}, "1985-06-01"},
      {{{"date_of_birth-day", "1"}, {"date_of_birth-month", "6"}, {"date_of_birth-year", "1985"}},
       "1985-06-01"},
      {{{"date_of_birth-day", "29"}, {"date_of_birth-month", "02"}, {"date_of_birth-year", "1984"}},
       "1984-02-29"},
  };
  for (const Case& test : cases) {
    INFO(test.expected);
    Fakes fakes;
    TestServer server(fakes.clients());
    httplib::Client client = server.Client();
    httplib::Params params = WithCsrf({{"forename", "Seonag"},
                                       {"surname", "Mac Aoidh"},
                                       {"email", "s@example.com"},
                                       {"postcode", "DD1 4HN"},
                                       {"gender", "female"}});
    params.insert(test.date_fields.begin(), test.date_fields.end());

    httplib::Result result = client.Post("/register", Browser(), params);
    REQUIRE(result);
    CHECK(result->status == 303);
    CHECK(result->get_header_value("Location") == "/sign-in?registered=1");
    CHECK(fakes.identity.last_register.date_of_birth() == test.expected);
  }
}

TEST_CASE("forms that are not UTF-8 are rejected") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  const httplib::Params forms[] = {
      WithCsrf({{"forename", "O\xffk"},
                {"surname", "Mac Aoidh"},
                {"email", "s@example.com"},
                {"postcode", "DD1 4HN"},
                {"gender", "female"},
                {"date_of_birth", "1985-06-01"}}),
      WithCsrf({{"username", "s@example.com"}, {"password", "Caf\xe9 au lait 1234"}}),
  };
  const char* paths[] = {"/register", "/sign-in"};
  for (int i = 0; i < 2; ++i) {
    INFO(paths[i]);
    httplib::Result result = client.Post(paths[i], Browser(), forms[i]);
    REQUIRE(result);
    CHECK(result->status == 400);
    CHECK(absl::StrContains(result->body, "This form contains characters that cannot be read"));
  }
  CHECK(fakes.identity.last_register.email().empty());
}

TEST_CASE("register rejects impossible date") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/register", Browser(),
                                       WithCsrf({{"forename", "Seonag"},
                                                 {"date_of_birth-day", "30"},
                                                 {"date_of_birth-month", "2"},
                                                 {"date_of_birth-year", "1984"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "is not a real date"));
  CHECK(absl::StrContains(result->body,
                          "id=\"date_of_birth-day\" name=\"date_of_birth-day\" value=\"30\""));
  // Identity was asked only to check the other fields.
  CHECK(fakes.identity.calls == 1);
  CHECK(fakes.identity.last_register.validate_only());
}

TEST_CASE("register names every invalid field at once") {
  Fakes fakes;
  // What identity returns for the fields the gateway passes on.
  fakes.identity.register_check_status = absl::InvalidArgumentError(
      "surname is missing\n"
      "postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA\n"
      "date_of_birth is missing");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // The gateway finds the date wrong and the surname empty; identity finds
  // the postcode wrong as well.
  httplib::Result result = client.Post("/register", Browser(),
                                       WithCsrf({{"forename", "Seonag"},
                                                 {"email", "s@example.com"},
                                                 {"postcode", "nowhere"},
                                                 {"gender", "female"},
                                                 {"date_of_birth-day", "30"},
                                                 {"date_of_birth-month", "2"},
                                                 {"date_of_birth-year", "1984"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(fakes.identity.last_register.validate_only());
  const std::string& page = result->body;
  size_t surname = page.find("<a href=\"#surname\">Enter your last name</a>");
  size_t postcode = page.find(
      "<a href=\"#postcode\">Home postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA</a>");
  size_t date = page.find("<a href=\"#date_of_birth-day\">The date of birth is not a real date.");
  REQUIRE(surname != std::string::npos);
  REQUIRE(postcode != std::string::npos);
  REQUIRE(date != std::string::npos);
  // The summary lists them in the order of the form.
  CHECK(surname < postcode);
  CHECK(postcode < date);
  // Identity's "date_of_birth is missing" is left out, because the page
  // already names what is wrong with the date.
  CHECK_FALSE(absl::StrContains(page, "Date of birth is missing"));
}

TEST_CASE("register shows the age rule at the date") {
  Fakes fakes;
  fakes.identity.register_status =
      absl::InvalidArgumentError("date_of_birth: You must be 12 or over to register");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/register", Browser(),
                                       WithCsrf({{"forename", "Seonag"},
                                                 {"surname", "Mac Aoidh"},
                                                 {"email", "s@example.com"},
                                                 {"postcode", "DD1 4HN"},
                                                 {"gender", "female"},
                                                 {"date_of_birth", "2020-01-01"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK_FALSE(fakes.identity.last_register.validate_only());
  CHECK(absl::StrContains(result->body,
                          "<a href=\"#date_of_birth-day\">You must be 12 or over to register</a>"));
  CHECK_FALSE(absl::StrContains(result->body, "date_of_birth:"));
}

TEST_CASE("sign-in page after registering") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/sign-in?registered=1");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "emailed you a one-time password"));
}

TEST_CASE("service down shows the 503 page") {
  // A stopped service refuses the connection. One that stops while a call
  // is in flight ends the call as CANCELLED.
  for (const absl::Status& outage :
       {absl::UnavailableError("connection refused"), absl::CancelledError("CANCELLED")}) {
    INFO(outage.ToString());
    Fakes fakes;
    fakes.links.outage = outage;
    TestServer server(fakes.clients());
    httplib::Client client = server.Client();

    httplib::Result home = client.Get("/", Browser(kSession));
    REQUIRE(home);
    CHECK(home->status == 503);
    CHECK(absl::StrContains(home->body, "Sorry, the service is unavailable"));
    CHECK(absl::StrContains(home->body, "Try again in a few minutes."));
    CHECK(home->get_header_value("Retry-After") == "120");
    CHECK_FALSE(absl::StrContains(home->body, std::string(outage.message())));

    fakes.identity.outage = outage;
    httplib::Result sign_in = client.Post(
        "/sign-in", Browser(), WithCsrf({{"username", "aoife@example.com"}, {"password", "pw"}}));
    REQUIRE(sign_in);
    CHECK(sign_in->status == 503);
    CHECK(sign_in->get_header_value("Retry-After") == "120");
    CHECK(absl::StrContains(sign_in->body, "Sorry, the service is unavailable"));
  }
}

TEST_CASE("home lists children requests and events") {
  Fakes fakes;
  *fakes.links.links.add_children() = MakeChild("child-1", "Eilidh");
  *fakes.links.links.add_children() = MakeChild("child-2", "Ruairi");
  link::ParentLinkRequest* request = fakes.links.links.add_requests();
  request->set_state(link::PENDING);
  request->set_child_forename("Màiri");
  request->set_school_name("Hillside & Co. Academy");
  calendar::Event* event = fakes.calendar.events["5300011"].add_events();
  event->set_summary("Christmas concert");
  event->set_all_day(true);
  event->set_start("2026-12-17");
  event->set_end("2026-12-18");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/?requested=1", Browser(kSession));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "<a href=\"/children/child-1\">Eilidh O&apos;Neill</a>"));
  CHECK(absl::StrContains(result->body, "<a href=\"/children/child-2\">Ruairi O&apos;Neill</a>"));
  CHECK(absl::StrContains(result->body, "<h3>Màiri at Hillside &amp; Co. Academy</h3>"));
  CHECK(absl::StrContains(result->body, "Christmas concert</strong>, Thursday 17 December 2026"));
  CHECK(absl::StrContains(result->body, "Your request has been sent to the school"));
  CHECK(absl::StrContains(result->body, "name=\"child\" value=\"child-2\""));
  CHECK(absl::StrContains(result->body, "Pay for school meals"));
  CHECK(fakes.calendar.last_request.from() == "2026-12-04");
  CHECK(fakes.calendar.last_request.to() == "2027-02-02");
  CHECK(fakes.calendar.last_request.max_events() == 10);
}

TEST_CASE("home survives calendar outage") {
  Fakes fakes;
  *fakes.links.links.add_children() = MakeChild("child-1", "Eilidh");
  fakes.calendar.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/", Browser(kSession));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "Eilidh"));
  CHECK(absl::StrContains(result->body, "The school calendar cannot be shown right now"));
}

TEST_CASE("signed-out home is a welcome page") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "href=\"/register\""));
  CHECK(absl::StrContains(result->body, "href=\"/sign-in\""));
  CHECK(absl::StrContains(result->body, "<title>Parents Portal</title>"));
  CHECK(fakes.identity.calls == 0);
}

TEST_CASE("child page shows 90-day calendar") {
  Fakes fakes;
  *fakes.links.links.add_children() = MakeChild("child-1", "Eilidh");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/children/child-1", Browser(kSession));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "<title>Eilidh O&apos;Neill - Parents Portal</title>"));
  CHECK(absl::StrContains(result->body, "Ashgrove Primary"));
  CHECK(fakes.calendar.last_request.to() == "2027-03-04");

  httplib::Result other = client.Get("/children/child-9", Browser(kSession));
  REQUIRE(other);
  CHECK(other->status == 404);
}

TEST_CASE("link journey files a request") {
  Fakes fakes;
  fakes.links.start_link->set_attempt_id("attempt-7");
  link::CodeChannel* email = fakes.links.start_link->add_channels();
  email->set_channel("email");
  email->set_masked_destination("a****@example.com");
  link::CodeChannel* sms = fakes.links.start_link->add_channels();
  sms->set_channel("sms");
  sms->set_masked_destination("*******3474");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // Step 1: the parent's details come from the session, not from the form.
  httplib::Result started = client.Post("/link", Browser(kSession),
                                        WithCsrf(kSession, {{"child_forename", "Eilidh"},
                                                            {"child_surname", "O'Neill"},
                                                            {"child_date_of_birth-day", "7"},
                                                            {"child_date_of_birth-month", "3"},
                                                            {"child_date_of_birth-year", "2019"},
                                                            {"stage", "P2"},
                                                            {"postcode", "DD1 4HN"},
                                                            {"forename", "Mallory"},
                                                            {"account_id", "account-666"}}));
  REQUIRE(started);
  CHECK(started->status == 303);
  CHECK(started->get_header_value("Location") == "/link/code");
  CHECK(fakes.links.last_start_link.parent().account_id() == "account-1");
  CHECK(fakes.links.last_start_link.parent().forename() == "Aoife");
  CHECK(fakes.links.last_start_link.parent().email() == "aoife@example.com");
  CHECK(fakes.links.last_start_link.child_date_of_birth() == "2019-03-07");
  std::string set_cookie = started->get_header_value("Set-Cookie");
  REQUIRE(absl::StartsWith(set_cookie, "pp_link_attempt="));
  CHECK(absl::StrContains(set_cookie, "Max-Age=1800; HttpOnly; SameSite=Lax"));
  std::string attempt_cookie = set_cookie.substr(0, set_cookie.find(';'));
  httplib::Headers browser = Browser(kSession);
  browser.begin()->second += "; " + attempt_cookie;

  // Step 2: the channels, then the code.
  httplib::Result choose = client.Get("/link/code", browser);
  REQUIRE(choose);
  CHECK(choose->status == 200);
  CHECK(absl::StrContains(choose->body, "name=\"channel\" id=\"channel-email\" value=\"email\""));
  CHECK(absl::StrContains(choose->body, "Text message to *******3474"));

  httplib::Result sent =
      client.Post("/link/code", browser, WithCsrf(kSession, {{"channel", "sms"}}));
  REQUIRE(sent);
  CHECK(sent->status == 303);
  CHECK(sent->get_header_value("Location") == "/link/code?sent=sms");
  CHECK(fakes.links.last_send_code.attempt_id() == "attempt-7");
  CHECK(fakes.links.last_send_code.account_id() == "account-1");
  CHECK(fakes.links.last_send_code.channel() == "sms");

  httplib::Result code_page = client.Get("/link/code?sent=sms", browser);
  REQUIRE(code_page);
  CHECK(absl::StrContains(code_page->body, "name=\"code\""));
  CHECK(absl::StrContains(code_page->body, "action=\"/link/code?sent=sms\""));

  fakes.links.confirm_code_status = absl::InvalidArgumentError("That code is not right.");
  httplib::Result wrong =
      client.Post("/link/code?sent=sms", browser, WithCsrf(kSession, {{"code", "000000"}}));
  REQUIRE(wrong);
  CHECK(wrong->status == 422);
  CHECK(absl::StrContains(wrong->body, "That code is not right."));
  CHECK(absl::StrContains(wrong->body, "name=\"code\""));

  fakes.links.confirm_code_status = absl::OkStatus();
  httplib::Result confirmed =
      client.Post("/link/code?sent=sms", browser, WithCsrf(kSession, {{"code", "123456"}}));
  REQUIRE(confirmed);
  CHECK(confirmed->status == 303);
  CHECK(confirmed->get_header_value("Location") == "/?requested=1");
  CHECK(fakes.links.last_confirm_code.code() == "123456");
  CHECK(absl::StrContains(SetCookies(confirmed), "pp_link_attempt=; Path=/link; Max-Age=0"));
}

TEST_CASE("link code confirms without sent") {
  Fakes fakes;
  fakes.links.start_link->set_attempt_id("attempt-8");
  fakes.links.start_link->add_channels()->set_channel("email");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Headers browser = Browser(kSession);
  browser.begin()->second +=
      "; pp_link_attempt=" + crypto::Base64UrlEncode(fakes.links.start_link->SerializeAsString());

  httplib::Result confirmed =
      client.Post("/link/code", browser, WithCsrf(kSession, {{"code", "123456"}}));
  REQUIRE(confirmed);
  CHECK(confirmed->status == 303);
  CHECK(confirmed->get_header_value("Location") == "/?requested=1");
  CHECK(fakes.links.last_confirm_code.attempt_id() == "attempt-8");
  CHECK(fakes.links.last_confirm_code.code() == "123456");

  // Spaces and a dash between the digits, as a code is often copied.
  confirmed = client.Post("/link/code", browser, WithCsrf(kSession, {{"code", " 530 329 "}}));
  REQUIRE(confirmed);
  CHECK(confirmed->status == 303);
  CHECK(fakes.links.last_confirm_code.code() == "530329");
  confirmed = client.Post("/link/code", browser, WithCsrf(kSession, {{"code", "530-329"}}));
  REQUIRE(confirmed);
  CHECK(fakes.links.last_confirm_code.code() == "530329");
}

TEST_CASE("link code rejects unoffered channel") {
  Fakes fakes;
  fakes.links.start_link->set_attempt_id("attempt-8");
  fakes.links.start_link->add_channels()->set_channel("email");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Headers browser = Browser(kSession);
  browser.begin()->second +=
      "; pp_link_attempt=" + crypto::Base64UrlEncode(fakes.links.start_link->SerializeAsString());

  httplib::Result result =
      client.Post("/link/code", browser, WithCsrf(kSession, {{"channel", "sms"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "Choose where to send the security code."));
  CHECK(fakes.links.last_send_code.channel().empty());
}

TEST_CASE("link mismatch shows the service message") {
  Fakes fakes;
  fakes.links.start_link = absl::NotFoundError("We could not match these details.");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/link", Browser(kSession),
                                       WithCsrf(kSession, {{"child_forename", "Eilidh"},
                                                           {"child_surname", "O'Neill"},
                                                           {"child_date_of_birth", "2019-03-07"},
                                                           {"stage", "P2"},
                                                           {"postcode", "DD1"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  CHECK(absl::StrContains(result->body, "We could not match these details."));
  // The summary names no field, so it cannot hint at which detail was wrong.
  CHECK_FALSE(absl::StrContains(result->body, "href=\"#child_"));
  CHECK(result->body.find("We could not match") == result->body.rfind("We could not match"));
  CHECK(absl::StrContains(result->body, "value=\"O&apos;Neill\""));
  CHECK(absl::StrContains(result->body, "<option value=\"P2\" selected>"));
}

TEST_CASE("link form names every mistake at once") {
  Fakes fakes;
  // What link-verification returns for the fields the gateway passes on.
  fakes.links.start_link_check_status = absl::InvalidArgumentError(
      "child_forename: The child's first name can contain only letters, spaces, hyphens, "
      "apostrophes and full stops.\n"
      "child_date_of_birth: Enter the child's date of birth as DD/MM/YYYY or YYYY-MM-DD.\n"
      "stage: Enter the child's stage: P1 to P7, or S1 to S6.\n"
      "postcode: Enter the child's home postcode, for example PH1 8NR.");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // The gateway finds the last name empty and the date wrong itself.
  httplib::Result result = client.Post("/link", Browser(kSession),
                                       WithCsrf(kSession, {{"child_forename", "Gr4ce"},
                                                           {"child_date_of_birth-day", "32"},
                                                           {"child_date_of_birth-month", "1"},
                                                           {"child_date_of_birth-year", "2019"},
                                                           {"stage", "P9"},
                                                           {"postcode", "PH!"}}));
  REQUIRE(result);
  CHECK(result->status == 422);
  // Only a check was asked for: no try of the parent's was used.
  CHECK(fakes.links.last_start_link.validate_only());
  CHECK(fakes.links.start_links == 0);
  const std::string& page = result->body;
  const size_t forename = page.find("href=\"#child_forename\">The child&apos;s first name can");
  const size_t surname = page.find("href=\"#child_surname\">Enter your child&apos;s last name");
  const size_t date = page.find(
      "href=\"#child_date_of_birth-day\">The child&apos;s date of birth is "
      "not a real date");
  const size_t stage = page.find("href=\"#stage\">Enter the child&apos;s stage");
  const size_t postcode = page.find("href=\"#postcode\">Enter the child&apos;s home postcode");
  REQUIRE(forename != std::string::npos);
  REQUIRE(surname != std::string::npos);
  REQUIRE(date != std::string::npos);
  REQUIRE(stage != std::string::npos);
  REQUIRE(postcode != std::string::npos);
  // In the order of the form.
  CHECK(forename < surname);
  CHECK(surname < date);
  CHECK(date < stage);
  CHECK(stage < postcode);
  // The date is named once, with the gateway's own message.
  CHECK_FALSE(absl::StrContains(page, "as DD/MM/YYYY or YYYY-MM-DD"));
}

TEST_CASE("link limit sends Retry-After") {
  Fakes fakes;
  fakes.links.start_link = WithRetryDelay(
      absl::ResourceExhaustedError(
          "You have tried to link a child 10 times in the last 24 hours. You can try again from "
          "10:02 UK time on Thursday 5 March."),
      absl::Hours(23) + absl::Seconds(1));
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/link", Browser(kSession),
                                       WithCsrf(kSession, {{"child_forename", "Eilidh"},
                                                           {"child_surname", "O'Neill"},
                                                           {"child_date_of_birth", "2019-03-07"},
                                                           {"stage", "P2"},
                                                           {"postcode", "DD1 4HN"}}));
  REQUIRE(result);
  CHECK(result->status == 429);
  CHECK(absl::StrContains(result->body, "You can try again from 10:02 UK time"));
  // The limit is about the whole form, not one field.
  CHECK_FALSE(absl::StrContains(result->body, "href=\"#child_"));
  CHECK(result->get_header_value("Retry-After") == "82801");
}

TEST_CASE("link code without attempt redirects") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Headers browser = Browser(kSession);
  browser.begin()->second += "; pp_link_attempt=not*base64";
  httplib::Result result = client.Get("/link/code", browser);
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/link");
}

TEST_CASE("payments page posts token to provider") {
  Fakes fakes;
  *fakes.links.links.add_children() = MakeChild("child-1", "Eilidh");
  fakes.handoff.create->set_token("signed.token");
  fakes.handoff.create->set_provider_url("https://pay.example.test/sso?school=1&x=2");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/services/payments", Browser(kSession),
                                       WithCsrf(kSession, {{"child", "child-1"}}));
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(
      absl::StrContains(result->body, "action=\"https://pay.example.test/sso?school=1&amp;x=2\""));
  CHECK(absl::StrContains(result->body, "name=\"token\" value=\"signed.token\""));
  CHECK(absl::StrContains(result->body, "Continue to the payment provider"));
  CHECK(fakes.handoff.last_create.account_id() == "account-1");
  CHECK(fakes.handoff.last_create.child_id() == "child-1");
  CHECK(fakes.handoff.last_create.service() == "school-meals");
  CHECK(fakes.handoff.last_create.parent_name().empty());
}

TEST_CASE("payments for unlinked child is 404") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/services/payments", Browser(kSession),
                                       WithCsrf(kSession, {{"child", "child-9"}}));
  REQUIRE(result);
  CHECK(result->status == 404);
  CHECK(fakes.handoff.last_create.child_id().empty());
}

TEST_CASE("sign-out ends session") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/sign-out", Browser(kSession), WithCsrf(kSession, {}));
  REQUIRE(result);
  CHECK(result->status == 303);
  CHECK(result->get_header_value("Location") == "/");
  CHECK(fakes.identity.last_sign_out.session_token() == kSession);
  CHECK(absl::StrContains(SetCookies(result), "pp_session=; Path=/; Max-Age=0"));
}

TEST_CASE("handler exception gives clean 500") {
  Fakes fakes;
  fakes.links.throw_from_list = true;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/", Browser(kSession));
  REQUIRE(result);
  CHECK(result->status == 500);
  CHECK(absl::StrContains(result->body, "Sorry, there is a problem with the service"));
  CHECK_FALSE(absl::StrContains(result->body, "internal detail"));
  CHECK_FALSE(result->has_header("EXCEPTION_WHAT"));
}

TEST_CASE("unknown address gives a 404 page") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/no-such-page");
  REQUIRE(result);
  CHECK(result->status == 404);
  CHECK(absl::StrContains(result->body, "<html lang=\"en\">"));
  CHECK(absl::StrContains(result->body, "Page not found"));
}

}  // namespace
}  // namespace pp::gateway
