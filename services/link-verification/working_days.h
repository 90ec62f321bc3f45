// School working days: the days on which a school can decide a link
// request. They set a request's expected-by date, its age and when the
// school is reminded.
#ifndef PP_LINK_WORKING_DAYS_H_
#define PP_LINK_WORKING_DAYS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pp::link {

// True for the bank holidays of Scotland: 1 and 2 January, Good Friday, the
// first and last Mondays of May, the first Monday of August, St Andrew's Day
// (30 November), Christmas Day and Boxing Day. A holiday on a weekend moves
// to the next weekday that is not already a holiday. One-off holidays that
// are proclaimed for a single year (a coronation, a jubilee) are not known.
bool IsScottishBankHoliday(absl::CivilDay day);

class SchoolDays {
 public:
  virtual ~SchoolDays() = default;

  // True when school `seed_code` is open on `day`. Fails with Unavailable
  // when the answer cannot be had now.
  virtual absl::StatusOr<bool> IsSchoolDay(const std::string& seed_code, absl::CivilDay day) = 0;

  // Returns the day that is `count` school days after `from`, not counting
  // `from` itself.
  absl::StatusOr<absl::CivilDay> AddSchoolDays(const std::string& seed_code, absl::CivilDay from,
                                               int count);

  // Returns how many school days lie after `from` up to and including `to`;
  // 0 when `to` is not after `from`.
  absl::StatusOr<int> CountSchoolDays(const std::string& seed_code, absl::CivilDay from,
                                      absl::CivilDay to);
};

// School working days a school has to decide a link request.
inline constexpr int kDecisionWorkingDays = 5;

// Returns the deadline of a link request made at `requested_at` to school
// `seed_code`: the last second (23:59:59 in `zone`) of the
// kDecisionWorkingDays-th school day after the day it was made.
absl::StatusOr<absl::Time> DecisionDeadline(SchoolDays& school_days, const std::string& seed_code,
                                            absl::Time requested_at, absl::TimeZone zone);

// Monday to Friday, except Scottish bank holidays. Knows nothing of a
// school's own holidays.
class ScottishWorkingDays : public SchoolDays {
 public:
  absl::StatusOr<bool> IsSchoolDay(const std::string& seed_code, absl::CivilDay day) override;
};

}  // namespace pp::link

#endif  // PP_LINK_WORKING_DAYS_H_
