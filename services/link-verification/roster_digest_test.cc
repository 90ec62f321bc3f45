#include "roster_digest.h"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "store/store.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::Fixture;
using testing::kTayside;
using testing::TaysideRows;

struct DigestInput {
  std::vector<RosterPupil> pupils = {
      {"P1", "Noah", "", "McDonald", "2020-10-01", "P3", "PH3 2QY", false}};
  std::vector<RosterContact> contacts = {{"P1", "C1", "Karen", "Taylor", true, "karen@example.com",
                                          "+447294053474", "", "PH3 2QY", false}};
  std::set<std::string> kept_pupils;
  std::set<std::pair<std::string, std::string>> kept_contacts;

  std::string Digest() const { return RosterDigest(pupils, contacts, kept_pupils, kept_contacts); }
};

TEST_CASE("roster digest changes with any value") {
  const std::string base = DigestInput().Digest();
  CHECK(base.size() == 64);
  CHECK(DigestInput().Digest() == base);

  const std::vector<std::pair<const char*, std::function<void(DigestInput&)>>> changes = {
      {"pupil forename", [](DigestInput& in) { in.pupils[0].forename = "Noa"; }},
      {"pupil restricted", [](DigestInput& in) { in.pupils[0].restricted = true; }},
      {"contact email", [](DigestInput& in) { in.contacts[0].email = "k@example.com"; }},
      {"contact landline", [](DigestInput& in) { in.contacts[0].landline = "+441738123456"; }},
      {"parental responsibility",
       [](DigestInput& in) { in.contacts[0].parental_responsibility = false; }},
      {"contact restricted", [](DigestInput& in) { in.contacts[0].restricted = true; }},
      {"a letter moved to the next field",
       [](DigestInput& in) {
         in.pupils[0].forename = "Noa";
         in.pupils[0].preferred_forename = "h";
       }},
      {"kept pupil", [](DigestInput& in) { in.kept_pupils.insert("P2"); }},
      {"kept contact", [](DigestInput& in) { in.kept_contacts.emplace("P1", "C2"); }},
      {"contact missing", [](DigestInput& in) { in.contacts.clear(); }},
  };
  for (const auto& [name, change] : changes) {
    DigestInput input;
    change(input);
    INFO(name);
    CHECK(input.Digest() != base);
  }
}

TEST_CASE("repeated sync still applies one changed field") {
  Fixture fixture;
  fixture.Sync(kTayside, TaysideRows());
  v1::SyncRosterSummary repeated = fixture.Sync(kTayside, TaysideRows());
  CHECK(repeated.contacts_changed() == 0);

  // Siobhán's mobile changes and nothing else does.
  std::vector<v1::RosterRecord> rows = TaysideRows();
  rows[5].mutable_contact()->set_mobile("07476 009999");
  v1::SyncRosterSummary changed = fixture.Sync(kTayside, rows);
  CHECK(changed.pupils_changed() == 0);
  CHECK(changed.contacts_added() == 0);
  CHECK(changed.contacts_changed() == 1);
  CHECK(changed.contacts_removed() == 0);

  std::string mobile;
  REQUIRE(fixture.store
              ->Read([&](Tx& tx) -> absl::Status {
                return tx.Query(
                    "SELECT c.mobile FROM contacts c JOIN pupils p ON p.id = c.pupil_id "
                    "WHERE p.pupil_ref = '0700000007' AND c.contact_ref = 'C00000010'",
                    {}, [&](const Row& row) { mobile = row.Text(0); });
              })
              .ok());
  CHECK(mobile == "+447476009999");

  // Going back to the first rows is a change too.
  v1::SyncRosterSummary reverted = fixture.Sync(kTayside, TaysideRows());
  CHECK(reverted.contacts_changed() == 1);
}

TEST_CASE("repeated sync still closes requests") {
  Fixture fixture;
  fixture.Sync(kTayside, TaysideRows());

  // A request for the grandmother, who has no parental responsibility, as a
  // store could hold it from before the rules it breaks. Only the closures
  // of a sync end it, and the rows are the same as last time.
  REQUIRE(fixture.store
              ->Write([&](Tx& tx) -> absl::Status {
                absl::StatusOr<int64_t> pupil_id =
                    tx.QueryInt("SELECT id FROM pupils WHERE pupil_ref = '0700000001'");
                if (!pupil_id.ok()) return pupil_id.status();
                RequestRecord request;
                request.request_id = "request-gillian";
                request.account_id = "acc-gillian";
                request.pupil_id = *pupil_id;
                request.contact_ref = "C00000003";
                request.contact_name = "Gillian MacDonald";
                request.state = kPending;
                request.created_at = 1;
                request.decide_by = 4102444800;
                return InsertRequest(tx, request);
              })
              .ok());

  v1::SyncRosterSummary summary = fixture.Sync(kTayside, TaysideRows());
  CHECK(summary.contacts_changed() == 0);
  CHECK(summary.requests_closed() == 1);
}

TEST_CASE("store from before digests upgrades and syncs") {
  TempDir dir;
  const std::string path = dir.path() + "/link-verification.db";
  // Schema version 6 is the last without roster digests.
  std::vector<std::string> older = LinkMigrations();
  older.resize(6);
  {
    // Noah as the previous schema held him after a sync, with his mother.
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path, older);
    REQUIRE(store.ok());
    REQUIRE((*store)
                ->Write([](Tx& tx) -> absl::Status {
                  absl::Status status =
                      tx.Exec("INSERT INTO schools(seed_code, name) VALUES ('5300011', 'Tayside')");
                  if (!status.ok()) return status;
                  status = tx.Exec(
                      "INSERT INTO pupils(id, seed_code, pupil_ref, forename, "
                      "preferred_forename, surname, surname_key, date_of_birth, stage, postcode, "
                      "sync_count) VALUES (1, '5300011', '0700000001', 'Noah', '', 'McDonald', "
                      "'mcdonald', '2020-10-01', 'P2', 'PH3 2QY', 0)");
                  if (!status.ok()) return status;
                  return tx.Exec(
                      "INSERT INTO contacts(pupil_id, contact_ref, forename, surname, "
                      "forename_key, surname_key, parental_responsibility, email, mobile, "
                      "postcode) VALUES (1, 'C00000001', 'Karen', 'Taylor', 'karen', 'taylor', 1, "
                      "'karen.taylor72@example.com', '+447294053474', 'PH3 2QY')");
                })
                .ok());
  }

  Fixture fixture;
  absl::StatusOr<std::unique_ptr<Store>> upgraded = OpenLinkStore(dir.path());
  REQUIRE(upgraded.ok());
  CHECK((*upgraded)->SchemaVersion() == static_cast<int>(LinkMigrations().size()));
  SchoolRecordsService records(**upgraded, fixture.clock, fixture.notifier, fixture.school_days,
                               fixture.metrics, fixture.london);

  // Noah moved from P2 to P3, and the rest of the rows are new.
  auto sync = [&]() {
    RosterBatch batch = records.NewRosterBatch(kTayside);
    for (const v1::RosterRecord& row : TaysideRows()) REQUIRE(batch.Add(row).ok());
    absl::StatusOr<v1::SyncRosterSummary> summary = records.ApplyRoster(batch, {});
    INFO(summary.status().ToString());
    REQUIRE(summary.ok());
    return *summary;
  };
  v1::SyncRosterSummary first = sync();
  CHECK(first.pupils_added() == 1);
  CHECK(first.pupils_changed() == 1);
  CHECK(first.contacts_added() == 3);
  CHECK(first.contacts_changed() == 0);

  v1::SyncRosterSummary second = sync();
  CHECK(second.pupils_added() == 0);
  CHECK(second.pupils_changed() == 0);
  CHECK(second.contacts_added() == 0);
}

}  // namespace
}  // namespace pp::link
