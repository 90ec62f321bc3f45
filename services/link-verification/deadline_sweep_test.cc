#include "deadline_sweep.h"

#include <catch2/catch.hpp>
#include <set>

#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kTayside;

// Scottish working days, with extra closures a test can add and remove.
class ChangingCalendar : public SchoolDays {
 public:
  absl::StatusOr<bool> IsSchoolDay(const std::string& seed_code, absl::CivilDay day) override {
    if (closed_.count(day) > 0) return false;
    return scottish_.IsSchoolDay(seed_code, day);
  }
  void Close(absl::CivilDay day) { closed_.insert(day); }
  void Reopen(absl::CivilDay day) { closed_.erase(day); }

 private:
  ScottishWorkingDays scottish_;
  std::set<absl::CivilDay> closed_;
};

std::string ExpectedBy(Fixture& fixture) {
  v1::ListLinksRequest request;
  request.set_account_id("acc-karen");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(request);
  REQUIRE(links.ok());
  REQUIRE(links->requests_size() == 1);
  return links->requests(0).expected_by();
}

TEST_CASE("deadline moves past a new closure") {
  Fixture fixture;  // Wednesday 4 March 2026
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.FileRequest(KarenForNoah());
  REQUIRE(ExpectedBy(fixture) == "2026-03-11");
  ChangingCalendar calendar;
  DeadlineSweep sweep(*fixture.store, fixture.clock, calendar, fixture.london);

  absl::StatusOr<int> unchanged = sweep.ExtendDeadlines();
  REQUIRE(unchanged.ok());
  CHECK(*unchanged == 0);

  // The school adds an in-service day on Friday 6 March.
  calendar.Close(absl::CivilDay(2026, 3, 6));
  absl::StatusOr<int> moved = sweep.ExtendDeadlines();
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(ExpectedBy(fixture) == "2026-03-12");
  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->requests_size() == 1);
  CHECK(listed->requests(0).decide_by() == "2026-03-12T23:59:59+00:00");

  // Taking the day back never shortens the time the school was given.
  calendar.Reopen(absl::CivilDay(2026, 3, 6));
  absl::StatusOr<int> reopened = sweep.ExtendDeadlines();
  REQUIRE(reopened.ok());
  CHECK(*reopened == 0);
  CHECK(ExpectedBy(fixture) == "2026-03-12");
}

TEST_CASE("closed request keeps its deadline") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string request_id = fixture.FileRequest(KarenForNoah());
  v1::DecideLinkRequestRequest decide;
  decide.set_request_id(request_id);
  decide.set_decision(v1::DecideLinkRequestRequest::REJECT);
  decide.set_decided_by("Mrs Brown");
  REQUIRE(fixture.records.DecideLinkRequest(kTayside, decide).ok());

  ChangingCalendar calendar;
  calendar.Close(absl::CivilDay(2026, 3, 6));
  DeadlineSweep sweep(*fixture.store, fixture.clock, calendar, fixture.london);
  absl::StatusOr<int> moved = sweep.ExtendDeadlines();
  REQUIRE(moved.ok());
  CHECK(*moved == 0);
  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->requests_size() == 1);
  CHECK(listed->requests(0).decide_by() == "2026-03-11T23:59:59+00:00");
}

}  // namespace
}  // namespace pp::link
