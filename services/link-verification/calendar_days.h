// School working days from the calendar service, which stores each school's
// own holidays. When it cannot be reached, weekends and Scottish bank
// holidays are used instead.
#ifndef PP_LINK_CALENDAR_DAYS_H_
#define PP_LINK_CALENDAR_DAYS_H_

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "working_days.h"

namespace pp::link {

class CalendarSchoolDays : public SchoolDays {
 public:
  // Results are cached for `cache_lifetime`, so that listing many requests
  // does not ask the calendar service for the same day again.
  explicit CalendarSchoolDays(std::shared_ptr<grpc::Channel> channel,
                              absl::Duration cache_lifetime = absl::Minutes(10));

  // Calls Calendar.IsSchoolDay with a one-second deadline. When the call
  // fails, logs a warning (at most once a minute) and returns the result of
  // ScottishWorkingDays, so it never fails itself.
  absl::StatusOr<bool> IsSchoolDay(const std::string& seed_code, absl::CivilDay day) override;

 private:
  struct Cached {
    bool school_day = false;
    absl::Time expires = absl::InfinitePast();
  };

  std::unique_ptr<parentsportal::calendar::v1::Calendar::Stub> stub_;
  const absl::Duration cache_lifetime_;
  ScottishWorkingDays fallback_;
  absl::Mutex mutex_;
  std::map<std::pair<std::string, absl::CivilDay>, Cached> cache_ ABSL_GUARDED_BY(mutex_);
  absl::Time last_warning_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace pp::link

#endif  // PP_LINK_CALENDAR_DAYS_H_
