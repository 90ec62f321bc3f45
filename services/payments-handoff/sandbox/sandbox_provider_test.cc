#include "sandbox_provider.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "handoff_test_support.h"

namespace pp::payments {
namespace {

// The service, a loopback HTTP server in the gateway's place (key set and
// callback route) and the sandbox provider, which reaches the service only
// over HTTP.
class SandboxFixture : public testing::ServiceFixture {
 public:
  SandboxFixture() {
    portal_.Get("/.well-known/jwks.json", [this](const httplib::Request&, httplib::Response& r) {
      ++jwks_fetches;
      r.set_content(JwksJson(*service().GetJwks()), "application/json");
    });
    portal_.Post("/callback", [this](const httplib::Request& q, httplib::Response& r) {
      api::CallbackRequest request;
      request.set_provider_id(q.get_header_value("Payment-Provider"));
      request.set_timestamp(q.get_header_value("Payment-Timestamp"));
      request.set_signature(q.get_header_value("Payment-Signature"));
      request.set_body(q.body);
      absl::StatusOr<api::CallbackResponse> answer = service().HandleCallback(request);
      last_callback_replayed = answer.ok() && answer->replayed();
      r.status = answer.ok() ? 200 : 400;
    });
    int portal_port = portal_.bind_to_any_port("127.0.0.1");
    REQUIRE(portal_port > 0);
    portal_thread_ = std::thread([this] { portal_.listen_after_bind(); });
    std::string origin = absl::StrCat("http://127.0.0.1:", portal_port);

    keys_ = std::make_unique<HttpKeySource>(origin + "/.well-known/jwks.json");
    SandboxOptions options{"sandbox",        testing::kAudience,   testing::kIssuer,
                           testing::kSecret, origin + "/callback", "http://127.0.0.1:1/done"};
    sandbox_ = std::make_unique<SandboxProvider>(options, *keys_, clock);
    absl::StatusOr<int> port = sandbox_->Start("127.0.0.1:0");
    REQUIRE(port.ok());
    browser_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }

  ~SandboxFixture() {
    sandbox_->Stop();
    portal_.stop();
    portal_thread_.join();
  }

  httplib::Result Pay(const std::string& token) {
    return browser_->Post("/pay", httplib::Params{{"token", token}});
  }
  httplib::Result Complete(const std::string& id) {
    return browser_->Post("/pay/complete",
                          httplib::Params{{"handoff_id", id}, {"outcome", "paid"}});
  }

  int jwks_fetches = 0;
  bool last_callback_replayed = false;

 private:
  httplib::Server portal_;
  std::thread portal_thread_;
  std::unique_ptr<HttpKeySource> keys_;
  std::unique_ptr<SandboxProvider> sandbox_;
  std::unique_ptr<httplib::Client> browser_;
};

TEST_CASE("second sandbox on a taken port fails") {
  FakeClock clock(absl::FromUnixSeconds(1780272000));
  HttpKeySource keys("http://127.0.0.1:1/.well-known/jwks.json");
  SandboxOptions options{"sandbox",        testing::kAudience,        testing::kIssuer,
                         testing::kSecret, "http://127.0.0.1:1/back", "http://127.0.0.1:1/done"};
  SandboxProvider first(options, keys, clock);
  absl::StatusOr<int> port = first.Start("127.0.0.1:0");
  REQUIRE(port.ok());

  SandboxProvider second(options, keys, clock);
  const std::string address = absl::StrCat("127.0.0.1:", *port);
  absl::StatusOr<int> taken = second.Start(address);
  CHECK(taken.status().code() == absl::StatusCode::kUnavailable);
  CHECK(taken.status().message() ==
        "cannot listen on " + address + ": the address is in use or not local");
}

TEST_CASE("sandbox accepts a token once") {
  SandboxFixture fixture;
  api::CreateResponse created = fixture.Create();
  httplib::Result page = fixture.Pay(created.token());
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(absl::StrContains(page->body, testing::kPupilRef));
  CHECK(absl::StrContains(page->body, "value=\"" + created.handoff_id() + "\""));

  httplib::Result replay = fixture.Pay(created.token());
  REQUIRE(replay);
  CHECK(replay->status == 400);
  CHECK(absl::StrContains(replay->body, "used before"));
}

TEST_CASE("sandbox refuses bad tokens") {
  SandboxFixture fixture;
  api::CreateResponse expired = fixture.Create();
  fixture.clock.Advance(absl::Seconds(66));
  api::CreateResponse fresh = fixture.Create();
  std::string tampered = fresh.token();
  size_t dot = tampered.find('.');
  tampered[dot + 3] = tampered[dot + 3] == 'A' ? 'B' : 'A';
  fixture.children.links.begin()->second.set_seed_code("5300028");
  api::CreateResponse other_audience = fixture.Create();

  struct Case {
    const char* name;
    std::string token;
    const char* message;
  };
  Case cases[] = {
      {"expired", expired.token(), "expired"},
      {"tampered", tampered, "signature"},
      {"other audience", other_audience.token(), "aud"},
      {"not a token", "hello", "three parts"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    httplib::Result page = fixture.Pay(c.token);
    REQUIRE(page);
    CHECK(page->status == 400);
    CHECK(absl::StrContains(page->body, c.message));
  }
  // The refused tokens did not use up the fresh one.
  httplib::Result page = fixture.Pay(fresh.token());
  REQUIRE(page);
  CHECK(page->status == 200);
}

TEST_CASE("sandbox completes with a signed callback") {
  SandboxFixture fixture;
  api::CreateResponse created = fixture.Create();
  REQUIRE(fixture.Pay(created.token())->status == 200);

  httplib::Result done = fixture.Complete(created.handoff_id());
  REQUIRE(done);
  CHECK(done->status == 303);
  CHECK(done->get_header_value("Location") == "http://127.0.0.1:1/done");
  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::COMPLETED);
  CHECK_FALSE(status.holds_personal_data());
  CHECK_FALSE(fixture.last_callback_replayed);

  // A second submission sends the same event, and the portal returns the same response.
  REQUIRE(fixture.Complete(created.handoff_id())->status == 303);
  CHECK(fixture.last_callback_replayed);

  CHECK(fixture.Complete("never-accepted")->status == 400);
}

TEST_CASE("sandbox fetches keys again after rotation") {
  SandboxFixture fixture;
  REQUIRE(fixture.Pay(fixture.Create().token())->status == 200);
  CHECK(fixture.jwks_fetches == 1);

  REQUIRE(fixture.service().RotateSigningKey().ok());
  fixture.clock.Advance(absl::Seconds(5));
  REQUIRE(fixture.Pay(fixture.Create().token())->status == 200);
  CHECK(fixture.jwks_fetches == 2);
}

}  // namespace
}  // namespace pp::payments
