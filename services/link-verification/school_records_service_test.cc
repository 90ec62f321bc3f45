#include "school_records_service.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
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

v1::StartLinkRequest SiobhanForEoin(const std::string& account_id) {
  v1::StartLinkRequest request = KarenForNoah(account_id);
  request.mutable_parent()->set_forename("Siobhán");
  request.mutable_parent()->set_surname("O'Neill");
  request.mutable_parent()->set_postcode("PH2 1EW");
  request.set_child_forename("Eòin");
  request.set_child_surname("O'Neill");
  request.set_child_date_of_birth("2019-11-12");
  request.set_stage("P4");
  request.set_postcode("PH2 1EW");
  return request;
}

v1::StartLinkRequest DavidForNoah(const std::string& account_id) {
  v1::StartLinkRequest request = KarenForNoah(account_id);
  request.mutable_parent()->set_forename("David");
  request.mutable_parent()->set_surname("McDonald");
  request.mutable_parent()->set_postcode("PH3 1YY");
  return request;
}

v1::DecideLinkRequestRequest Decision(const std::string& request_id,
                                      v1::DecideLinkRequestRequest::Decision decision) {
  v1::DecideLinkRequestRequest request;
  request.set_request_id(request_id);
  request.set_decision(decision);
  request.set_decided_by("Mr Reid, depute head");
  request.set_reason("Checked against the enrolment form");
  return request;
}

v1::ListLinksResponse ListFor(Fixture& fixture, const std::string& account_id) {
  v1::ListLinksRequest request;
  request.set_account_id(account_id);
  absl::StatusOr<v1::ListLinksResponse> response = fixture.links.ListLinks(request);
  REQUIRE(response.ok());
  return *response;
}

v1::ListLinkRequestsResponse ListRequests(Fixture& fixture, const std::string& seed_code,
                                          v1::LinkRequestState state, int page_size = 0,
                                          const std::string& page_token = "") {
  v1::ListLinkRequestsRequest request;
  request.set_state(state);
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  absl::StatusOr<v1::ListLinkRequestsResponse> response =
      fixture.records.ListLinkRequests(seed_code, request);
  INFO(response.status().ToString());
  REQUIRE(response.ok());
  return *response;
}

TEST_CASE("sync summary counts rows and errors") {
  Fixture fixture;
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows.push_back(
      PupilRow(4, kTayside, "0700000009", "Ailsa", "Reid", "30/02/2019", "P4", "PH1 1AA"));
  rows.push_back(
      PupilRow(5, kBalhousie, "0700000010", "Iain", "Reid", "01/02/2019", "P4", "PH1 1AA"));
  rows.push_back(
      ContactRow(6, kTayside, "0700000009", "C9", "Ann", "Reid", "Y", "", "", "PH1 1AA"));

  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows);
  CHECK(summary.pupils_loaded() == 2);
  CHECK(summary.contacts_loaded() == 4);
  CHECK(summary.pupils_left() == 0);
  REQUIRE(summary.errors_size() == 3);
  CHECK(summary.errors(0).file() == "contacts");
  CHECK(summary.errors(0).row() == 6);
  CHECK(summary.errors(1).file() == "pupils");
  CHECK(summary.errors(1).row() == 4);
  CHECK(summary.errors(2).row() == 5);
  CHECK(summary.errors(2).reason() == "seed_code is 5300028, but the token is for school 5300011");

  // The valid rows loaded: Karen can link to Noah.
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("sync losing most of a school needs confirmation") {
  Fixture fixture;
  // Noah and Eoin, plus 38 more pupils: 40 in all.
  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  for (int i = 0; i < 38; ++i) {
    rows.push_back(PupilRow(100 + i, kTayside, "EXTRA" + std::to_string(i), "Pupil",
                            "Number" + std::to_string(i), "01/02/2019", "P4", "PH1 1AA"));
  }
  fixture.Sync(kTayside, rows);

  // An export cut short after the first two pupils would lose 38 of 40.
  auto cut_short = [&] {
    RosterBatch batch = fixture.records.NewRosterBatch(kTayside);
    for (const v1::RosterRecord& row : testing::TaysideRows()) REQUIRE(batch.Add(row).ok());
    return batch;
  };
  RosterBatch refused = cut_short();
  absl::StatusOr<v1::SyncRosterSummary> summary = fixture.records.ApplyRoster(refused);
  CHECK(summary.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(summary.status().message(),
                          "would mark 38 of the school's 40 pupils as left"));

  // Nothing changed: syncing the full roster again marks no one as left.
  CHECK(fixture.Sync(kTayside, rows).pupils_left() == 0);

  RosterBatch too_few = cut_short();
  CHECK(fixture.records.ApplyRoster(too_few, {37, 0, 0}).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  RosterBatch confirmed = cut_short();
  absl::StatusOr<v1::SyncRosterSummary> applied =
      fixture.records.ApplyRoster(confirmed, {38, 0, 0});
  REQUIRE(applied.ok());
  CHECK(applied->pupils_left() == 38);
}

TEST_CASE("sync of another school's rows names the token") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  // Tayside's token, with rows only for Balhousie and a third school.
  RosterBatch batch = fixture.records.NewRosterBatch(kTayside);
  REQUIRE(
      batch.Add(PupilRow(2, kBalhousie, "X1", "Iain", "Reid", "01/02/2019", "P4", "PH1 1AA")).ok());
  REQUIRE(
      batch.Add(PupilRow(3, "5300099", "X2", "Isla", "Reid", "01/02/2019", "P4", "PH1 1AA")).ok());
  absl::StatusOr<v1::SyncRosterSummary> summary = fixture.records.ApplyRoster(batch);
  CHECK(summary.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK(summary.status().message() ==
        "This token belongs to school 5300011, but every pupil row is for schools 5300028, "
        "5300099, so nothing was changed. Sync with the token of the school the rows are for.");
  // No pupil was marked as left.
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("sync with no valid pupil is refused") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  RosterBatch batch = fixture.records.NewRosterBatch(kTayside);
  REQUIRE(
      batch.Add(PupilRow(2, kTayside, "X1", "Iain", "Reid", "31/02/2019", "P4", "PH1 1AA")).ok());
  REQUIRE(
      batch.Add(PupilRow(3, kBalhousie, "X2", "Isla", "Reid", "01/02/2019", "P4", "PH1 1AA")).ok());
  absl::StatusOr<v1::SyncRosterSummary> summary = fixture.records.ApplyRoster(batch);
  CHECK(summary.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(summary.status().message() ==
        "The sync holds no valid pupil row, so nothing was changed (2 rows were rejected). The "
        "first error is in pupils row 2: date_of_birth \"31/02/2019\" is not a real date written "
        "DD/MM/YYYY or YYYY-MM-DD.");

  RosterBatch empty = fixture.records.NewRosterBatch(kTayside);
  CHECK(fixture.records.ApplyRoster(empty).status().code() == absl::StatusCode::kInvalidArgument);

  // No pupil was marked as left.
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("pupils absent from a sync have left") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, testing::BalhousieRows());
  std::string approved = fixture.FileRequest(KarenForNoah("acc-karen"));
  REQUIRE(
      fixture.records
          .DecideLinkRequest(kTayside, Decision(approved, v1::DecideLinkRequestRequest::APPROVE))
          .ok());
  std::string pending = fixture.FileRequest(DavidForNoah("acc-david"));
  std::string other = fixture.FileRequest(SiobhanForEoin("acc-siobhan"));
  REQUIRE(ListFor(fixture, "acc-karen").children_size() == 1);

  // Noah is no longer in Tayside's export, but Eòin still is.
  std::vector<v1::RosterRecord> rows;
  for (const v1::RosterRecord& row : testing::TaysideRows()) {
    bool noah = row.has_pupil() ? row.pupil().pupil_ref() == "0700000001"
                                : row.contact().pupil_ref() == "0700000001";
    if (!noah) rows.push_back(row);
  }
  fixture.clock.Advance(absl::Hours(1));
  RosterBatch unconfirmed = fixture.records.NewRosterBatch(kTayside);
  for (const v1::RosterRecord& row : rows) REQUIRE(unconfirmed.Add(row).ok());
  CHECK(fixture.records.ApplyRoster(unconfirmed).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE(ListFor(fixture, "acc-karen").children_size() == 1);

  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows, {0, 0, 1});
  CHECK(summary.pupils_loaded() == 1);
  CHECK(summary.pupils_left() == 1);
  CHECK(summary.links_ended() == 1);

  CHECK(ListFor(fixture, "acc-karen").children_size() == 0);
  v1::ListLinksResponse david = ListFor(fixture, "acc-david");
  REQUIRE(david.requests_size() == 1);
  CHECK(david.requests(0).request_id() == pending);
  CHECK(david.requests(0).state() == v1::REJECTED);
  v1::ListLinksResponse siobhan = ListFor(fixture, "acc-siobhan");
  REQUIRE(siobhan.requests_size() == 1);
  CHECK(siobhan.requests(0).request_id() == other);
  CHECK(siobhan.requests(0).state() == v1::PENDING);

  v1::ListLinkRequestsResponse ended = ListRequests(fixture, kTayside, v1::ENDED);
  REQUIRE(ended.requests_size() == 1);
  CHECK(ended.requests(0).request_id() == approved);
  CHECK(ended.requests(0).reason() == "The pupil is no longer on the school's roster.");

  // A pupil who left no longer matches. Another school's roster is untouched.
  CHECK(fixture.links.StartLink(KarenForNoah("acc-new")).status().code() ==
        absl::StatusCode::kNotFound);
  CHECK(fixture.Sync(kBalhousie, testing::BalhousieRows()).pupils_left() == 0);

  // A second sync without Noah does not count him again.
  CHECK(fixture.Sync(kTayside, rows).pupils_left() == 0);
}

TEST_CASE("returning pupil is current again") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kTayside, {PupilRow(2, kTayside, "0700000007", "Eòin", "O'Neill", "12/11/2019", "P4",
                                   "PH2 1EW")});
  CHECK(fixture.links.StartLink(KarenForNoah()).status().code() == absl::StatusCode::kNotFound);
  fixture.Sync(kTayside, testing::TaysideRows());
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("contact losing parental responsibility loses the link") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string approved = fixture.FileRequest(KarenForNoah("acc-karen"));
  REQUIRE(
      fixture.records
          .DecideLinkRequest(kTayside, Decision(approved, v1::DecideLinkRequestRequest::APPROVE))
          .ok());

  std::vector<v1::RosterRecord> rows = testing::TaysideRows();
  rows[2].mutable_contact()->set_parental_responsibility("N");
  v1::SyncRosterSummary summary = fixture.Sync(kTayside, rows, {0, 0, 1});
  CHECK(summary.pupils_left() == 0);
  CHECK(ListFor(fixture, "acc-karen").children_size() == 0);
  v1::ListLinkRequestsResponse ended = ListRequests(fixture, kTayside, v1::ENDED);
  REQUIRE(ended.requests_size() == 1);
  CHECK(ended.requests(0).reason() ==
        "The school's roster no longer lists this parent with parental responsibility.");
}

TEST_CASE("sync during attempt blocks confirm") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah());
  REQUIRE(started.ok());
  v1::SendCodeRequest send;
  send.set_account_id("acc-karen");
  send.set_attempt_id(started->attempt_id());
  send.set_channel("email");
  REQUIRE(fixture.links.SendCode(send).ok());

  fixture.Sync(kTayside, {PupilRow(2, kTayside, "0700000007", "Eòin", "O'Neill", "12/11/2019", "P4",
                                   "PH2 1EW")});
  v1::ConfirmCodeRequest confirm;
  confirm.set_account_id("acc-karen");
  confirm.set_attempt_id(started->attempt_id());
  confirm.set_code(fixture.LastCode());
  CHECK(fixture.links.ConfirmCode(confirm).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(ListFor(fixture, "acc-karen").requests_size() == 0);
}

TEST_CASE("decision rules") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, testing::BalhousieRows());
  std::string request_id = fixture.FileRequest(KarenForNoah());

  SECTION("approve records who and why") {
    absl::StatusOr<v1::LinkRequest> decided = fixture.records.DecideLinkRequest(
        kTayside, Decision(request_id, v1::DecideLinkRequestRequest::APPROVE));
    REQUIRE(decided.ok());
    CHECK(decided->state() == v1::APPROVED);
    CHECK(decided->decided_by() == "Mr Reid, depute head");
    CHECK(decided->reason() == "Checked against the enrolment form");
    CHECK(decided->pupil_ref() == "0700000001");
    CHECK(decided->pupil_name() == "Noah McDonald");
    CHECK(decided->contact_ref() == "C00000001");
    CHECK(decided->contact_name() == "Karen Taylor");
    CHECK(decided->created_at() == "2026-03-04T10:00:00+00:00");
    CHECK(decided->decide_by() == "2026-03-11T23:59:59+00:00");

    absl::StatusOr<v1::LinkRequest> again = fixture.records.DecideLinkRequest(
        kTayside, Decision(request_id, v1::DecideLinkRequestRequest::REJECT));
    CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(ListFor(fixture, "acc-karen").children_size() == 1);
  }
  SECTION("reject leaves no link") {
    absl::StatusOr<v1::LinkRequest> decided = fixture.records.DecideLinkRequest(
        kTayside, Decision(request_id, v1::DecideLinkRequestRequest::REJECT));
    REQUIRE(decided.ok());
    CHECK(decided->state() == v1::REJECTED);
    v1::ListLinksResponse links = ListFor(fixture, "acc-karen");
    CHECK(links.children_size() == 0);
    REQUIRE(links.requests_size() == 1);
    CHECK(links.requests(0).state() == v1::REJECTED);
    // A rejected parent may ask again.
    CHECK(fixture.links.StartLink(KarenForNoah()).ok());
  }
  SECTION("another school may not decide") {
    absl::StatusOr<v1::LinkRequest> decided = fixture.records.DecideLinkRequest(
        kBalhousie, Decision(request_id, v1::DecideLinkRequestRequest::APPROVE));
    CHECK(decided.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK(ListRequests(fixture, kTayside, v1::PENDING).requests_size() == 1);
  }
  SECTION("a name of spaces names no one") {
    v1::DecideLinkRequestRequest blank =
        Decision(request_id, v1::DecideLinkRequestRequest::APPROVE);
    blank.set_decided_by(" \t ");
    absl::StatusOr<v1::LinkRequest> decided = fixture.records.DecideLinkRequest(kTayside, blank);
    CHECK(decided.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(decided.status().message() == "decided_by is missing: name the member of staff deciding");
    CHECK(ListRequests(fixture, kTayside, v1::PENDING).requests_size() == 1);
  }
  SECTION("unknown request is not found") {
    CHECK(fixture.records
              .DecideLinkRequest(kTayside,
                                 Decision("no-such-request", v1::DecideLinkRequestRequest::APPROVE))
              .status()
              .code() == absl::StatusCode::kNotFound);
  }
  SECTION("decision and decider are required") {
    CHECK(
        fixture.records
            .DecideLinkRequest(
                kTayside, Decision(request_id, v1::DecideLinkRequestRequest::DECISION_UNSPECIFIED))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
    v1::DecideLinkRequestRequest anonymous =
        Decision(request_id, v1::DecideLinkRequestRequest::APPROVE);
    anonymous.set_decided_by("");
    CHECK(fixture.records.DecideLinkRequest(kTayside, anonymous).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  SECTION("overdue request has expired") {
    // Wednesday 10:00 plus a week ends Wednesday 23:59:59 of the next week.
    fixture.clock.Advance(absl::Hours(7 * 24 + 14));
    absl::StatusOr<v1::LinkRequest> decided = fixture.records.DecideLinkRequest(
        kTayside, Decision(request_id, v1::DecideLinkRequestRequest::APPROVE));
    CHECK(decided.status().code() == absl::StatusCode::kFailedPrecondition);
    v1::ListLinksResponse links = ListFor(fixture, "acc-karen");
    REQUIRE(links.requests_size() == 1);
    CHECK(links.requests(0).state() == v1::EXPIRED);
    CHECK(ListRequests(fixture, kTayside, v1::EXPIRED).requests_size() == 1);
  }
  SECTION("request on its last day can be decided") {
    fixture.clock.Advance(absl::Hours(7 * 24 + 13));
    CHECK(fixture.records
              .DecideLinkRequest(kTayside,
                                 Decision(request_id, v1::DecideLinkRequestRequest::APPROVE))
              .ok());
  }
}

TEST_CASE("requests listed oldest first, paged") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, testing::BalhousieRows());
  std::string first = fixture.FileRequest(KarenForNoah("acc-karen"));
  fixture.clock.Advance(absl::Minutes(1));
  std::string second = fixture.FileRequest(DavidForNoah("acc-david"));
  fixture.clock.Advance(absl::Minutes(1));
  std::string third = fixture.FileRequest(SiobhanForEoin("acc-siobhan"));
  REQUIRE(fixture.records
              .DecideLinkRequest(kTayside, Decision(second, v1::DecideLinkRequestRequest::REJECT))
              .ok());

  v1::ListLinkRequestsResponse page =
      ListRequests(fixture, kTayside, v1::LINK_REQUEST_STATE_UNSPECIFIED, 2);
  REQUIRE(page.requests_size() == 2);
  CHECK(page.requests(0).request_id() == first);
  CHECK(page.requests(1).request_id() == second);
  CHECK(page.requests(1).state() == v1::REJECTED);
  REQUIRE(!page.next_page_token().empty());
  v1::ListLinkRequestsResponse last = ListRequests(
      fixture, kTayside, v1::LINK_REQUEST_STATE_UNSPECIFIED, 2, page.next_page_token());
  REQUIRE(last.requests_size() == 1);
  CHECK(last.requests(0).request_id() == third);
  CHECK(last.requests(0).pupil_name() == "Eòin O'Neill");
  CHECK(last.requests(0).contact_name() == "Siobhán O'Neill");
  CHECK(last.next_page_token().empty());

  v1::ListLinkRequestsResponse pending = ListRequests(fixture, kTayside, v1::PENDING);
  REQUIRE(pending.requests_size() == 2);
  CHECK(pending.requests(0).request_id() == first);
  CHECK(pending.requests(1).request_id() == third);
  CHECK(ListRequests(fixture, kBalhousie, v1::LINK_REQUEST_STATE_UNSPECIFIED).requests_size() == 0);

  v1::ListLinkRequestsRequest bad;
  bad.set_page_token("not-a-token");
  CHECK(fixture.records.ListLinkRequests(kTayside, bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
  bad.set_page_token("");
  bad.set_page_size(-1);
  CHECK(fixture.records.ListLinkRequests(kTayside, bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
  bad.set_page_size(0);
  bad.set_state(static_cast<v1::LinkRequestState>(42));
  CHECK(fixture.records.ListLinkRequests(kTayside, bad).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("overdue requests are listed as expired") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string request_id = fixture.FileRequest(KarenForNoah());
  fixture.clock.Advance(absl::Hours(8 * 24));
  CHECK(ListRequests(fixture, kTayside, v1::PENDING).requests_size() == 0);
  v1::ListLinkRequestsResponse expired = ListRequests(fixture, kTayside, v1::EXPIRED);
  REQUIRE(expired.requests_size() == 1);
  CHECK(expired.requests(0).request_id() == request_id);
  // An expired request no longer blocks a new one.
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("page size is capped at five hundred") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  // Each account may hold one request for Noah, so 501 accounts ask. Karen
  // may be sent 3 codes an hour, so the requests are 21 minutes apart.
  for (int i = 0; i < 501; ++i) {
    fixture.FileRequest(KarenForNoah("acc-" + std::to_string(i)));
    fixture.clock.Advance(absl::Minutes(21));
  }

  v1::ListLinkRequestsResponse page =
      ListRequests(fixture, kTayside, v1::LINK_REQUEST_STATE_UNSPECIFIED, 10000);
  CHECK(page.requests_size() == 500);
  CHECK(!page.next_page_token().empty());
  CHECK(ListRequests(fixture, kTayside, v1::LINK_REQUEST_STATE_UNSPECIFIED).requests_size() == 100);
}

}  // namespace
}  // namespace pp::link
