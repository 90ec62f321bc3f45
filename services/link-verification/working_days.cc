#include "working_days.h"

#include <set>

namespace pp::link {
namespace {

// A search for school days gives up after this many calendar days, so that a
// calendar marking a whole year closed cannot make a call run forever.
constexpr int kMaxDaysSearched = 400;

bool IsWeekend(absl::CivilDay day) {
  absl::Weekday weekday = absl::GetWeekday(day);
  return weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
}

// Easter Sunday of the Gregorian calendar (the anonymous Gregorian
// algorithm, also known as Meeus/Jones/Butcher).
absl::CivilDay EasterSunday(int64_t year) {
  int64_t a = year % 19;
  int64_t b = year / 100;
  int64_t c = year % 100;
  int64_t d = b / 4;
  int64_t e = b % 4;
  int64_t f = (b + 8) / 25;
  int64_t g = (b - f + 1) / 3;
  int64_t h = (19 * a + b - d - g + 15) % 30;
  int64_t i = c / 4;
  int64_t k = c % 4;
  int64_t l = (32 + 2 * e + 2 * i - h - k) % 7;
  int64_t m = (a + 11 * h + 22 * l) / 451;
  int64_t month = (h + l - 7 * m + 114) / 31;
  int64_t day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

absl::CivilDay FirstMonday(int64_t year, int month) {
  return absl::NextWeekday(absl::CivilDay(year, month, 1) - 1, absl::Weekday::monday);
}

absl::CivilDay LastMonday(int64_t year, int month) {
  absl::CivilDay first_of_next = absl::CivilDay(year, month + 1, 1);
  return absl::PrevWeekday(first_of_next, absl::Weekday::monday);
}

std::set<absl::CivilDay> HolidaysOf(int64_t year) {
  // Holidays that can fall on a weekend, in the order they take substitute
  // days: a later one moves past the substitute of an earlier one.
  const absl::CivilDay fixed[] = {
      absl::CivilDay(year, 1, 1),   absl::CivilDay(year, 1, 2),   absl::CivilDay(year, 11, 30),
      absl::CivilDay(year, 12, 25), absl::CivilDay(year, 12, 26),
  };
  std::set<absl::CivilDay> holidays = {EasterSunday(year) - 2, FirstMonday(year, 5),
                                       LastMonday(year, 5), FirstMonday(year, 8)};
  for (absl::CivilDay day : fixed) {
    while (IsWeekend(day) || holidays.count(day) > 0) ++day;
    holidays.insert(day);
  }
  return holidays;
}

}  // namespace

bool IsScottishBankHoliday(absl::CivilDay day) {
  // A substitute for 1 or 2 January never leaves the year, and one for
  // Boxing Day can reach 28 December at the latest.
  return HolidaysOf(day.year()).count(day) > 0;
}

absl::StatusOr<absl::CivilDay> SchoolDays::AddSchoolDays(const std::string& seed_code,
                                                         absl::CivilDay from, int count) {
  absl::CivilDay day = from;
  for (int searched = 0, found = 0; found < count; ++searched) {
    if (searched >= kMaxDaysSearched) {
      return absl::FailedPreconditionError(
          "the school's calendar has no school days in the next 400 days");
    }
    ++day;
    absl::StatusOr<bool> open = IsSchoolDay(seed_code, day);
    if (!open.ok()) return open.status();
    found += *open ? 1 : 0;
  }
  return day;
}

absl::StatusOr<int> SchoolDays::CountSchoolDays(const std::string& seed_code, absl::CivilDay from,
                                                absl::CivilDay to) {
  int count = 0;
  for (absl::CivilDay day = from + 1; day <= to && day - from <= kMaxDaysSearched; ++day) {
    absl::StatusOr<bool> open = IsSchoolDay(seed_code, day);
    if (!open.ok()) return open.status();
    count += *open ? 1 : 0;
  }
  return count;
}

absl::StatusOr<bool> ScottishWorkingDays::IsSchoolDay(const std::string& /*seed_code*/,
                                                      absl::CivilDay day) {
  return !IsWeekend(day) && !IsScottishBankHoliday(day);
}

absl::StatusOr<absl::Time> DecisionDeadline(SchoolDays& school_days, const std::string& seed_code,
                                            absl::Time requested_at, absl::TimeZone zone) {
  absl::StatusOr<absl::CivilDay> day = school_days.AddSchoolDays(
      seed_code, absl::ToCivilDay(requested_at, zone), kDecisionWorkingDays);
  if (!day.ok()) return day.status();
  return absl::FromCivil(absl::CivilSecond(day->year(), day->month(), day->day(), 23, 59, 59),
                         zone);
}

}  // namespace pp::link
