#include "link_store.h"

#include <prometheus/registry.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "clock/clock.h"
#include "link_metrics.h"
#include "link_service.h"
#include "test_fixture.h"
#include "testing/temp_dir.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kTayside;

// Noon on Wednesday 4 March 2026, UTC, in Unix seconds.
constexpr int64_t kNow = 1772625600;
constexpr int64_t kDay = 24 * 3600;

void RequireOk(const absl::Status& status) {
  INFO(status.ToString());
  REQUIRE(status.ok());
}

int64_t CountRows(Store& store, const std::string& sql, const std::vector<SqlValue>& params = {}) {
  int64_t count = -1;
  RequireOk(store.Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<int64_t> value = tx.QueryInt(sql, params);
    if (!value.ok()) return value.status();
    count = *value;
    return absl::OkStatus();
  }));
  return count;
}

// Inserts school 5300011 and its pupil 7, Noah McDonald at PH3 2QY.
absl::Status InsertNoah(Tx& tx) {
  absl::Status status = tx.Exec("INSERT INTO schools(seed_code, name) VALUES ('5300011', 'T')");
  if (!status.ok()) return status;
  return tx.Exec(
      "INSERT INTO pupils(id, seed_code, pupil_ref, forename, preferred_forename, surname, "
      "surname_key, date_of_birth, stage, postcode, sync_count) VALUES (7, '5300011', 'P7', "
      "'Noah', '', 'McDonald', 'mcdonald', '2020-10-01', 'P3', 'PH3 2QY', 1)");
}

// Inserts contact `ref` of pupil 7, Karen McDonald at PH3 2QY.
absl::Status InsertKaren(Tx& tx, const char* ref) {
  return tx.Exec(
      "INSERT INTO contacts(pupil_id, contact_ref, forename, surname, forename_key, "
      "surname_key, parental_responsibility, email, mobile, postcode, postcode_key) "
      "VALUES (7, ?, 'Karen', 'McDonald', 'karen', 'mcdonald', 1, '', '', 'PH3 2QY', 'PH32QY')",
      {ref});
}

// Writes a store at schema version 5, the last before StartLink's tables
// were rebuilt, with StartLink calls and an attempt in it, and closes it.
void WriteVersionFiveStore(const std::string& data_dir) {
  const std::vector<std::string>& all = LinkMigrations();
  REQUIRE(all.size() > 5);
  std::vector<std::string> first_five(all.begin(), all.begin() + 5);
  absl::StatusOr<std::unique_ptr<Store>> old =
      Store::Open((std::filesystem::path(data_dir) / "link-verification.db").string(), first_five);
  RequireOk(old.status());
  RequireOk((*old)->Write([](Tx& tx) -> absl::Status {
    absl::Status status = InsertNoah(tx);
    // Three calls in one second, one earlier the same day, and one of
    // another account two days before.
    for (int64_t called_at : {kNow - 60, kNow - 60, kNow - 60, kNow - 3600}) {
      if (!status.ok()) break;
      status = tx.Exec("INSERT INTO start_calls(account_id, called_at) VALUES ('acc-a', ?)",
                       {called_at});
    }
    if (status.ok()) {
      status = tx.Exec("INSERT INTO start_calls(account_id, called_at) VALUES ('acc-b', ?)",
                       {kNow - 2 * kDay});
    }
    if (status.ok()) {
      status = tx.Exec(
          "INSERT INTO link_attempts(attempt_id, account_id, pupil_id, contact_ref, contact_name, "
          "email, mobile, expires_at, code_hash, code_expires_at, sends, wrong_tries, used, "
          "parent_email) VALUES ('attempt-1', 'acc-a', 7, 'C1', 'Karen Taylor', "
          "'karen@example.net', '+447700900123', ?, 'hash', ?, 2, 3, 0, 'k@example.org')",
          {kNow + 1800, kNow + 900});
    }
    return status;
  }));
}

TEST_CASE("upgraded store keeps start calls and attempts") {
  TempDir dir;
  WriteVersionFiveStore(dir.path());

  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(dir.path());
  RequireOk(store.status());
  CHECK((*store)->SchemaVersion() == static_cast<int>(LinkMigrations().size()));
  CHECK(CountRows(**store, "SELECT COUNT(*) FROM start_calls") == 5);
  CHECK(CountRows(**store, "SELECT COUNT(*) FROM start_calls WHERE account_id = 'acc-a'") == 4);

  // The fifth call of acc-a in the day, in the same second as three others.
  int64_t calls = 0;
  RequireOk((*store)->Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<int64_t> counted = CountStartCall(tx, "acc-a", kNow - 60, kNow - kDay);
    if (!counted.ok()) return counted.status();
    calls = *counted;
    return absl::OkStatus();
  }));
  CHECK(calls == 5);

  std::optional<AttemptRecord> attempt;
  RequireOk((*store)->Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::optional<AttemptRecord>> loaded = LoadAttempt(tx, "attempt-1");
    if (!loaded.ok()) return loaded.status();
    attempt = *loaded;
    return absl::OkStatus();
  }));
  REQUIRE(attempt.has_value());
  CHECK(attempt->account_id == "acc-a");
  CHECK(attempt->pupil_id == 7);
  CHECK(attempt->contact_name == "Karen Taylor");
  CHECK(attempt->mobile == "+447700900123");
  CHECK(attempt->expires_at == kNow + 1800);
  CHECK(attempt->code_hash == "hash");
  CHECK(attempt->code_expires_at == kNow + 900);
  CHECK(attempt->sends == 2);
  CHECK(attempt->wrong_tries == 3);
  CHECK_FALSE(attempt->used);
  CHECK(attempt->parent_email == "k@example.org");
  CHECK(attempt->seed_code == "5300011");
}

TEST_CASE("upgraded store keeps an account limited") {
  TempDir dir;
  WriteVersionFiveStore(dir.path());
  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(dir.path());
  RequireOk(store.status());
  FakeClock clock(absl::FromUnixSeconds(kNow));
  prometheus::Registry registry;
  LinkMetrics metrics(registry);
  testing::FakeNotifier notifier;
  ScottishWorkingDays school_days;
  LinkService links(**store, clock, notifier, school_days, metrics, absl::UTCTimeZone(), "key");

  // acc-a made 4 calls in the last day before the upgrade, so 6 more return
  // NOT_FOUND (the store has no roster, so none matches) before the limit.
  for (int i = 0; i < LinkService::kMaxStartsPerDay - 4; ++i) {
    REQUIRE(links.StartLink(KarenForNoah("acc-a")).status().code() == absl::StatusCode::kNotFound);
  }
  CHECK(links.StartLink(KarenForNoah("acc-a")).status().code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(links.StartLink(KarenForNoah("acc-b")).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("start calls in one second count apart") {
  Fixture fixture;
  for (int64_t expected = 1; expected <= 3; ++expected) {
    int64_t calls = 0;
    RequireOk(fixture.store->Write([&](Tx& tx) -> absl::Status {
      absl::StatusOr<int64_t> counted = CountStartCall(tx, "acc-a", kNow, kNow - kDay);
      if (!counted.ok()) return counted.status();
      calls = *counted;
      return absl::OkStatus();
    }));
    CHECK(calls == expected);
  }
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM start_calls") == 3);
}

TEST_CASE("start calls older than a day are not counted") {
  Fixture fixture;
  int64_t calls = 0;
  RequireOk(fixture.store->Write([&](Tx& tx) -> absl::Status {
    for (int64_t at : {kNow - kDay - 1, kNow - kDay, kNow}) {
      absl::StatusOr<int64_t> counted = CountStartCall(tx, "acc-a", at, kNow - kDay);
      if (!counted.ok()) return counted.status();
      calls = *counted;
    }
    return absl::OkStatus();
  }));
  CHECK(calls == 2);
}

TEST_CASE("sweep removes rows a day past their time") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  RequireOk(started.status());
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM link_attempts") == 1);
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM start_calls") == 1);

  // The attempt expires after 30 minutes and is kept for a day after that,
  // so that a late code reads as expired.
  fixture.clock.Advance(absl::Hours(24));
  RequireOk(fixture.links.StartLink(KarenForNoah("acc-other")).status());
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM link_attempts WHERE attempt_id = ?",
                  {started->attempt_id()}) == 1);
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM start_calls") == 2);

  fixture.clock.Advance(absl::Hours(1));
  RequireOk(fixture.links.StartLink(KarenForNoah("acc-third")).status());
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM link_attempts WHERE attempt_id = ?",
                  {started->attempt_id()}) == 0);
  CHECK(CountRows(*fixture.store,
                  "SELECT COUNT(*) FROM start_calls WHERE account_id = 'acc-karen'") == 0);
  CHECK(CountRows(*fixture.store, "SELECT COUNT(*) FROM start_calls") == 2);
}

TEST_CASE("sync closures read only the school's requests") {
  // A plan through link_requests_by_state would read every approved or
  // pending request in the store for each school's sync.
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(dir.path());
  RequireOk(store.status());
  std::vector<std::string> plan;
  RequireOk((*store)->Read([&](Tx& tx) {
    return tx.Query(absl::StrCat("EXPLAIN QUERY PLAN ", OpenRequestsStatement()), {kTayside},
                    [&](const Row& row) { plan.push_back(row.Text(3)); });
  }));
  std::string joined = absl::StrJoin(plan, "\n");
  CAPTURE(joined);
  CHECK(absl::StrContains(joined, "SEARCH r USING INDEX link_requests_by_pupil"));
  CHECK_FALSE(absl::StrContains(joined, "link_requests_by_state"));
  CHECK_FALSE(absl::StrContains(joined, "SCAN"));
}

// Returns "pupil_ref/contact_ref" for each contact FindCandidates finds with
// those keys.
std::vector<std::string> FoundContacts(Store& store, const std::string& forename_key,
                                       const std::string& surname_key,
                                       const std::string& postcode_key) {
  std::vector<std::string> found;
  RequireOk(store.Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::vector<Candidate>> candidates =
        FindCandidates(tx, forename_key, surname_key, postcode_key);
    if (!candidates.ok()) return candidates.status();
    for (const Candidate& candidate : *candidates) {
      found.push_back(absl::StrCat(candidate.pupil.pupil_ref, "/", candidate.contact.contact_ref));
    }
    return absl::OkStatus();
  }));
  return found;
}

TEST_CASE("contact lookup follows commits and restarts") {
  TempDir dir;
  const std::vector<std::string> none;
  {
    absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(dir.path());
    RequireOk(store.status());
    RequireOk((*store)->Write([](Tx& tx) -> absl::Status {
      absl::Status status = InsertNoah(tx);
      for (const char* ref : {"C1", "C2"}) {
        if (status.ok()) status = InsertKaren(tx, ref);
      }
      return status;
    }));
    const std::vector<std::string> both = {"P7/C1", "P7/C2"};
    CHECK(FoundContacts(**store, "karen", "mcdonald", "PH32QY") == both);

    // A move that is rolled back leaves the lookup as it was.
    CHECK_FALSE((*store)
                    ->Write([](Tx& tx) -> absl::Status {
                      absl::Status status = tx.Exec(
                          "UPDATE contacts SET postcode_key = 'DD11AA' WHERE contact_ref = 'C1'");
                      if (!status.ok()) return status;
                      return absl::AbortedError("sync failed");
                    })
                    .ok());
    CHECK(FoundContacts(**store, "karen", "mcdonald", "PH32QY") == both);
    CHECK(FoundContacts(**store, "karen", "mcdonald", "DD11AA") == none);

    // Committed: C1 moves, and C2 is renamed and then removed.
    RequireOk((*store)->Write([](Tx& tx) -> absl::Status {
      absl::Status status =
          tx.Exec("UPDATE contacts SET postcode_key = 'DD11AA' WHERE contact_ref = 'C1'");
      if (status.ok()) {
        status = tx.Exec("UPDATE contacts SET forename_key = 'kay' WHERE contact_ref = 'C2'");
      }
      if (status.ok()) status = tx.Exec("DELETE FROM contacts WHERE contact_ref = 'C2'");
      return status;
    }));
    CHECK(FoundContacts(**store, "karen", "mcdonald", "PH32QY") == none);
    CHECK(FoundContacts(**store, "kay", "mcdonald", "PH32QY") == none);
    CHECK(FoundContacts(**store, "karen", "mcdonald", "DD11AA") ==
          std::vector<std::string>{"P7/C1"});

    // A change that keeps the keys keeps the contact findable.
    RequireOk((*store)->Write([](Tx& tx) {
      return tx.Exec("UPDATE contacts SET email = 'k@example.org', forename_key = 'karen'");
    }));
    CHECK(FoundContacts(**store, "karen", "mcdonald", "DD11AA") ==
          std::vector<std::string>{"P7/C1"});
  }
  absl::StatusOr<std::unique_ptr<Store>> reopened = OpenLinkStore(dir.path());
  RequireOk(reopened.status());
  CHECK(FoundContacts(**reopened, "karen", "mcdonald", "DD11AA") ==
        std::vector<std::string>{"P7/C1"});
  CHECK(FoundContacts(**reopened, "karen", "mcdonald", "PH32QY") == none);
}

TEST_CASE("contact lookup sees another connection's changes") {
  TempDir dir;
  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(dir.path());
  RequireOk(store.status());
  RequireOk((*store)->Write(InsertNoah));

  // Another process, or an operator's sqlite3, writes the same file without
  // the service's triggers.
  absl::StatusOr<std::unique_ptr<Store>> other = Store::Open(
      (std::filesystem::path(dir.path()) / "link-verification.db").string(), LinkMigrations());
  RequireOk(other.status());
  RequireOk((*other)->Write([](Tx& tx) { return InsertKaren(tx, "C1"); }));
  CHECK(FoundContacts(**store, "karen", "mcdonald", "PH32QY") == std::vector<std::string>{"P7/C1"});

  RequireOk(
      (*other)->Write([](Tx& tx) { return tx.Exec("UPDATE contacts SET forename_key = 'kay'"); }));
  CHECK(FoundContacts(**store, "karen", "mcdonald", "PH32QY").empty());
  CHECK(FoundContacts(**store, "kay", "mcdonald", "PH32QY") == std::vector<std::string>{"P7/C1"});
}

}  // namespace
}  // namespace pp::link
