// The rules of linking as a school administrator would state them, each
// checked against the logic classes over a real store.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "absl/strings/match.h"
#include "crypto/crypto.h"
#include "link_store.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::ContactRow;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kBalhousie;
using testing::kTayside;
using testing::PupilRow;

// Zoë Campbell-Rennie and Eòin O'Neill. Their mother Catrìona Nic an tSaoir
// has parental responsibility for both. Zoë's grandfather has none, and
// Eòin's father is under a safeguarding hold.
std::vector<v1::RosterRecord> HighlandRows() {
  v1::RosterRecord father = ContactRow(5, kTayside, "R2", "C3", "Ruairidh", "O'Neill", "Y",
                                       "ruairidh@example.com", "", "EH11 2AB");
  father.mutable_contact()->set_restricted("Y");
  return {
      PupilRow(2, kTayside, "R1", "Zoë", "Campbell-Rennie", "29/02/2016", "P4", "EH11 2AB"),
      PupilRow(3, kTayside, "R2", "Eòin", "O'Neill", "2017-05-01", "P3", "EH11 2AB", "Eoghan"),
      ContactRow(2, kTayside, "R1", "C1", "Catrìona", "Nic an tSaoir", "Y", "cat@example.com",
                 "07700 900123", "EH11 2AB"),
      ContactRow(3, kTayside, "R2", "C1", "Catrìona", "Nic an tSaoir", "Y", "cat@example.com",
                 "07700 900123", "EH11 2AB"),
      ContactRow(4, kTayside, "R1", "C2", "Angus", "Campbell", "N", "angus@example.com", "",
                 "EH11 2AB"),
      father,
  };
}

v1::StartLinkRequest CatrionaFor(const std::string& forename, const std::string& surname,
                                 const std::string& date_of_birth) {
  v1::StartLinkRequest request;
  v1::Parent* parent = request.mutable_parent();
  parent->set_account_id("acc-catriona");
  parent->set_forename("Catrìona");
  parent->set_surname("Nic an tSaoir");
  parent->set_email("catriona@example.net");
  parent->set_postcode("EH11 2AB");
  request.set_child_forename(forename);
  request.set_child_surname(surname);
  request.set_child_date_of_birth(date_of_birth);
  request.set_stage("P4");
  request.set_postcode("EH11 2AB");
  return request;
}

struct Case {
  const char* name;
  v1::StartLinkRequest request;
  bool matches;
};

TEST_CASE("typed details match the roster") {
  Fixture fixture;
  fixture.Sync(kTayside, HighlandRows());

  auto zoe = [] { return CatrionaFor("Zoë", "Campbell-Rennie", "2016-02-29"); };
  auto eoin = [] {
    v1::StartLinkRequest request = CatrionaFor("Eòin", "O'Neill", "2017-05-01");
    request.set_stage("P3");
    return request;
  };
  auto with = [](v1::StartLinkRequest request, auto change) {
    change(request);
    return request;
  };
  std::vector<Case> cases = {
      {"as held", zoe(), true},
      {"curly apostrophe", with(eoin(), [](auto& r) { r.set_child_surname("O’Neill"); }), true},
      {"accent left out", with(zoe(), [](auto& r) { r.set_child_forename("Zoe"); }), true},
      {"space for a hyphen", with(zoe(), [](auto& r) { r.set_child_surname("campbell rennie"); }),
       true},
      {"parent's name in capitals without accent",
       with(zoe(),
            [](auto& r) {
              r.mutable_parent()->set_forename("CATRÌONA");
              r.mutable_parent()->set_surname("NIC AN TSAOIR");
            }),
       true},
      {"postcode without its space", with(zoe(), [](auto& r) { r.set_postcode("eh112ab"); }), true},
      {"parent's postcode without its space",
       with(zoe(), [](auto& r) { r.mutable_parent()->set_postcode("eh112ab"); }), true},
      {"date of birth as D/M/YYYY",
       with(zoe(), [](auto& r) { r.set_child_date_of_birth("29/2/2016"); }), true},
      {"preferred forename", with(eoin(), [](auto& r) { r.set_child_forename("Eoghan"); }), true},
      {"part of a double-barrelled surname",
       with(zoe(), [](auto& r) { r.set_child_surname("Rennie"); }), false},
      {"wrong day of birth", with(zoe(), [](auto& r) { r.set_child_date_of_birth("2016-03-01"); }),
       false},
      {"wrong stage", with(zoe(), [](auto& r) { r.set_stage("P5"); }), false},
      {"child at another postcode", with(zoe(), [](auto& r) { r.set_postcode("EH11 2AD"); }),
       false},
      {"parent at another postcode",
       with(zoe(), [](auto& r) { r.mutable_parent()->set_postcode("EH11 2AD"); }), false},
      {"grandparent without parental responsibility",
       with(zoe(),
            [](auto& r) {
              r.mutable_parent()->set_forename("Angus");
              r.mutable_parent()->set_surname("Campbell");
            }),
       false},
      {"restricted parent",
       with(eoin(),
            [](auto& r) {
              r.mutable_parent()->set_forename("Ruairidh");
              r.mutable_parent()->set_surname("O'Neill");
            }),
       false},
  };
  int account = 0;
  for (Case& test : cases) {
    INFO(test.name);
    test.request.mutable_parent()->set_account_id("acc-" + std::to_string(++account));
    absl::StatusOr<v1::StartLinkResponse> response = fixture.links.StartLink(test.request);
    if (test.matches) {
      INFO(response.status().ToString());
      CHECK(response.ok());
    } else {
      CHECK(response.status().code() == absl::StatusCode::kNotFound);
      CHECK(response.status().message() == kNoMatchMessage);
    }
  }
}

TEST_CASE("restricted pupil cannot be linked") {
  Fixture fixture;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_restricted("Y");
  fixture.Sync(kTayside, rows);
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  CHECK(started.status().code() == absl::StatusCode::kNotFound);
  CHECK(started.status().message() == kNoMatchMessage);
}

TEST_CASE("hold on a pending request closes it and blocks approval") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string request_id = fixture.FileRequest(KarenForNoah());

  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_restricted("Y");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.requests_closed() == 1);

  v1::DecideLinkRequestRequest decide;
  decide.set_request_id(request_id);
  decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
  decide.set_decided_by("Mrs Brown");
  CHECK(fixture.records.DecideLinkRequest(kTayside, decide).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  // To the parent it reads as any other request the school did not approve.
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(list);
  REQUIRE(links.ok());
  REQUIRE(links->requests_size() == 1);
  CHECK(links->requests(0).state() == v1::REJECTED);
}

TEST_CASE("near miss is recorded for the school only") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, testing::BalhousieRows());

  v1::StartLinkRequest wrong_birthday = KarenForNoah();
  wrong_birthday.set_child_date_of_birth("2020-10-02");
  CHECK(fixture.links.StartLink(wrong_birthday).status().message() == kNoMatchMessage);
  // A stranger matches no contact, so nothing is recorded.
  v1::StartLinkRequest stranger = KarenForNoah("acc-stranger");
  stranger.mutable_parent()->set_forename("Someone");
  CHECK(fixture.links.StartLink(stranger).status().message() == kNoMatchMessage);
  // A grandmother without parental responsibility typing every detail right.
  v1::StartLinkRequest grandmother = KarenForNoah("acc-gran");
  grandmother.mutable_parent()->set_forename("Gillian");
  grandmother.mutable_parent()->set_surname("MacDonald");
  CHECK(fixture.links.StartLink(grandmother).status().message() == kNoMatchMessage);

  absl::StatusOr<v1::ListMatchFailuresResponse> tayside =
      fixture.records.ListMatchFailures(kTayside, {});
  REQUIRE(tayside.ok());
  REQUIRE(tayside->failures_size() == 2);
  // Newest first.
  CHECK(tayside->failures(0).contact_ref() == "C00000003");
  REQUIRE(tayside->failures(0).reasons_size() == 1);
  CHECK(tayside->failures(0).reasons(0) == "no_parental_responsibility");
  CHECK(tayside->failures(1).contact_ref() == "C00000001");
  CHECK(tayside->failures(1).pupil_ref() == "0700000001");
  REQUIRE(tayside->failures(1).reasons_size() == 1);
  CHECK(tayside->failures(1).reasons(0) == "date_of_birth");

  absl::StatusOr<v1::ListMatchFailuresResponse> balhousie =
      fixture.records.ListMatchFailures(kBalhousie, {});
  REQUIRE(balhousie.ok());
  CHECK(balhousie->failures_size() == 0);
}

TEST_CASE("ten attempts a day") {
  CHECK(LinkService::kMaxStartsPerDay == 10);
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest wrong = KarenForNoah();
  wrong.set_stage("P4");
  for (int i = 0; i < 10; ++i) {
    REQUIRE(fixture.links.StartLink(wrong).status().code() == absl::StatusCode::kNotFound);
  }
  CHECK(fixture.links.StartLink(KarenForNoah()).status().code() ==
        absl::StatusCode::kResourceExhausted);
}

TEST_CASE("one account links children in two schools") {
  Fixture fixture;
  std::vector<v1::RosterRecord> balhousie = testing::BalhousieRows();
  balhousie.push_back(ContactRow(4, kBalhousie, "0700000004", "C00000030", "Karen", "Taylor", "Y",
                                 "karen.taylor72@example.com", "", "PH3 2QY"));
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, balhousie);

  v1::StartLinkRequest rab = KarenForNoah();
  rab.set_child_forename("Rab");
  rab.set_child_surname("Campbell");
  rab.set_child_date_of_birth("09/09/2010");
  rab.set_stage("S6");
  rab.set_postcode("KY13 9RR");
  std::string noah_request = fixture.FileRequest(KarenForNoah());
  std::string rab_request = fixture.FileRequest(rab);

  for (const auto& [school, request_id] :
       {std::make_pair(kTayside, noah_request), std::make_pair(kBalhousie, rab_request)}) {
    v1::DecideLinkRequestRequest decide;
    decide.set_request_id(request_id);
    decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
    decide.set_decided_by("Office");
    REQUIRE(fixture.records.DecideLinkRequest(school, decide).ok());
  }
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(list);
  REQUIRE(links.ok());
  REQUIRE(links->children_size() == 2);
  CHECK(links->children(0).school_name() == "Tayside Primary School");
  CHECK(links->children(1).school_name() == "Balhousie High School");
  CHECK(links->children(1).forename() == "Rab");
}

TEST_CASE("twenty concurrent right codes give one request") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  REQUIRE(started.ok());
  v1::SendCodeRequest send;
  send.set_account_id("acc-karen");
  send.set_attempt_id(started->attempt_id());
  send.set_channel("email");
  REQUIRE(fixture.links.SendCode(send).ok());
  v1::ConfirmCodeRequest confirm;
  confirm.set_account_id("acc-karen");
  confirm.set_attempt_id(started->attempt_id());
  confirm.set_code(fixture.LastCode());

  std::atomic<int> successes{0};
  std::atomic<int> refusals{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<v1::ConfirmCodeResponse> confirmed = fixture.links.ConfirmCode(confirm);
      (confirmed.ok() ? successes : refusals)++;
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(successes == 1);
  CHECK(refusals == 19);

  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  CHECK(listed->requests_size() == 1);
}

TEST_CASE("code is stored as a keyed hash") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  REQUIRE(started.ok());
  v1::SendCodeRequest send;
  send.set_account_id("acc-karen");
  send.set_attempt_id(started->attempt_id());
  send.set_channel("email");
  REQUIRE(fixture.links.SendCode(send).ok());
  const std::string code = fixture.LastCode();

  std::optional<AttemptRecord> attempt;
  REQUIRE(fixture.store
              ->Read([&](Tx& tx) -> absl::Status {
                absl::StatusOr<std::optional<AttemptRecord>> loaded =
                    LoadAttempt(tx, started->attempt_id());
                if (!loaded.ok()) return loaded.status();
                attempt = *loaded;
                return absl::OkStatus();
              })
              .ok());
  REQUIRE(attempt.has_value());
  const std::string message = started->attempt_id() + ":" + code;
  CHECK(attempt->code_hash == crypto::HmacSha256("test code key", message));
  CHECK(attempt->code_hash != crypto::HashToken(message));
  CHECK_FALSE(absl::StrContains(attempt->code_hash, code));
}

TEST_CASE("landline is never offered for a code") {
  Fixture fixture;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_email("");
  rows[2].mutable_contact()->set_mobile("01738 123456");
  fixture.Sync(kTayside, rows);
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  CHECK(started.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(started.status().message() == kNoChannelMessage);
}

TEST_CASE("unchanged roster writes nothing") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  REQUIRE(fixture.store->Checkpoint().ok());
  const std::filesystem::path wal =
      std::filesystem::path(fixture.dir.path()) / "link-verification.db-wal";
  const auto size_before = std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0;

  v1::SyncRosterSummary summary = fixture.Sync(kTayside, testing::TaysideRows());
  CHECK(summary.pupils_added() == 0);
  CHECK(summary.pupils_changed() == 0);
  CHECK(summary.pupils_left() == 0);
  CHECK(summary.contacts_added() == 0);
  CHECK(summary.contacts_changed() == 0);
  CHECK(summary.contacts_removed() == 0);
  const auto size_after = std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0;
  CHECK(size_after == size_before);
}

TEST_CASE("sync counts what changed") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[1].mutable_pupil()->set_stage("P5");  // Eòin moves up
  rows.erase(rows.begin() + 4);              // the grandmother goes
  rows.push_back(
      PupilRow(4, kTayside, "0700000099", "Isla", "Brown", "2019-01-01", "P4", "PH1 1AA"));
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.pupils_added() == 1);
  CHECK(summary.pupils_changed() == 1);
  CHECK(summary.pupils_left() == 0);
  CHECK(summary.contacts_added() == 0);
  CHECK(summary.contacts_changed() == 0);
  CHECK(summary.contacts_removed() == 1);
}

TEST_CASE("renamed contact matches by new name") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_surname("Nic Dhòmhnaill");  // Karen takes a new surname
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.contacts_added() == 0);
  CHECK(summary.contacts_changed() == 1);
  CHECK(summary.contacts_removed() == 0);

  CHECK(fixture.links.StartLink(KarenForNoah("acc-old-name")).status().code() ==
        absl::StatusCode::kNotFound);
  v1::StartLinkRequest renamed = KarenForNoah("acc-new-name");
  renamed.mutable_parent()->set_surname("nic dhomhnaill");
  CHECK(fixture.links.StartLink(renamed).ok());
}

TEST_CASE("either side ending a link is in its history") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_email("david@example.net");
  david.mutable_parent()->set_postcode("PH3 1YY");
  std::string karen_request = fixture.FileRequest(KarenForNoah());
  std::string david_request = fixture.FileRequest(david);
  for (const std::string& request_id : {karen_request, david_request}) {
    v1::DecideLinkRequestRequest decide;
    decide.set_request_id(request_id);
    decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
    decide.set_decided_by("Mrs Brown");
    decide.set_reason("checked by phone");
    REQUIRE(fixture.records.DecideLinkRequest(kTayside, decide).ok());
  }

  // Karen unlinks herself.
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> karen = fixture.links.ListLinks(list);
  REQUIRE(karen.ok());
  REQUIRE(karen->children_size() == 1);
  v1::UnlinkRequest unlink;
  unlink.set_child_id(karen->children(0).child_id());
  // Another parent of the same child cannot end Karen's link.
  unlink.set_account_id("acc-david");
  CHECK(fixture.links.Unlink(unlink).code() == absl::StatusCode::kNotFound);
  unlink.set_account_id("acc-karen");
  REQUIRE(fixture.links.Unlink(unlink).ok());
  CHECK(fixture.links.Unlink(unlink).code() == absl::StatusCode::kNotFound);

  // The school ends David's.
  v1::RevokeLinkRequest revoke;
  revoke.set_request_id(david_request);
  revoke.set_revoked_by("Mr Head");
  revoke.set_reason("court order");
  CHECK(fixture.records.RevokeLink(kBalhousie, revoke).status().code() ==
        absl::StatusCode::kPermissionDenied);
  absl::StatusOr<v1::LinkRequest> revoked = fixture.records.RevokeLink(kTayside, revoke);
  REQUIRE(revoked.ok());
  CHECK(revoked->state() == v1::ENDED);
  CHECK(fixture.records.RevokeLink(kTayside, revoke).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->requests_size() == 2);
  const v1::LinkRequest& karens = listed->requests(0);
  REQUIRE(karens.history_size() == 3);
  CHECK(karens.history(0).action() == "requested");
  CHECK(karens.history(1).action() == "approved");
  CHECK(karens.history(1).actor() == "Mrs Brown");
  CHECK(karens.history(1).reason() == "checked by phone");
  CHECK(karens.history(2).action() == "unlinked");
  CHECK(karens.history(2).actor() == "parent");
  const v1::LinkRequest& davids = listed->requests(1);
  REQUIRE(davids.history_size() == 3);
  CHECK(davids.history(2).action() == "revoked");
  CHECK(davids.history(2).actor() == "Mr Head");
  CHECK(davids.history(2).reason() == "court order");
  CHECK_FALSE(davids.decided_at().empty());

  absl::StatusOr<v1::ListLinksResponse> after = fixture.links.ListLinks(list);
  REQUIRE(after.ok());
  CHECK(after->children_size() == 0);
}

TEST_CASE("parent is emailed either way") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_email("david@example.net");
  david.mutable_parent()->set_postcode("PH3 1YY");
  std::string approved = fixture.FileRequest(KarenForNoah());
  std::string rejected = fixture.FileRequest(david);

  struct Decision {
    std::string request_id;
    v1::DecideLinkRequestRequest::Decision decision;
    const char* to;
    const char* account_id;
    parentsportal::notification::v1::MessageKind kind;
    // Only an approved parent's texts may go to the mobile the school holds.
    const char* mobile;
  };
  const Decision decisions[] = {
      {approved, v1::DecideLinkRequestRequest::APPROVE, "karen@example.net", "acc-karen",
       parentsportal::notification::v1::LINK_APPROVED, "+447294053474"},
      {rejected, v1::DecideLinkRequestRequest::REJECT, "david@example.net", "acc-david",
       parentsportal::notification::v1::LINK_REJECTED, ""},
  };
  for (const Decision& test : decisions) {
    INFO(test.to);
    v1::DecideLinkRequestRequest decide;
    decide.set_request_id(test.request_id);
    decide.set_decision(test.decision);
    decide.set_decided_by("Mrs Brown");
    decide.set_reason("internal note");
    REQUIRE(fixture.records.DecideLinkRequest(kTayside, decide).ok());
    const auto sent = fixture.notifier.sent();
    REQUIRE(!sent.empty());
    const parentsportal::notification::v1::SendRequest& message = sent.back();
    CHECK(message.to() == test.to);
    CHECK(message.account_id() == test.account_id);
    CHECK(message.kind() == test.kind);
    CHECK(message.mobile() == test.mobile);
    CHECK(message.template_data().at("child_name") == "Noah");
    CHECK(message.template_data().at("school_name") == "Tayside Primary School");
    for (const auto& [key, value] : message.template_data()) {
      INFO(key);
      CHECK_FALSE(absl::StrContains(value, "internal note"));
    }
  }
}

TEST_CASE("pending request shows step and expected-by date") {
  Fixture fixture;  // Wednesday 4 March 2026
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.FileRequest(KarenForNoah());
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(list);
  REQUIRE(links.ok());
  REQUIRE(links->requests_size() == 1);
  CHECK(links->requests(0).step() == 3);
  CHECK(links->requests(0).expected_by() == "2026-03-11");

  // Three working days later (Monday) the school is due a reminder.
  fixture.clock.Advance(absl::Hours(24 * 5));
  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->requests_size() == 1);
  CHECK(listed->requests(0).age_working_days() == 3);
  CHECK(listed->requests(0).reminder_due());
}

}  // namespace
}  // namespace pp::link
