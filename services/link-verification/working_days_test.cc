#include "working_days.h"

#include <catch2/catch.hpp>

#include "link_rules.h"

namespace pp::link {
namespace {

TEST_CASE("scottish bank holidays") {
  const char* holidays[] = {
      "2026-01-01",
      "2026-01-02",
      "2026-04-03",
      "2026-05-04",
      "2026-05-25",
      "2026-08-03",
      "2026-11-30",
      "2026-12-25",
      "2026-12-28",
      // 1 and 2 January 2022 fell on a weekend.
      "2022-01-03",
      "2022-01-04",
      // Christmas 2022 was a Sunday, so Boxing Day kept its Monday.
      "2022-12-26",
      "2022-12-27",
      // St Andrew's Day 2025 was a Sunday.
      "2025-12-01",
      // 2 January 2027 is a Saturday.
      "2027-01-04",
  };
  for (const char* text : holidays) {
    INFO(text);
    CHECK(IsScottishBankHoliday(*ParseDate(text, false)));
  }
  const char* working[] = {"2026-04-06", "2026-03-17", "2026-12-24", "2025-11-28", "2026-12-29"};
  for (const char* text : working) {
    INFO(text);
    CHECK_FALSE(IsScottishBankHoliday(*ParseDate(text, false)));
  }
}

TEST_CASE("five school days skip weekends and holidays") {
  ScottishWorkingDays days;
  struct Case {
    const char* from;
    const char* expected;
  };
  const Case cases[] = {
      {"2026-03-04", "2026-03-11"},  // Wednesday to Wednesday
      {"2026-03-06", "2026-03-13"},  // Friday skips the weekend
      {"2026-03-07", "2026-03-13"},  // Saturday counts from Monday
      {"2026-04-01", "2026-04-09"},  // Good Friday, and no Easter Monday in Scotland
      {"2026-12-23", "2027-01-05"},  // Christmas and New Year
  };
  for (const Case& test : cases) {
    INFO(test.from);
    absl::StatusOr<absl::CivilDay> day =
        days.AddSchoolDays("5300011", *ParseDate(test.from, false), 5);
    REQUIRE(day.ok());
    CHECK(FormatDate(*day) == test.expected);
  }
}

TEST_CASE("school days are counted between dates") {
  ScottishWorkingDays days;
  auto count = [&](const char* from, const char* to) {
    absl::StatusOr<int> counted =
        days.CountSchoolDays("5300011", *ParseDate(from, false), *ParseDate(to, false));
    REQUIRE(counted.ok());
    return *counted;
  };
  CHECK(count("2026-03-04", "2026-03-04") == 0);
  CHECK(count("2026-03-04", "2026-03-09") == 3);
  CHECK(count("2026-04-02", "2026-04-06") == 1);
  CHECK(count("2026-03-09", "2026-03-04") == 0);
}

// A school calendar with extra closed days on top of weekends.
class ClosedOn : public SchoolDays {
 public:
  explicit ClosedOn(std::vector<absl::CivilDay> closed) : closed_(std::move(closed)) {}
  absl::StatusOr<bool> IsSchoolDay(const std::string&, absl::CivilDay day) override {
    for (absl::CivilDay shut : closed_) {
      if (shut == day) return false;
    }
    return absl::GetWeekday(day) != absl::Weekday::saturday &&
           absl::GetWeekday(day) != absl::Weekday::sunday;
  }

 private:
  std::vector<absl::CivilDay> closed_;
};

TEST_CASE("school holidays do not count") {
  ClosedOn days({absl::CivilDay(2026, 3, 5), absl::CivilDay(2026, 3, 6)});
  absl::StatusOr<absl::CivilDay> day = days.AddSchoolDays("5300011", absl::CivilDay(2026, 3, 4), 5);
  REQUIRE(day.ok());
  CHECK(FormatDate(*day) == "2026-03-13");
}

}  // namespace
}  // namespace pp::link
