#include "school_days.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "calendar_service.h"
#include "clock/clock.h"
#include "testing/temp_dir.h"

namespace pp::calendar {
namespace {

const char kSchool[] = "5300011";

// Two closures in October 2026: an in-service day on Friday the 9th and a
// holiday week from Monday the 12th to Friday the 16th. DTEND is exclusive.
const char kClosures[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:inset\r\nDTSTART;VALUE=DATE:20261009\r\n"
    "DTEND;VALUE=DATE:20261010\r\nSUMMARY:Staff training\r\nCATEGORIES:INSET\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:october\r\nDTSTART;VALUE=DATE:20261012\r\n"
    "DTEND;VALUE=DATE:20261017\r\nSUMMARY:October holiday\r\nCATEGORIES:Holiday\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:disco\r\nDTSTART;VALUE=DATE:20261020\r\n"
    "DTEND;VALUE=DATE:20261021\r\nSUMMARY:Disco\r\nCATEGORIES:Event\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:closes-early\r\nDTSTART:20261021T120000Z\r\n"
    "DTEND:20261021T150000Z\r\nSUMMARY:Closes at noon\r\nCATEGORIES:Holiday\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

class SchoolDaysFixture {
 public:
  explicit SchoolDaysFixture(const std::string& ics = kClosures)
      : clock_(absl::FromUnixSeconds(1780272000)) {
    auto store = CalendarStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    service_ = std::make_unique<CalendarService>(*store_, clock_);
    school_days_ = std::make_unique<SchoolDays>(*store_, ScottishBankHolidays());
    api::ImportCalendarRequest request;
    request.set_seed_code(kSchool);
    request.set_ics(ics);
    REQUIRE(service_->ImportCalendar(request).ok());
  }

  api::IsSchoolDayResponse Check(const std::string& date) {
    api::IsSchoolDayRequest request;
    request.set_seed_code(kSchool);
    request.set_date(date);
    absl::StatusOr<api::IsSchoolDayResponse> response = school_days_->IsSchoolDay(request);
    REQUIRE(response.ok());
    return *response;
  }

  absl::StatusOr<api::AddSchoolDaysResponse> Add(const std::string& date, int days) {
    api::AddSchoolDaysRequest request;
    request.set_seed_code(kSchool);
    request.set_date(date);
    request.set_days(days);
    return school_days_->AddSchoolDays(request);
  }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<CalendarStore> store_;
  std::unique_ptr<CalendarService> service_;
  std::unique_ptr<SchoolDays> school_days_;
};

TEST_CASE("shipped bank holidays parse and cover 2025 to 2030") {
  const BankHolidays& holidays = ScottishBankHolidays();
  for (int year = 2025; year <= 2030; ++year) {
    int in_year = 0;
    for (const auto& [day, name] : holidays) in_year += day.year() == year ? 1 : 0;
    INFO("year " << year);
    CHECK(in_year == 9);
  }
  CHECK(holidays.at(absl::CivilDay(2026, 11, 30)) == "St Andrew's Day");
  CHECK(holidays.at(absl::CivilDay(2026, 12, 28)) == "Boxing Day (substitute day)");
  CHECK(holidays.at(absl::CivilDay(2027, 1, 4)) == "2nd January (substitute day)");
}

TEST_CASE("bank holiday lines are checked") {
  CHECK(ParseBankHolidays("# comment\n\n2031-01-01 New Year's Day\n").ok());
  CHECK_FALSE(ParseBankHolidays("2031-01-01\n").ok());
  CHECK_FALSE(ParseBankHolidays("2031-13-01 Bad month\n").ok());
  CHECK_FALSE(ParseBankHolidays("1 January 2031 New Year\n").ok());
}

TEST_CASE("days the school is closed") {
  SchoolDaysFixture fixture;
  struct Case {
    const char* date;
    bool school_day;
    const char* reason;
  };
  const Case cases[] = {
      {"2026-10-08", true, ""},
      {"2026-10-09", false, "in-service day: Staff training"},
      {"2026-10-10", false, "weekend"},
      {"2026-10-11", false, "weekend"},
      {"2026-10-12", false, "holiday: October holiday"},
      {"2026-10-16", false, "holiday: October holiday"},
      // The holiday's DTEND (the 17th) is exclusive, and Monday is open.
      {"2026-10-19", true, ""},
      // An Event category does not close the school, nor does a timed
      // Holiday event.
      {"2026-10-20", true, ""},
      {"2026-10-21", true, ""},
      {"2026-11-30", false, "bank holiday: St Andrew's Day"},
      {"2026-12-28", false, "bank holiday: Boxing Day (substitute day)"},
  };
  for (const Case& c : cases) {
    INFO(c.date);
    api::IsSchoolDayResponse response = fixture.Check(c.date);
    CHECK(response.school_day() == c.school_day);
    CHECK(response.reason() == c.reason);
  }
}

TEST_CASE("adding school days skips closures") {
  SchoolDaysFixture fixture;
  struct Case {
    const char* from;
    int days;
    const char* expected;
  };
  const Case cases[] = {
      {"2026-10-01", 0, "2026-10-01"},
      // Thursday 1 October plus 5 school days: 2, 5, 6, 7, 8 October.
      {"2026-10-01", 5, "2026-10-08"},
      // The in-service day, the weekend and the holiday week are skipped.
      {"2026-10-08", 1, "2026-10-19"},
      {"2026-10-08", 5, "2026-10-23"},
      // Counting from a closed day starts on the next school day.
      {"2026-10-10", 1, "2026-10-19"},
      // St Andrew's Day (Monday 30 November 2026) is a bank holiday.
      {"2026-11-27", 1, "2026-12-01"},
  };
  for (const Case& c : cases) {
    INFO(c.from << " + " << c.days);
    absl::StatusOr<api::AddSchoolDaysResponse> response = fixture.Add(c.from, c.days);
    REQUIRE(response.ok());
    CHECK(response->date() == c.expected);
  }
}

TEST_CASE("adding school days checks its input") {
  SchoolDaysFixture fixture;
  CHECK(fixture.Add("2026-10-01", -1).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Add("2026-10-01", kMaxSchoolDaysToAdd + 1).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Add("1 October", 1).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(fixture.Add("2026-10-01", kMaxSchoolDaysToAdd).ok());
}

TEST_CASE("school without a calendar has weekends and bank holidays off") {
  SchoolDaysFixture fixture;
  api::AddSchoolDaysRequest request;
  request.set_seed_code("5300099");
  request.set_date("2026-12-24");
  request.set_days(1);
  TempDir dir;
  auto store = CalendarStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  SchoolDays school_days(**store, ScottishBankHolidays());
  absl::StatusOr<api::AddSchoolDaysResponse> response = school_days.AddSchoolDays(request);
  REQUIRE(response.ok());
  // Christmas Day is a Friday and Boxing Day's substitute is Monday the 28th.
  CHECK(response->date() == "2026-12-29");
}

TEST_CASE("a file of holidays with the school's default category") {
  TempDir dir;
  auto store = CalendarStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  FakeClock clock(absl::FromUnixSeconds(1780272000));
  CalendarService service(**store, clock);
  SchoolDays school_days(**store, ScottishBankHolidays());
  api::ImportCalendarRequest request;
  request.set_seed_code(kSchool);
  request.set_ics(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
      "BEGIN:VEVENT\r\nUID:closed\r\nDTSTART;VALUE=DATE:20261019\r\n"
      "SUMMARY:Closed\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");

  // Without a choice the event is an EVENT and the school is open.
  REQUIRE(service.ImportCalendar(request).ok());
  api::IsSchoolDayRequest check;
  check.set_seed_code(kSchool);
  check.set_date("2026-10-19");
  CHECK(school_days.IsSchoolDay(check)->school_day());

  request.set_default_category(api::CATEGORY_HOLIDAY);
  REQUIRE(service.ImportCalendar(request).ok());
  CHECK_FALSE(school_days.IsSchoolDay(check)->school_day());
}

}  // namespace
}  // namespace pp::calendar
