// Decision deadlines kept in step with school calendars. A pending
// request's deadline is counted when it is made, but a school may close on
// more days later (a new in-service day, an extra holiday).
#ifndef PP_LINK_DEADLINE_SWEEP_H_
#define PP_LINK_DEADLINE_SWEEP_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "store/store.h"
#include "working_days.h"

namespace pp::link {

class DeadlineSweep {
 public:
  // Days are counted in `zone`. All references must outlive this.
  DeadlineSweep(Store& store, Clock& clock, SchoolDays& school_days, absl::TimeZone zone);

  // Counts each pending, unexpired request's deadline again from the
  // school's current calendar and moves it later when the school has
  // closed on more days since. A deadline never moves earlier, so a
  // calendar service that cannot be reached (its fallback knows no school
  // holidays) changes nothing. Returns how many deadlines moved. Fails
  // only when the store cannot be read.
  absl::StatusOr<int> ExtendDeadlines();

 private:
  Store& store_;
  Clock& clock_;
  SchoolDays& school_days_;
  absl::TimeZone zone_;
};

}  // namespace pp::link

#endif  // PP_LINK_DEADLINE_SWEEP_H_
