#include "school_days.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "calendar_service.h"
#include "log/log.h"

namespace pp::calendar {
namespace {

// How far AddSchoolDays looks ahead before it gives up: a calendar with fewer
// school days than asked for in this span is wrong, not merely long.
constexpr int kSearchDays = 3 * 366;

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(
        absl::StrCat("`date` must be a date as YYYY-MM-DD, got \"", text.substr(0, 40), "\""));
  }
  return day;
}

// The reasons a school is closed on each day of [from, to), for the days
// it is closed.
class ClosedDays {
 public:
  static absl::StatusOr<ClosedDays> Load(CalendarStore& store, const BankHolidays& bank_holidays,
                                         const std::string& seed_code, absl::CivilDay from,
                                         absl::CivilDay to) {
    absl::StatusOr<std::vector<Closure>> closures = store.ListClosures(seed_code, from, to);
    if (!closures.ok()) {
      log::Error("calendar_closures_failed")
          .Field("school", seed_code)
          .Field("error", closures.status().message());
      return closures.status();
    }
    ClosedDays closed;
    for (const Closure& closure : *closures) {
      const char* kind =
          closure.category == api::CATEGORY_IN_SERVICE_DAY ? "in-service day" : "holiday";
      for (absl::CivilDay day = std::max(closure.first, from); day < closure.after_last && day < to;
           ++day) {
        closed.reasons_.emplace(day, absl::StrCat(kind, ": ", closure.summary));
      }
    }
    for (auto it = bank_holidays.lower_bound(from); it != bank_holidays.end() && it->first < to;
         ++it) {
      // A bank holiday is the more general reason, so it wins over the
      // school's own name for the same day.
      closed.reasons_[it->first] = absl::StrCat("bank holiday: ", it->second);
    }
    return closed;
  }

  // Empty when `day` is a school day.
  std::string Reason(absl::CivilDay day) const {
    absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) return "weekend";
    auto found = reasons_.find(day);
    return found == reasons_.end() ? "" : found->second;
  }

 private:
  std::map<absl::CivilDay, std::string> reasons_;
};

}  // namespace

absl::StatusOr<api::IsSchoolDayResponse> SchoolDays::IsSchoolDay(
    const api::IsSchoolDayRequest& request) {
  if (absl::Status status = ValidateSeedCode(request.seed_code()); !status.ok()) return status;
  absl::StatusOr<absl::CivilDay> day = ParseDay(request.date());
  if (!day.ok()) return day.status();

  absl::StatusOr<ClosedDays> closed =
      ClosedDays::Load(store_, bank_holidays_, request.seed_code(), *day, *day + 1);
  if (!closed.ok()) return closed.status();
  api::IsSchoolDayResponse response;
  response.set_reason(closed->Reason(*day));
  response.set_school_day(response.reason().empty());
  return response;
}

absl::StatusOr<api::AddSchoolDaysResponse> SchoolDays::AddSchoolDays(
    const api::AddSchoolDaysRequest& request) {
  if (absl::Status status = ValidateSeedCode(request.seed_code()); !status.ok()) return status;
  absl::StatusOr<absl::CivilDay> start = ParseDay(request.date());
  if (!start.ok()) return start.status();
  if (request.days() < 0 || request.days() > kMaxSchoolDaysToAdd) {
    return absl::InvalidArgumentError(
        absl::StrCat("`days` must be from 0 to ", kMaxSchoolDaysToAdd, ", got ", request.days()));
  }

  absl::CivilDay end = *start + kSearchDays;
  absl::StatusOr<ClosedDays> closed =
      ClosedDays::Load(store_, bank_holidays_, request.seed_code(), *start + 1, end);
  if (!closed.ok()) return closed.status();

  // Step day by day: the count is at most a few hundred days.
  absl::CivilDay day = *start;
  for (int counted = 0; counted < request.days();) {
    ++day;
    if (day >= end) {
      return absl::FailedPreconditionError(
          absl::StrCat("the calendar of school ", request.seed_code(), " has fewer than ",
                       request.days(), " school days between ", request.date(), " and ",
                       absl::FormatCivilTime(end), "; check its holidays"));
    }
    if (closed->Reason(day).empty()) ++counted;
  }
  api::AddSchoolDaysResponse response;
  response.set_date(absl::FormatCivilTime(day));
  return response;
}

}  // namespace pp::calendar
