#include "handoff_service.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "testing/temp_dir.h"

namespace pp::payments {
namespace {

const char kChildName[] = "Eilidh NicDhòmhnaill";
const char kParentName[] = "Mòrag NicDhòmhnaill";
const char kParentEmail[] = "morag.nicdhomhnaill@example.org";

api::CreateRequest NewRequest() {
  api::CreateRequest request;
  request.set_account_id("account-17");
  request.set_parent_name(kParentName);
  request.set_parent_email(kParentEmail);
  request.set_seed_code("5300011");
  request.set_school_name("Tayside Primary School");
  request.set_child_id("child-42");
  request.set_child_name(kChildName);
  request.set_stage("P5");
  return request;
}

class Fixture {
 public:
  Fixture() : clock_(absl::FromUnixSeconds(1780272000)) { Open(); }

  // Opens the store and the service again on the same folder, as a
  // restarted binary does.
  void Open() {
    service_.reset();
    store_.reset();
    auto store = HandoffStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    auto service = HandoffService::Load(*store_, clock_, HandoffOptions{});
    REQUIRE(service.ok());
    service_ = std::move(*service);
  }

  HandoffService& service() { return *service_; }
  HandoffStore& store() { return *store_; }
  FakeClock& clock() { return clock_; }
  std::string DatabasePath() const { return dir_.Path("data") + "/payments-handoff.db"; }

  api::CreateResponse Create() {
    absl::StatusOr<api::CreateResponse> created = service_->Create(NewRequest());
    REQUIRE(created.ok());
    return *created;
  }

  absl::StatusOr<api::RedeemResponse> Redeem(const std::string& token) {
    api::RedeemRequest request;
    request.set_token(token);
    return service_->Redeem(request);
  }

  absl::StatusOr<api::HandoffStatus> Complete(const std::string& id, const std::string& outcome,
                                              const std::string& reference) {
    api::CompleteRequest request;
    request.set_handoff_id(id);
    request.set_outcome(outcome);
    request.set_provider_reference(reference);
    return service_->Complete(request);
  }

  api::HandoffStatus Status(const std::string& id) {
    api::GetStatusRequest request;
    request.set_handoff_id(id);
    absl::StatusOr<api::HandoffStatus> status = service_->GetStatus(request);
    REQUIRE(status.ok());
    return *status;
  }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<HandoffStore> store_;
  std::unique_ptr<HandoffService> service_;
};

// Returns `text` with the character at `index` replaced by another
// base64url character, so that it still decodes but to other bytes.
std::string FlipCharacter(std::string text, size_t index) {
  text[index] = text[index] == 'A' ? 'B' : 'A';
  return text;
}

// Counts the rows of a table by opening the file directly with SQLite.
int64_t CountRows(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  std::string sql = "SELECT COUNT(*) FROM " + table;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  int64_t count = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return count;
}

// Returns the bytes of the database file and its write-ahead log.
std::string FileBytes(const std::string& path) { return ReadFile(path) + ReadFile(path + "-wal"); }

TEST_CASE("created token redeems for the hand-off's details") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  CHECK(created.provider_url() == "http://127.0.0.1:8090/pay");
  CHECK(created.expires_at() == "2026-06-01T00:05:00+00:00");
  CHECK(created.handoff_id().size() == 22);

  absl::StatusOr<api::RedeemResponse> redeemed = fixture.Redeem(created.token());
  REQUIRE(redeemed.ok());
  CHECK(redeemed->handoff_id() == created.handoff_id());
  CHECK(redeemed->child_name() == kChildName);
  CHECK(redeemed->parent_name() == kParentName);
  CHECK(redeemed->parent_email() == kParentEmail);
  CHECK(redeemed->seed_code() == "5300011");
  CHECK(redeemed->school_name() == "Tayside Primary School");
  CHECK(redeemed->stage() == "P5");
  CHECK(fixture.Status(created.handoff_id()).state() == api::REDEEMED);
}

TEST_CASE("tampered or malformed token is rejected") {
  Fixture fixture;
  std::string token = fixture.Create().token();
  size_t dot = token.find('.');
  REQUIRE(dot != std::string::npos);

  struct Case {
    const char* name;
    std::string token;
    absl::StatusCode code;
  };
  for (const Case& test : {
           Case{"payload byte flipped", FlipCharacter(token, 3),
                absl::StatusCode::kUnauthenticated},
           Case{"signature byte flipped", FlipCharacter(token, dot + 20),
                absl::StatusCode::kUnauthenticated},
           Case{"signature dropped", token.substr(0, dot + 1), absl::StatusCode::kUnauthenticated},
           Case{"no dot", token.substr(0, dot), absl::StatusCode::kInvalidArgument},
           Case{"three parts", token + ".AAAA", absl::StatusCode::kInvalidArgument},
           Case{"not base64url", "%%%." + token.substr(dot + 1),
                absl::StatusCode::kInvalidArgument},
           Case{"empty", "", absl::StatusCode::kInvalidArgument},
       }) {
    INFO(test.name);
    CHECK(fixture.Redeem(test.token).status().code() == test.code);
  }
  // None of those redeemed the hand-off.
  CHECK(fixture.Redeem(token).ok());
}

TEST_CASE("token from another signing key is rejected") {
  Fixture issuer;
  Fixture verifier;
  CHECK(verifier.Redeem(issuer.Create().token()).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("token expires after five minutes") {
  Fixture fixture;
  std::string early = fixture.Create().token();
  std::string late = fixture.Create().token();

  fixture.clock().Advance(absl::Minutes(5) - absl::Seconds(1));
  CHECK(fixture.Redeem(early).ok());

  fixture.clock().Advance(absl::Seconds(1));
  absl::Status expired = fixture.Redeem(late).status();
  CHECK(expired.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(expired.message()).find("expired") != std::string::npos);
}

TEST_CASE("token redeems only once") {
  Fixture fixture;
  std::string token = fixture.Create().token();
  REQUIRE(fixture.Redeem(token).ok());
  absl::Status again = fixture.Redeem(token).status();
  CHECK(again.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(again.message()).find("already redeemed") != std::string::npos);
}

TEST_CASE("completion deletes personal data from the file") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  REQUIRE(fixture.Redeem(created.token()).ok());

  // The search below finds the data while the hand-off still has it.
  REQUIRE(fixture.store().Checkpoint().ok());
  REQUIRE(FileBytes(fixture.DatabasePath()).find(kChildName) != std::string::npos);
  REQUIRE(fixture.Status(created.handoff_id()).holds_personal_data());

  absl::StatusOr<api::HandoffStatus> completed =
      fixture.Complete(created.handoff_id(), "paid", "provider-981");
  REQUIRE(completed.ok());
  CHECK(completed->state() == api::COMPLETED);
  CHECK(completed->outcome() == "paid");
  CHECK(completed->provider_reference() == "provider-981");
  CHECK_FALSE(completed->holds_personal_data());
  CHECK_FALSE(fixture.Status(created.handoff_id()).holds_personal_data());

  CHECK(CountRows(fixture.DatabasePath(), "handoff_details") == 0);
  CHECK(CountRows(fixture.DatabasePath(), "receipts") == 1);
  std::string bytes = FileBytes(fixture.DatabasePath());
  CHECK(bytes.find(kChildName) == std::string::npos);
  CHECK(bytes.find(kParentName) == std::string::npos);
  CHECK(bytes.find(kParentEmail) == std::string::npos);
}

TEST_CASE("repeated completion is idempotent") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  REQUIRE(fixture.Redeem(created.token()).ok());
  REQUIRE(fixture.Complete(created.handoff_id(), "cancelled", "provider-5").ok());

  absl::StatusOr<api::HandoffStatus> again =
      fixture.Complete(created.handoff_id(), "cancelled", "provider-5");
  REQUIRE(again.ok());
  CHECK(again->state() == api::COMPLETED);
  CHECK(again->outcome() == "cancelled");

  CHECK(fixture.Complete(created.handoff_id(), "paid", "provider-5").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.Complete(created.handoff_id(), "cancelled", "provider-6").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.Status(created.handoff_id()).outcome() == "cancelled");
}

TEST_CASE("completion needs a redeemed hand-off") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  CHECK(fixture.Complete(created.handoff_id(), "paid", "provider-1").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  api::HandoffStatus status = fixture.Status(created.handoff_id());
  CHECK(status.state() == api::CREATED);
  CHECK(status.holds_personal_data());
  CHECK(fixture.Complete("no-such-handoff", "paid", "provider-1").status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("completion rejects bad fields") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  REQUIRE(fixture.Redeem(created.token()).ok());
  CHECK(fixture.Complete(created.handoff_id(), "refunded", "provider-1").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Complete(created.handoff_id(), "paid", "").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Complete("", "paid", "provider-1").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Status(created.handoff_id()).state() == api::REDEEMED);
}

TEST_CASE("sweep expires unredeemed hand-offs") {
  Fixture fixture;
  api::CreateResponse stale = fixture.Create();
  fixture.clock().Advance(absl::Minutes(4));
  api::CreateResponse fresh = fixture.Create();

  fixture.clock().Advance(absl::Minutes(1));
  absl::StatusOr<int> swept = fixture.service().SweepExpired();
  REQUIRE(swept.ok());
  CHECK(*swept == 1);

  api::HandoffStatus status = fixture.Status(stale.handoff_id());
  CHECK(status.state() == api::EXPIRED);
  CHECK_FALSE(status.holds_personal_data());
  CHECK(fixture.Status(fresh.handoff_id()).state() == api::CREATED);
  CHECK(fixture.Redeem(stale.token()).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(FileBytes(fixture.DatabasePath()).find(kChildName) != std::string::npos);

  fixture.clock().Advance(absl::Minutes(4));
  REQUIRE(*fixture.service().SweepExpired() == 1);
  CHECK(CountRows(fixture.DatabasePath(), "handoff_details") == 0);
  CHECK(FileBytes(fixture.DatabasePath()).find(kChildName) == std::string::npos);
}

TEST_CASE("create sweeps expired hand-offs") {
  Fixture fixture;
  api::CreateResponse stale = fixture.Create();
  fixture.clock().Advance(absl::Minutes(6));
  fixture.Create();
  CHECK(fixture.Status(stale.handoff_id()).state() == api::EXPIRED);
}

TEST_CASE("sweep expires a redeemed hand-off never completed") {
  Fixture fixture;
  api::CreateResponse created = fixture.Create();
  REQUIRE(fixture.Redeem(created.token()).ok());

  fixture.clock().Advance(absl::Hours(23));
  CHECK(*fixture.service().SweepExpired() == 0);
  fixture.clock().Advance(absl::Hours(1));
  CHECK(*fixture.service().SweepExpired() == 1);

  CHECK_FALSE(fixture.Status(created.handoff_id()).holds_personal_data());
  CHECK(fixture.Complete(created.handoff_id(), "paid", "provider-1").status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("signing key survives a restart") {
  Fixture fixture;
  std::string public_key = fixture.service().public_key();
  CHECK(public_key.size() == 32);
  std::string token = fixture.Create().token();

  fixture.Open();
  CHECK(fixture.service().public_key() == public_key);
  CHECK(fixture.Redeem(token).ok());
}

TEST_CASE("store file is private to its owner") {
  Fixture fixture;
  std::filesystem::perms perms = std::filesystem::status(fixture.DatabasePath()).permissions();
  CHECK((perms & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("create rejects missing or malformed fields") {
  struct Case {
    const char* name;
    void (*change)(api::CreateRequest&);
  };
  Fixture fixture;
  for (const Case& test : {
           Case{"no account", [](api::CreateRequest& r) { r.clear_account_id(); }},
           Case{"no parent name", [](api::CreateRequest& r) { r.clear_parent_name(); }},
           Case{"no email", [](api::CreateRequest& r) { r.clear_parent_email(); }},
           Case{"email without @", [](api::CreateRequest& r) { r.set_parent_email("morag"); }},
           Case{"email with two @", [](api::CreateRequest& r) { r.set_parent_email("a@b@c"); }},
           Case{"short SEED code", [](api::CreateRequest& r) { r.set_seed_code("530001"); }},
           Case{"no school name", [](api::CreateRequest& r) { r.clear_school_name(); }},
           Case{"no child id", [](api::CreateRequest& r) { r.clear_child_id(); }},
           Case{"no child name", [](api::CreateRequest& r) { r.clear_child_name(); }},
           Case{"long child name",
                [](api::CreateRequest& r) { r.set_child_name(std::string(201, 'a')); }},
           Case{"no stage", [](api::CreateRequest& r) { r.clear_stage(); }},
       }) {
    INFO(test.name);
    api::CreateRequest request = NewRequest();
    test.change(request);
    CHECK(fixture.service().Create(request).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("status of an unknown hand-off is NotFound") {
  Fixture fixture;
  api::GetStatusRequest request;
  request.set_handoff_id("no-such-handoff");
  CHECK(fixture.service().GetStatus(request).status().code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace pp::payments
