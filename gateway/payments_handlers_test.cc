// Payments handler tests: the real gateway on a loopback port with a fake
// payments-handoff service behind the client interface.
#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;

struct Fakes : SignedInFakes {
  Fakes() {
    link::Child* child = links.links.add_children();
    child->set_child_id("child-1");
    child->set_forename("Eilidh");
    child->set_seed_code("5300011");
    child->set_school_name("Ashgrove Primary");
  }
};

httplib::Headers Browser() {
  return {{"Cookie", absl::StrCat("pp_csrf=", kTestCsrf, "; pp_session=", kSession)}};
}

TEST_CASE("hand-off page submits itself by script") {
  Fakes fakes;
  fakes.handoff.create->set_token("header.claims.signature");
  fakes.handoff.create->set_provider_url("https://pay.example.test/sso");
  fakes.handoff.create->set_provider_name("Sandbox <Pay>");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post(
      "/services/payments", Browser(),
      httplib::Params{
          {"csrf_token", TestCsrfField(kSession)}, {"child", "child-1"}, {"service", "trips"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(fakes.handoff.last_create.service() == "trips");
  CHECK(absl::StrContains(result->body, "<form id=\"handoff\" method=\"post\""));
  std::string script_url = TestAssets().Url("handoff.js");
  REQUIRE_FALSE(script_url.empty());
  CHECK(absl::StrContains(
      result->body, absl::StrCat("<script type=\"module\" src=\"", script_url, "\"></script>")));
  CHECK(absl::StrContains(result->body, "Sandbox &lt;Pay&gt;"));
  CHECK(result->get_header_value("Cache-Control") == "no-store");
  // The page's form may post to the provider, and to nowhere else.
  CHECK(absl::EndsWith(result->get_header_value("Content-Security-Policy"),
                       "form-action 'self' https://pay.example.test"));

  httplib::Result script = client.Get(script_url);
  REQUIRE(script);
  CHECK(script->status == 200);
  CHECK(absl::StrContains(script->body, "handoff.submit()"));
}

TEST_CASE("school without provider gets a clear page") {
  struct Case {
    const char* service;
    const char* description;
  };
  for (const Case& c : {Case{"school-meals", "school meals"}, Case{"trips", "trips"}}) {
    INFO(c.service);
    Fakes fakes;
    fakes.handoff.create = absl::FailedPreconditionError(
        absl::StrCat("Ashgrove Primary takes no online payments for ", c.service));
    TestServer server(fakes.clients());
    httplib::Result result = server.Client().Post(
        "/services/payments", Browser(),
        httplib::Params{
            {"csrf_token", TestCsrfField(kSession)}, {"child", "child-1"}, {"service", c.service}});
    REQUIRE(result);
    CHECK(result->status == 422);
    CHECK(absl::StrContains(
        result->body,
        absl::StrCat("Ashgrove Primary does not take online payments for ", c.description, ".")));
    // The service's own message is not shown.
    CHECK_FALSE(absl::StrContains(result->body, "takes no online payments"));
  }
}

TEST_CASE("unknown payment service is rejected") {
  for (const char* value : {"lunch-money", "School-Meals", "trip", "<b>trips</b>"}) {
    INFO(value);
    Fakes fakes;
    fakes.handoff.create = absl::InvalidArgumentError(
        absl::StrCat("`service` must be school-meals or trips, got \"", value, "\""));
    TestServer server(fakes.clients());
    httplib::Result result = server.Client().Post(
        "/services/payments", Browser(),
        httplib::Params{
            {"csrf_token", TestCsrfField(kSession)}, {"child", "child-1"}, {"service", value}});
    REQUIRE(result);
    CHECK(result->status == 400);
    CHECK(absl::StrContains(result->body, "We did not recognise the payment you chose"));
    CHECK_FALSE(absl::StrContains(result->body, "must be school-meals"));
    CHECK_FALSE(absl::StrContains(result->body, "lunch-money"));
    // The hand-off service is not called.
    CHECK(fakes.handoff.last_create.service().empty());
  }
}

TEST_CASE("payment form without service pays school meals") {
  Fakes fakes;
  fakes.handoff.create->set_provider_url("https://pay.example.test/sso");
  TestServer server(fakes.clients());
  httplib::Result result = server.Client().Post(
      "/services/payments", Browser(),
      httplib::Params{{"csrf_token", TestCsrfField(kSession)}, {"child", "child-1"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(fakes.handoff.last_create.service() == "school-meals");
}

TEST_CASE("unexpected payment rejection is 500") {
  Fakes fakes;
  fakes.handoff.create = absl::InvalidArgumentError("`child_id` is longer than 200 bytes");
  TestServer server(fakes.clients());
  httplib::Result result = server.Client().Post(
      "/services/payments", Browser(),
      httplib::Params{
          {"csrf_token", TestCsrfField(kSession)}, {"child", "child-1"}, {"service", "trips"}});
  REQUIRE(result);
  CHECK(result->status == 500);
  CHECK_FALSE(absl::StrContains(result->body, "child_id"));
}

TEST_CASE("payment for unknown child is not found") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Result result = server.Client().Post(
      "/services/payments", Browser(),
      httplib::Params{
          {"csrf_token", TestCsrfField(kSession)}, {"child", "child-9"}, {"service", "trips"}});
  REQUIRE(result);
  CHECK(result->status == 404);
  CHECK_FALSE(absl::StrContains(result->body, "no such child"));
  CHECK(fakes.handoff.last_create.child_id().empty());
}

TEST_CASE("callback passes raw body and headers") {
  Fakes fakes;
  fakes.handoff.callback->set_event_id("evt-1");
  fakes.handoff.callback->set_handoff_id("handoff-1");
  fakes.handoff.callback->set_state(payments::COMPLETED);
  fakes.handoff.callback->set_replayed(true);
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  std::string body = "{\"event_id\":\"evt-1\"}";
  httplib::Headers headers = {{"Payment-Provider", "sandbox"},
                              {"Payment-Timestamp", "1780272000"},
                              {"Payment-Signature", "v1=abc"}};
  httplib::Result result =
      client.Post("/services/payments/callback", headers, body, "application/json");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body ==
        "{\"event_id\":\"evt-1\",\"handoff_id\":\"handoff-1\",\"state\":\"completed\","
        "\"replayed\":true}");
  CHECK(fakes.handoff.last_callback.provider_id() == "sandbox");
  CHECK(fakes.handoff.last_callback.timestamp() == "1780272000");
  CHECK(fakes.handoff.last_callback.signature() == "v1=abc");
  CHECK(fakes.handoff.last_callback.body() == body);
}

TEST_CASE("callback errors map to HTTP statuses") {
  struct Case {
    absl::Status status;
    int http_status;
  };
  Case cases[] = {
      {absl::UnauthenticatedError("bad signature"), 401},
      {absl::InvalidArgumentError("bad body"), 400},
      {absl::NotFoundError("no hand-off"), 404},
      {absl::FailedPreconditionError("expired"), 409},
      {absl::UnavailableError("down"), 503},
  };
  for (const Case& c : cases) {
    INFO(c.status.ToString());
    Fakes fakes;
    fakes.handoff.callback = c.status;
    TestServer server(fakes.clients());
    httplib::Result result =
        server.Client().Post("/services/payments/callback", "{}", "application/json");
    REQUIRE(result);
    CHECK(result->status == c.http_status);
    CHECK(absl::StrContains(result->body, std::string(c.status.message())));
  }
}

TEST_CASE("key set is published as JSON") {
  Fakes fakes;
  payments::JsonWebKey* key = fakes.handoff.jwks->add_keys();
  key->set_kty("OKP");
  key->set_crv("Ed25519");
  key->set_x("abc");
  key->set_kid("kid-1");
  key->set_alg("EdDSA");
  key->set_use("sig");
  TestServer server(fakes.clients());
  httplib::Result result = server.Client().Get("/.well-known/jwks.json");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body ==
        "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"abc\",\"kid\":\"kid-1\","
        "\"alg\":\"EdDSA\",\"use\":\"sig\"}]}");
  CHECK(result->get_header_value("Content-Type") == "application/json");
}

TEST_CASE("receipts page lists hand-offs") {
  Fakes fakes;
  payments::HandoffStatus* receipt = fakes.handoff.receipts->add_receipts();
  receipt->set_provider_name("Sandbox Pay");
  receipt->set_service("trips");
  receipt->set_state(payments::COMPLETED);
  receipt->set_outcome("paid");
  receipt->set_created_at("2026-06-01T00:00:00+00:00");
  receipt->set_completed_at("2026-06-01T00:02:00+00:00");
  receipt->set_data_deleted_at("2026-06-01T00:02:00+00:00");
  TestServer server(fakes.clients());
  httplib::Result result = server.Client().Get("/services/payments/receipts", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(fakes.handoff.last_receipts.account_id() == "account-1");
  CHECK(absl::StrContains(result->body, "Sandbox Pay"));
  // Times are shown as UK time, as on the account page: 01:02 British
  // Summer Time.
  CHECK(absl::StrContains(
      result->body,
      "Handed off at</dt><dd class=\"ds_summary-list__value\">1 June 2026, 01:00</dd>"));
  CHECK(absl::StrContains(result->body, "Completed (paid) at 1 June 2026, 01:02"));
  CHECK(absl::StrContains(
      result->body,
      "Data deleted at</dt><dd class=\"ds_summary-list__value\">1 June 2026, 01:02</dd>"));

  httplib::Result signed_out = server.Client().Get("/services/payments/receipts");
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
}

}  // namespace
}  // namespace pp::gateway
