// The session cache alone, and the gateway using it. Pages reuse
// identity's response for a few seconds, and a session ended through this
// gateway stops working at once.
#include "gateway/session_cache.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr absl::Duration kTtl = absl::Seconds(5);

identity::GetSessionResponse SessionOf(const std::string& account_id) {
  identity::GetSessionResponse session;
  session.mutable_account()->set_account_id(account_id);
  return session;
}

FakeClock TestClock() {
  return FakeClock(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone()));
}

TEST_CASE("session cache entry expires") {
  FakeClock clock = TestClock();
  SessionCache cache(clock, kTtl);
  cache.Add("token-1", SessionOf("account-1"), cache.Ticket());
  REQUIRE(cache.Find("token-1").has_value());
  CHECK(cache.Find("token-1")->account().account_id() == "account-1");
  CHECK_FALSE(cache.Find("token-2").has_value());

  clock.Advance(kTtl - absl::Seconds(1));
  CHECK(cache.Find("token-1").has_value());
  clock.Advance(absl::Seconds(1));
  CHECK_FALSE(cache.Find("token-1").has_value());
}

TEST_CASE("session cache with zero ttl keeps nothing") {
  FakeClock clock = TestClock();
  SessionCache cache(clock, absl::ZeroDuration());
  cache.Add("token-1", SessionOf("account-1"), cache.Ticket());
  CHECK_FALSE(cache.Find("token-1").has_value());
}

TEST_CASE("response from before sign-out is dropped") {
  FakeClock clock = TestClock();
  SessionCache cache(clock, kTtl);
  // A page called identity, then the parent signed out before the
  // response was stored.
  uint64_t ticket = cache.Ticket();
  cache.Forget("token-1");
  cache.Add("token-1", SessionOf("account-1"), ticket);
  CHECK_FALSE(cache.Find("token-1").has_value());

  // The same for a password change, which ends the account's sessions.
  ticket = cache.Ticket();
  cache.ForgetAccount("account-1");
  cache.Add("token-1", SessionOf("account-1"), ticket);
  CHECK_FALSE(cache.Find("token-1").has_value());
}

TEST_CASE("forgetting an account keeps other accounts") {
  FakeClock clock = TestClock();
  SessionCache cache(clock, kTtl);
  cache.Add("token-1", SessionOf("account-1"), cache.Ticket());
  cache.Add("token-2", SessionOf("account-1"), cache.Ticket());
  cache.Add("token-3", SessionOf("account-2"), cache.Ticket());
  cache.ForgetAccount("account-1");
  CHECK_FALSE(cache.Find("token-1").has_value());
  CHECK_FALSE(cache.Find("token-2").has_value());
  CHECK(cache.Find("token-3").has_value());
}

TEST_CASE("full session cache adds only after expiry") {
  FakeClock clock = TestClock();
  SessionCache cache(clock, kTtl, 2);
  cache.Add("token-1", SessionOf("account-1"), cache.Ticket());
  cache.Add("token-2", SessionOf("account-2"), cache.Ticket());
  cache.Add("token-3", SessionOf("account-3"), cache.Ticket());
  CHECK(cache.Find("token-1").has_value());
  CHECK(cache.Find("token-2").has_value());
  CHECK_FALSE(cache.Find("token-3").has_value());

  clock.Advance(kTtl);
  cache.Add("token-3", SessionOf("account-3"), cache.Ticket());
  CHECK(cache.Find("token-3").has_value());
}

GatewayOptions CachingOptions() {
  GatewayOptions options = TestServer::TestOptions();
  options.session_cache_ttl = kTtl;
  return options;
}

httplib::Headers SignedIn(const std::string& session) {
  return {{"Cookie", absl::StrCat("pp_csrf=", kTestCsrf, "; pp_session=", session)}};
}

// Opens the home page with `session` and requires it to be served.
void RequireHomeServed(httplib::Client& client, const std::string& session) {
  httplib::Result home = client.Get("/", SignedIn(session));
  REQUIRE(home);
  REQUIRE(home->status == 200);
}

// Opens the home page with `session` and checks that it redirects to sign-in.
void CheckSentToSignIn(httplib::Client& client, const std::string& session) {
  httplib::Result home = client.Get("/", SignedIn(session));
  REQUIRE(home);
  CHECK(home->status == 303);
  CHECK(home->get_header_value("Location") == "/sign-in");
}

TEST_CASE("cached session spares identity calls") {
  SignedInFakes fakes;
  TestServer server(fakes.clients(), CachingOptions());
  httplib::Client client = server.Client();

  for (int page = 0; page < 3; ++page) {
    httplib::Result home = client.Get("/", SignedIn(kTestSession));
    REQUIRE(home);
    CHECK(home->status == 200);
  }
  CHECK(fakes.identity.calls == 1);
}

TEST_CASE("signed-out cookie stops working despite the cache") {
  SignedInFakes fakes;
  TestServer server(fakes.clients(), CachingOptions());
  httplib::Client client = server.Client();
  RequireHomeServed(client, kTestSession);

  httplib::Result signed_out =
      client.Post("/sign-out", SignedIn(kTestSession),
                  httplib::Params{{"csrf_token", TestCsrfField(kTestSession)}});
  REQUIRE(signed_out);
  REQUIRE(signed_out->status == 303);

  // The cookie as it was, replayed within the cache's lifetime.
  CheckSentToSignIn(client, kTestSession);
}

TEST_CASE("password change ends cached sessions of the account") {
  SignedInFakes fakes;
  fakes.identity.sessions["session-2"] = fakes.identity.sessions[kTestSession];
  TestServer server(fakes.clients(), CachingOptions());
  httplib::Client client = server.Client();
  for (const char* session : {kTestSession, "session-2"}) RequireHomeServed(client, session);

  // Identity ends the account's other sessions when its password changes.
  fakes.identity.sessions.erase("session-2");
  httplib::Result changed =
      client.Post("/change-password", SignedIn(kTestSession),
                  httplib::Params{{"current_password", "old password"},
                                  {"new_password", "a long new password"},
                                  {"csrf_token", TestCsrfField(kTestSession)}});
  REQUIRE(changed);
  REQUIRE(changed->status == 303);

  CheckSentToSignIn(client, "session-2");
}

TEST_CASE("one-time password sign-in ends cached sessions") {
  SignedInFakes fakes;
  TestServer server(fakes.clients(), CachingOptions());
  httplib::Client client = server.Client();
  RequireHomeServed(client, kTestSession);

  // Signing in with a one-time password ends the account's other sessions.
  fakes.identity.sessions.erase(kTestSession);
  identity::SignInResponse reset;
  reset.set_session_token("session-after-reset");
  reset.set_must_change_password(true);
  reset.mutable_account()->set_account_id("account-1");
  fakes.identity.sign_in = reset;
  httplib::Result signed_in =
      client.Post("/sign-in", {{"Cookie", absl::StrCat("pp_csrf=", kTestCsrf)}},
                  httplib::Params{{"username", "aoife@example.com"},
                                  {"password", "one-time password"},
                                  {"csrf_token", TestCsrfField()}});
  REQUIRE(signed_in);
  REQUIRE(signed_in->status == 303);

  CheckSentToSignIn(client, kTestSession);
}

}  // namespace
}  // namespace pp::gateway
