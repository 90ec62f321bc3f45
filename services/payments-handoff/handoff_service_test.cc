#include "handoff_service.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "handoff_test_support.h"
#include "jwt.h"
#include "testing/temp_dir.h"

namespace pp::payments {
namespace {

using testing::EventBody;
using testing::ServiceFixture;
using testing::SignedCallback;

AssertionCheck Check() { return {testing::kIssuer, testing::kAudience}; }

// Returns the raw bytes of the database and its write-ahead log.
std::string FileBytes(const std::string& db_path) {
  return ReadFile(db_path) + ReadFile(db_path + "-wal");
}

TEST_CASE("create signs an assertion for the provider") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create("trips");
  CHECK(created.provider_url() == "http://127.0.0.1:8090/pay");
  CHECK(created.provider_name() == "Sandbox Pay");
  CHECK(created.expires_at() == "2026-06-01T00:01:00+00:00");

  absl::StatusOr<AssertionClaims> claims =
      VerifyAssertion(created.token(), fixture.Keys(), Check(), fixture.clock.Now());
  REQUIRE(claims.ok());
  CHECK(claims->jwt_id == created.handoff_id());
  CHECK(claims->pupil_ref == testing::kPupilRef);
  CHECK(claims->school == "5300011");
  CHECK(claims->service == "trips");
  CHECK(claims->expires_at - claims->issued_at == absl::Seconds(60));
  CHECK(claims->subject != testing::kAccount);
  CHECK_FALSE(absl::StrContains(created.token(), "Seán"));
}

TEST_CASE("create refuses what it cannot hand off") {
  ServiceFixture fixture;
  auto create = [&](const std::string& account, const std::string& child,
                    const std::string& service) {
    api::CreateRequest request;
    request.set_account_id(account);
    request.set_child_id(child);
    request.set_service(service);
    return fixture.service().Create(request).status().code();
  };
  CHECK(create(testing::kAccount, "child-9", "trips") == absl::StatusCode::kNotFound);
  CHECK(create("account-other", testing::kChild, "trips") == absl::StatusCode::kNotFound);
  CHECK(create(testing::kAccount, testing::kChild, "uniforms") ==
        absl::StatusCode::kInvalidArgument);
  CHECK(create(testing::kAccount, "", "trips") == absl::StatusCode::kInvalidArgument);

  fixture.children.links.begin()->second.set_seed_code("5300099");
  CHECK(create(testing::kAccount, testing::kChild, "trips") ==
        absl::StatusCode::kFailedPrecondition);
  fixture.children.unavailable = true;
  CHECK(create(testing::kAccount, testing::kChild, "trips") == absl::StatusCode::kUnavailable);
}

TEST_CASE("online services follow the providers file") {
  ServiceFixture fixture;
  api::ListOnlineServicesRequest request;
  for (const char* seed_code : {"5300028", "5300011", "5300099"}) request.add_seed_codes(seed_code);
  absl::StatusOr<api::ListOnlineServicesResponse> listed =
      fixture.service().ListOnlineServices(request);
  REQUIRE(listed.ok());
  REQUIRE(listed->schools_size() == 3);
  CHECK(listed->schools(0).seed_code() == "5300028");
  CHECK(std::vector<std::string>(listed->schools(0).services().begin(),
                                 listed->schools(0).services().end()) ==
        std::vector<std::string>{"school-meals"});
  CHECK(listed->schools(1).services_size() == 2);
  CHECK(listed->schools(2).seed_code() == "5300099");
  CHECK(listed->schools(2).services_size() == 0);

  api::ListOnlineServicesRequest wrong;
  wrong.add_seed_codes("530001");
  CHECK(fixture.service().ListOnlineServices(wrong).status().code() ==
        absl::StatusCode::kInvalidArgument);
  api::ListOnlineServicesRequest too_many;
  for (int i = 0; i < 101; ++i) too_many.add_seed_codes("5300011");
  CHECK(fixture.service().ListOnlineServices(too_many).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("pseudonym differs per provider") {
  ServiceFixture fixture;
  auto subject = [&](const std::string& audience) {
    api::CreateRequest request;
    request.set_account_id(testing::kAccount);
    request.set_child_id(testing::kChild);
    request.set_service("school-meals");
    absl::StatusOr<api::CreateResponse> created = fixture.service().Create(request);
    REQUIRE(created.ok());
    auto claims = VerifyAssertion(created->token(), fixture.Keys(), {testing::kIssuer, audience},
                                  fixture.clock.Now());
    REQUIRE(claims.ok());
    return claims->subject;
  };
  std::string first = subject(testing::kAudience);
  CHECK(subject(testing::kAudience) == first);
  fixture.children.links.begin()->second.set_seed_code("5300028");
  CHECK(subject("https://other.example.test") != first);
}

TEST_CASE("callback completes and deletes personal data") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();
  absl::StatusOr<AssertionClaims> claims =
      VerifyAssertion(created.token(), fixture.Keys(), Check(), fixture.clock.Now());
  REQUIRE(claims.ok());
  REQUIRE(fixture.Status(created.handoff_id()).holds_personal_data());
  std::string before = FileBytes(fixture.DatabasePath());
  // The personal data is on disk before completion, so the search below
  // can find it.
  REQUIRE((absl::StrContains(before, testing::kPupilRef) ||
           absl::StrContains(ReadFile(fixture.DatabasePath() + "-wal"), testing::kPupilRef)));

  fixture.clock.Advance(absl::Seconds(30));
  absl::StatusOr<api::CallbackResponse> answer = fixture.service().HandleCallback(
      SignedCallback(EventBody("evt-1", created.handoff_id()), fixture.clock.Now()));
  REQUIRE(answer.ok());
  CHECK(answer->state() == api::COMPLETED);
  CHECK_FALSE(answer->replayed());

  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::COMPLETED);
  CHECK(status.outcome() == "paid");
  CHECK_FALSE(status.holds_personal_data());
  CHECK(status.data_deleted_at() == "2026-06-01T00:00:30+00:00");

  std::string bytes = FileBytes(fixture.DatabasePath());
  CHECK_FALSE(absl::StrContains(bytes, testing::kPupilRef));
  CHECK_FALSE(absl::StrContains(bytes, testing::kAccount));
  CHECK_FALSE(absl::StrContains(bytes, claims->subject));
}

TEST_CASE("replayed callback gets the first answer") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();
  std::string body = EventBody("evt-1", created.handoff_id());
  REQUIRE(fixture.service().HandleCallback(SignedCallback(body, fixture.clock.Now())).ok());

  fixture.clock.Advance(absl::Seconds(10));
  absl::StatusOr<api::CallbackResponse> replay =
      fixture.service().HandleCallback(SignedCallback(body, fixture.clock.Now()));
  REQUIRE(replay.ok());
  CHECK(replay->replayed());
  CHECK(replay->state() == api::COMPLETED);
  CHECK(fixture.Status(created.handoff_id()).completed_at() == "2026-06-01T00:00:00+00:00");

  // The same event id with another body is not a replay.
  std::string changed = EventBody("evt-1", created.handoff_id(), "cancelled");
  CHECK(fixture.service()
            .HandleCallback(SignedCallback(changed, fixture.clock.Now()))
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.Status(created.handoff_id()).outcome() == "paid");

  // An error response is replayed too.
  std::string unknown = EventBody("evt-2", "no-such-handoff");
  CHECK(fixture.service()
            .HandleCallback(SignedCallback(unknown, fixture.clock.Now()))
            .status()
            .code() == absl::StatusCode::kNotFound);
  CHECK(fixture.service()
            .HandleCallback(SignedCallback(unknown, fixture.clock.Now()))
            .status()
            .code() == absl::StatusCode::kNotFound);
}

TEST_CASE("unauthenticated callbacks are rejected") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();
  std::string body = EventBody("evt-1", created.handoff_id());
  absl::Time now = fixture.clock.Now();

  api::CallbackRequest tampered = SignedCallback(body, now);
  tampered.set_body(EventBody("evt-1", created.handoff_id(), "cancelled"));
  api::CallbackRequest unknown_provider = SignedCallback(body, now, "nobody");
  api::CallbackRequest wrong_secret = SignedCallback(body, now, "sandbox", testing::kOtherSecret);
  api::CallbackRequest bad_timestamp = SignedCallback(body, now);
  bad_timestamp.set_timestamp("yesterday");
  struct Case {
    const char* name;
    api::CallbackRequest request;
  };
  Case cases[] = {
      {"body changed", tampered},
      {"unknown provider", unknown_provider},
      {"wrong secret", wrong_secret},
      {"timestamp not a number", bad_timestamp},
      {"timestamp 6 minutes old", SignedCallback(body, now - absl::Minutes(6))},
      {"timestamp 6 minutes ahead", SignedCallback(body, now + absl::Minutes(6))},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(fixture.service().HandleCallback(c.request).status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
  CHECK(fixture.Status(created.handoff_id()).state() == api::CREATED);
  CHECK(fixture.service().HandleCallback(SignedCallback(body, now - absl::Minutes(4))).ok());
}

TEST_CASE("another provider cannot complete a hand-off") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();
  std::string body = EventBody("evt-1", created.handoff_id());
  CHECK(
      fixture.service()
          .HandleCallback(SignedCallback(body, fixture.clock.Now(), "other", testing::kOtherSecret))
          .status()
          .code() == absl::StatusCode::kNotFound);
  CHECK(fixture.Status(created.handoff_id()).state() == api::CREATED);
}

TEST_CASE("hand-off expires after 30 minutes") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();

  fixture.clock.Advance(absl::Minutes(29));
  REQUIRE(fixture.service().SweepExpired().ok());
  CHECK(fixture.Status(created.handoff_id()).holds_personal_data());

  fixture.clock.Advance(absl::Minutes(1));
  absl::StatusOr<int> expired = fixture.service().SweepExpired();
  REQUIRE(expired.ok());
  CHECK(*expired == 1);
  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::EXPIRED);
  CHECK_FALSE(status.holds_personal_data());
  CHECK(status.data_deleted_at() == "2026-06-01T00:30:00+00:00");
  CHECK_FALSE(absl::StrContains(FileBytes(fixture.DatabasePath()), testing::kPupilRef));

  absl::StatusOr<api::CallbackResponse> late = fixture.service().HandleCallback(
      SignedCallback(EventBody("evt-1", created.handoff_id()), fixture.clock.Now()));
  CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("receipts belong to their parent") {
  ServiceFixture fixture;
  api::CreateResponse first = fixture.Create("trips");
  fixture.clock.Advance(absl::Minutes(1));
  api::CreateResponse second = fixture.Create("school-meals");
  REQUIRE(fixture.service()
              .HandleCallback(
                  SignedCallback(EventBody("evt-1", second.handoff_id()), fixture.clock.Now()))
              .ok());

  api::ListReceiptsRequest request;
  request.set_account_id(testing::kAccount);
  absl::StatusOr<api::ListReceiptsResponse> receipts = fixture.service().ListReceipts(request);
  REQUIRE(receipts.ok());
  REQUIRE(receipts->receipts_size() == 2);
  CHECK(receipts->receipts(0).handoff_id() == second.handoff_id());
  CHECK(receipts->receipts(0).provider_name() == "Sandbox Pay");
  CHECK(receipts->receipts(0).state() == api::COMPLETED);
  CHECK(receipts->receipts(0).data_deleted_at() == "2026-06-01T00:01:00+00:00");
  CHECK(receipts->receipts(1).handoff_id() == first.handoff_id());
  CHECK(receipts->receipts(1).created_at() == "2026-06-01T00:00:00+00:00");

  request.set_account_id("account-other");
  receipts = fixture.service().ListReceipts(request);
  REQUIRE(receipts.ok());
  CHECK(receipts->receipts_size() == 0);
}

TEST_CASE("rotated key stays published until tokens expire") {
  ServiceFixture fixture;
  api::CreateResponse before = fixture.Create();
  std::map<std::string, std::string> old_keys = fixture.Keys();
  REQUIRE(old_keys.size() == 1);

  absl::StatusOr<api::RotateSigningKeyResponse> rotated = fixture.service().RotateSigningKey();
  REQUIRE(rotated.ok());
  CHECK(rotated->retired_kid() == old_keys.begin()->first);
  CHECK(rotated->retired_kid_unpublished_after() == "2026-06-01T00:06:00+00:00");
  api::CreateResponse after = fixture.Create();

  // Both tokens verify against the key set published now.
  std::map<std::string, std::string> keys = fixture.Keys();
  CHECK(keys.size() == 2);
  CHECK(VerifyAssertion(before.token(), keys, Check(), fixture.clock.Now()).ok());
  CHECK(VerifyAssertion(after.token(), keys, Check(), fixture.clock.Now()).ok());

  fixture.clock.Advance(absl::Minutes(5) + absl::Seconds(59));
  REQUIRE(fixture.service().SweepExpired().ok());
  CHECK(fixture.Keys().size() == 2);
  fixture.clock.Advance(absl::Seconds(1));
  REQUIRE(fixture.service().SweepExpired().ok());
  keys = fixture.Keys();
  CHECK(keys.size() == 1);
  CHECK(keys.count(rotated->kid()) == 1);
}

TEST_CASE("keys and secrets survive a restart") {
  ServiceFixture fixture;
  api::CreateResponse created = fixture.Create();
  auto subject = [&](const std::string& token) {
    auto claims = VerifyAssertion(token, fixture.Keys(), Check(), fixture.clock.Now());
    REQUIRE(claims.ok());
    return claims->subject;
  };
  std::string first_subject = subject(created.token());
  fixture.Open();
  CHECK(subject(created.token()) == first_subject);
  CHECK(subject(fixture.Create().token()) == first_subject);
}

// Runs `command` and returns its exit status and standard output.
std::pair<int, std::string> Run(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST_CASE("PyJWT verifies assertion against published keys") {
  // The token is checked for real time, because PyJWT reads the system clock.
  SystemClock real_clock;
  TempDir dir;
  auto table = ParseProviders(testing::ProvidersJson());
  REQUIRE(table.ok());
  ProviderRegistry providers(std::move(*table));
  testing::FakeChildDirectory children;
  auto store = HandoffStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  HandoffOptions options;
  options.issuer = testing::kIssuer;
  auto service = HandoffService::Load(**store, providers, children, real_clock, options);
  REQUIRE(service.ok());
  api::CreateRequest request;
  request.set_account_id(testing::kAccount);
  request.set_child_id(testing::kChild);
  request.set_service("trips");
  absl::StatusOr<api::CreateResponse> created = (*service)->Create(request);
  REQUIRE(created.ok());

  httplib::Server server;
  server.Get("/.well-known/jwks.json", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(JwksJson(*(*service)->GetJwks()), "application/json");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread thread([&] { server.listen_after_bind(); });
  std::string url = absl::StrCat("http://127.0.0.1:", port, "/.well-known/jwks.json");
  auto verify = [&](const std::string& token, const std::string& audience) {
    return Run(absl::StrCat("/usr/bin/python3 ", PP_PYJWT_CHECK, " '", url, "' '", token, "' '",
                            audience, "' '", testing::kIssuer, "'"));
  };

  auto [status, output] = verify(created->token(), testing::kAudience);
  CHECK(status == 0);
  CHECK(output == created->handoff_id() + "\n");
  CHECK(verify(created->token(), "https://other.example.test").first == 1);
  std::string tampered = created->token();
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  CHECK(verify(tampered, testing::kAudience).first == 1);

  server.stop();
  thread.join();
}

TEST_CASE("open hand-off gauge counts personal data held") {
  ServiceFixture fixture;
  std::shared_ptr<prometheus::Collectable> gauges = fixture.store().Gauges();
  auto open_handoffs = [&] { return gauges->Collect().at(0).metric.at(0).gauge.value; };
  CHECK(open_handoffs() == 0);

  api::CreateResponse created = fixture.Create();
  CHECK(open_handoffs() == 1);

  fixture.clock.Advance(absl::Seconds(30));
  REQUIRE(fixture.service()
              .HandleCallback(
                  SignedCallback(EventBody("evt-1", created.handoff_id()), fixture.clock.Now()))
              .ok());
  CHECK(open_handoffs() == 0);
}

}  // namespace
}  // namespace pp::payments
