// School working days: which dates a school is open to pupils, and counting
// school days forward from a date.
#ifndef PP_SERVICES_CALENDAR_SCHOOL_DAYS_H_
#define PP_SERVICES_CALENDAR_SCHOOL_DAYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "bank_holidays.h"
#include "calendar_store.h"
#include "parentsportal/calendar.pb.h"

namespace pp::calendar {

// The largest `days` AddSchoolDays accepts: a school year and then some.
inline constexpr int kMaxSchoolDaysToAdd = 366;

// Decides school days from the school's stored calendar and a list
// of bank holidays. A day is not a school day when it is a Saturday or
// Sunday, a bank holiday, or inside an all-day HOLIDAY or IN_SERVICE_DAY
// event of the school.
class SchoolDays {
 public:
  SchoolDays(CalendarStore& store, const BankHolidays& bank_holidays)
      : store_(store), bank_holidays_(bank_holidays) {}

  // InvalidArgument for a bad SEED code or a date that is not YYYY-MM-DD.
  absl::StatusOr<api::IsSchoolDayResponse> IsSchoolDay(const api::IsSchoolDayRequest& request);

  // InvalidArgument as IsSchoolDay, or for `days` outside 0 to
  // kMaxSchoolDaysToAdd. FailedPrecondition when the school's calendar has
  // too few school days in the three years after `date`.
  absl::StatusOr<api::AddSchoolDaysResponse> AddSchoolDays(
      const api::AddSchoolDaysRequest& request);

 private:
  CalendarStore& store_;
  const BankHolidays& bank_holidays_;
};

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_SCHOOL_DAYS_H_
