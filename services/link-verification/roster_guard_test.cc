// A roster sync must not end a parent's link by accident. A rejected row
// keeps its pupil or contact as before, and removals beyond a routine sync
// need the school's confirmation.
#include <catch2/catch.hpp>
#include <map>

#include "absl/strings/match.h"
#include "school_records_service.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::ContactRow;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kTayside;
using testing::PupilRow;

// Files Karen's request for Noah and approves it.
void LinkKarenToNoah(Fixture& fixture) {
  v1::DecideLinkRequestRequest decide;
  decide.set_request_id(fixture.FileRequest(KarenForNoah("acc-karen")));
  decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
  decide.set_decided_by("Mr Reid, depute head");
  REQUIRE(fixture.records.DecideLinkRequest(kTayside, decide).ok());
}

int KarensChildren(Fixture& fixture) {
  v1::ListLinksRequest request;
  request.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(request);
  REQUIRE(links.ok());
  return links->children_size();
}

absl::StatusOr<v1::SyncRosterSummary> TrySync(Fixture& fixture,
                                              const std::vector<v1::RosterRecord>& rows,
                                              RosterConfirmation confirmed = {}) {
  RosterBatch batch = fixture.records.NewRosterBatch(kTayside);
  for (const v1::RosterRecord& row : rows) REQUIRE(batch.Add(row).ok());
  return fixture.records.ApplyRoster(batch, confirmed);
}

TEST_CASE("rejected pupil row keeps the pupil and links") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_postcode("PH3 2Q");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.pupils_left() == 0);
  CHECK(summary.contacts_removed() == 0);
  CHECK(summary.links_ended() == 0);
  REQUIRE(summary.errors_size() == 4);
  // Noah's three contact rows, then his own row.
  for (const v1::RowError& error : summary.errors()) CHECK(error.kept_as_before());
  CHECK(summary.errors(3).file() == "pupils");
  CHECK(summary.errors(3).row() == 2);
  CHECK(KarensChildren(fixture) == 1);

  // Correcting the row changes nothing more.
  v1::SyncRosterSummary corrected = fixture.Sync(kTayside, testing::TaysideRows());
  CHECK(corrected.pupils_changed() == 0);
  CHECK(corrected.contacts_added() == 0);
  CHECK(KarensChildren(fixture) == 1);
}

TEST_CASE("rejected contact row keeps the contact and link") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_email("karen.taylor72@example");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.contacts_removed() == 0);
  CHECK(summary.links_ended() == 0);
  REQUIRE(summary.errors_size() == 1);
  CHECK(summary.errors(0).file() == "contacts");
  CHECK(summary.errors(0).kept_as_before());
  CHECK(KarensChildren(fixture) == 1);

  // Karen's previous record still matches her.
  CHECK(fixture.links.StartLink(KarenForNoah("acc-karen-again")).ok());
}

TEST_CASE("rejected new pupil is not kept") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());

  // Iain is new, so his rejected row and his contact's row keep nothing.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_postcode("PH3 2Q");
  rows.push_back(PupilRow(4, kTayside, "0700000010", "Iain", "Reid", "01/02/2019", "P4", "PH1 1"));
  rows.push_back(
      ContactRow(6, kTayside, "0700000010", "C00000030", "Ann", "Reid", "Y", "", "", "PH1 1AA"));
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  REQUIRE(summary.errors_size() == 6);
  // Noah's three contact rows and Iain's contact row, then Noah's and Iain's rows.
  for (int i = 0; i < 3; ++i) CHECK(summary.errors(i).kept_as_before());
  CHECK(summary.errors(3).row() == 6);
  CHECK_FALSE(summary.errors(3).kept_as_before());
  CHECK(summary.errors(4).row() == 2);
  CHECK(summary.errors(4).kept_as_before());
  CHECK(summary.errors(5).row() == 4);
  CHECK_FALSE(summary.errors(5).kept_as_before());
}

TEST_CASE("row of another school keeps nothing") {
  Fixture fixture;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows.push_back(PupilRow(4, testing::kBalhousie, "0700000010", "Iain", "Reid", "01/02/2019", "P4",
                          "PH1 1AA"));
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  REQUIRE(summary.errors_size() == 1);
  CHECK_FALSE(summary.errors(0).kept_as_before());
}

TEST_CASE("unidentified row rejects the sync") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  // Eòin's row carries Noah's pupil_ref by mistake. The row's pupil is
  // unknown, so Eòin must not be marked as left.
  std::vector<v1::RosterRecord> duplicate = testing::TaysideRows();
  duplicate[1].mutable_pupil()->set_pupil_ref("0700000001");
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, duplicate);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "Nothing was changed"));
  CHECK(absl::StrContains(refused.status().message(),
                          "pupils row 3 (pupil_ref 0700000001 appears again"));

  std::vector<v1::RosterRecord> missing = testing::TaysideRows();
  missing[2].mutable_contact()->set_contact_ref("");
  refused = TrySync(fixture, missing);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "contacts row 2 (contact_ref is missing)"));

  CHECK(KarensChildren(fixture) == 1);
  CHECK(fixture.links.StartLink(testing::KarenForNoah("acc-other")).ok());
}

TEST_CASE("rejected row with a hold rejects the sync") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  // Karen's row sets a hold, and its email has a typo.
  std::vector<v1::RosterRecord> contact_hold = testing::TaysideRows();
  contact_hold[2].mutable_contact()->set_restricted("Y");
  contact_hold[2].mutable_contact()->set_email("karen.taylor72@example");
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, contact_hold);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "Nothing was changed."));
  CHECK(absl::StrContains(refused.status().message(),
                          "1 rejected row sets a safeguarding hold (restricted Y)"));
  CHECK(absl::StrContains(refused.status().message(),
                          "contacts row 2 (email \"karen.taylor72@example\" is not an email "
                          "address)"));
  CHECK(absl::StrContains(refused.status().message(), "Correct this row first"));
  CHECK(KarensChildren(fixture) == 1);

  // Noah's row sets a hold, and its postcode is cut short.
  std::vector<v1::RosterRecord> pupil_hold = testing::TaysideRows();
  pupil_hold[0].mutable_pupil()->set_restricted("Yes");
  pupil_hold[0].mutable_pupil()->set_postcode("PH3 2Q");
  refused = TrySync(fixture, pupil_hold);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(), "pupils row 2 (postcode"));
  CHECK(KarensChildren(fixture) == 1);

  // Once the row is fixed, the hold ends the link.
  pupil_hold[0].mutable_pupil()->set_postcode("PH3 2QY");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, pupil_hold);
  CHECK(summary.links_ended() == 1);
  CHECK(KarensChildren(fixture) == 0);
}

TEST_CASE("repeat of a rejected row rejects the sync") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  // Karen's first row is rejected, and a second one stops her being a
  // parent. Neither row may be applied.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_email("karen.taylor72@example");
  v1::RosterRecord second = testing::TaysideRows()[2];
  second.set_row(6);
  second.mutable_contact()->set_parental_responsibility("N");
  rows.push_back(second);
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, rows, {0, 0, 1});
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(),
                          "contacts row 6 (contact_ref C00000001 of pupil_ref 0700000001 appears "
                          "again (first at row 2))"));
  CHECK(KarensChildren(fixture) == 1);

  // The same for a pupil whose first row is rejected.
  rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_stage("P9");
  v1::RosterRecord again = testing::TaysideRows()[0];
  again.set_row(4);
  again.mutable_pupil()->set_restricted("N");
  rows.push_back(again);
  refused = TrySync(fixture, rows);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(refused.status().message(),
                          "pupils row 4 (pupil_ref 0700000001 appears again (first at row 2))"));
}

TEST_CASE("truncated contacts file needs confirmation") {
  Fixture fixture;
  std::vector<v1::RosterRecord> pupils;
  std::vector<v1::RosterRecord> contacts;
  for (int i = 0; i < 30; ++i) {
    std::string ref = "P" + std::to_string(i);
    pupils.push_back(PupilRow(2 + i, kTayside, ref, "Pupil", "Number" + std::to_string(i),
                              "01/02/2019", "P4", "PH1 1AA"));
    contacts.push_back(ContactRow(2 + i, kTayside, ref, "C" + std::to_string(i), "Parent",
                                  "Number" + std::to_string(i), "Y", "", "", "PH1 1AA"));
  }
  std::vector<v1::RosterRecord> full = pupils;
  full.insert(full.end(), contacts.begin(), contacts.end());
  fixture.Sync(kTayside, full);

  // The contacts file stops after its fifth row.
  std::vector<v1::RosterRecord> cut_short = pupils;
  cut_short.insert(cut_short.end(), contacts.begin(), contacts.begin() + 4);
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, cut_short);
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(), "remove 26 of the school's 30 contacts"));
  CHECK(absl::StrContains(refused.status().message(), "--confirm_contacts_removed 26"));
  CHECK(TrySync(fixture, cut_short, {0, 25, 0}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  // A confirmation names the exact number, not a maximum.
  refused = TrySync(fixture, cut_short, {0, 27, 0});
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(),
                          "remove 26 of the school's 30 contacts (not 27 as confirmed)"));

  // Nothing was removed, and a confirmed sync removes them.
  CHECK(fixture.Sync(kTayside, full).contacts_removed() == 0);
  CHECK(fixture.Sync(kTayside, cut_short, {0, 26, 0}).contacts_removed() == 26);
}

TEST_CASE("ending a link needs confirmation") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  // Karen's row is missing, as if the contacts file were cut short.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows.erase(rows.begin() + 2);
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, rows);
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(),
                          "end 1 approved link between a parent and their child (pupil_ref "
                          "0700000001 with contact_ref C00000001)"));
  CHECK(absl::StrContains(refused.status().message(), "--confirm_links_ended 1"));
  CHECK(KarensChildren(fixture) == 1);

  // A confirmation of more links than end is refused.
  refused = TrySync(fixture, rows, {0, 0, 2});
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(), "(not 2 as confirmed)"));

  // The refusal names the sync's rejected rows as well.
  std::vector<v1::RosterRecord> with_error = rows;
  with_error[2].mutable_contact()->set_email("david@example");
  refused = TrySync(fixture, with_error);
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(
      refused.status().message(),
      "The sync also rejected 1 row: contacts row 3 (email \"david@example\" is not an email "
      "address)."));
  CHECK(KarensChildren(fixture) == 1);

  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows, {0, 0, 1});
  CHECK(summary.contacts_removed() == 1);
  CHECK(summary.links_ended() == 1);
  CHECK(KarensChildren(fixture) == 0);
}

TEST_CASE("safeguarding hold ends a link unconfirmed") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);

  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_restricted("Y");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.links_ended() == 1);
  CHECK(KarensChildren(fixture) == 0);
}

TEST_CASE("lifting a hold needs confirmation") {
  Fixture fixture;
  std::vector<v1::RosterRecord> held = testing::TaysideRows();
  held[0].mutable_pupil()->set_restricted("Y");
  held[2].mutable_contact()->set_restricted("Y");
  fixture.Sync(kTayside, held);

  // An export without the restricted column sends every value empty.
  const std::vector<v1::RosterRecord> plain = testing::TaysideRows();
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, plain);
  REQUIRE(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(refused.status().message());
  INFO(message);
  CHECK(absl::StrContains(message,
                          "lift 2 safeguarding holds (pupil_ref 0700000001; pupil_ref "
                          "0700000001 with contact_ref C00000001)"));
  CHECK(absl::StrContains(message, "--confirm_holds_lifted 2"));
  CHECK(KarensChildren(fixture) == 0);
  CHECK(fixture.links.StartLink(KarenForNoah("acc-karen")).status().code() ==
        absl::StatusCode::kNotFound);

  // A wrong number is refused too, and the exact one lifts both.
  RosterConfirmation wrong;
  wrong.holds_lifted = 1;
  CHECK(TrySync(fixture, plain, wrong).status().code() == absl::StatusCode::kFailedPrecondition);
  RosterConfirmation confirmed;
  confirmed.holds_lifted = 2;
  absl::StatusOr<v1::SyncRosterSummary> lifted = TrySync(fixture, plain, confirmed);
  REQUIRE(lifted.ok());
  CHECK(lifted->holds_lifted() == 2);
  CHECK(fixture.links.StartLink(KarenForNoah("acc-karen")).ok());
}

TEST_CASE("removing a held contact needs confirmation") {
  Fixture fixture;
  std::vector<v1::RosterRecord> held = testing::TaysideRows();
  held[2].mutable_contact()->set_restricted("Y");
  fixture.Sync(kTayside, held);

  // Without the contact's row the hold would be gone, and the contact
  // could come back without it.
  std::vector<v1::RosterRecord> without = held;
  without.erase(without.begin() + 2);
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, without);
  REQUIRE(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(), "--confirm_holds_lifted 1"));

  RosterConfirmation confirmed;
  confirmed.holds_lifted = 1;
  absl::StatusOr<v1::SyncRosterSummary> removed = TrySync(fixture, without, confirmed);
  REQUIRE(removed.ok());
  CHECK(removed->contacts_removed() == 1);
  CHECK(removed->holds_lifted() == 1);
}

TEST_CASE("repeated pupil_ref refuses the sync") {
  Fixture fixture;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows.push_back(rows[0]);
  rows.back().set_row(99);
  absl::StatusOr<v1::SyncRosterSummary> refused = TrySync(fixture, rows);
  REQUIRE(refused.status().code() == absl::StatusCode::kInvalidArgument);
  const std::string message(refused.status().message());
  INFO(message);
  CHECK(absl::StrContains(message,
                          "1 rejected row does not identify one pupil or contact, "
                          "because its pupil_ref or contact_ref is missing, invalid or "
                          "repeated"));
  CHECK(absl::StrContains(message, "appears again (first at row"));
}

TEST_CASE("roster sync tells parents what it closed") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  LinkKarenToNoah(fixture);
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_email("david@example.net");
  david.mutable_parent()->set_postcode("PH3 1YY");
  const std::string david_request = fixture.FileRequest(david);
  const size_t sent_before = fixture.notifier.sent().size();

  // A hold on Noah ends Karen's link and closes David's pending request.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[0].mutable_pupil()->set_restricted("Y");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  REQUIRE(summary.links_ended() == 1);
  REQUIRE(summary.requests_closed() == 1);

  std::vector<parentsportal::notification::v1::SendRequest> sent = fixture.notifier.sent();
  REQUIRE(sent.size() == sent_before + 2);
  std::map<std::string, parentsportal::notification::v1::SendRequest> by_address;
  for (size_t i = sent_before; i < sent.size(); ++i) by_address[sent[i].to()] = sent[i];
  REQUIRE(by_address.count("karen@example.net") == 1);
  const auto& ended = by_address["karen@example.net"];
  CHECK(ended.kind() == parentsportal::notification::v1::LINK_ENDED);
  CHECK(ended.template_data().at("child_name") == "Noah");
  CHECK(ended.idempotency_key().rfind("link-ended/", 0) == 0);
  // The email gives no reason, because the reason here is a safeguarding hold.
  for (const auto& [name, value] : ended.template_data()) {
    CHECK_FALSE(absl::StrContains(value, "safeguarding"));
  }
  REQUIRE(by_address.count("david@example.net") == 1);
  const auto& rejected = by_address["david@example.net"];
  CHECK(rejected.kind() == parentsportal::notification::v1::LINK_REJECTED);
  CHECK(rejected.idempotency_key() == "link-decision/" + david_request);

  // A sync that closes nothing sends nothing more.
  fixture.Sync(kTayside, rows);
  CHECK(fixture.notifier.sent().size() == sent_before + 2);
}

}  // namespace
}  // namespace pp::link
