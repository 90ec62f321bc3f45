// Reminders to schools: a sweep that emails a school's contact address once
// about each pending link request that has waited
// SchoolRecordsService::kReminderWorkingDays school working days. main.cc
// runs it every --sweep_interval_seconds on a PeriodicTask.
#ifndef PP_LINK_SCHOOL_REMINDERS_H_
#define PP_LINK_SCHOOL_REMINDERS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "link_metrics.h"
#include "notifier.h"
#include "store/store.h"
#include "working_days.h"

namespace pp::link {

// Counts of one reminder sweep.
struct SweepResult {
  int sent = 0;
  // Send failed, so the request is tried again at the next sweep.
  int failed = 0;
  // Requests due a reminder whose school has set no contact address.
  int no_contact = 0;
};

class SchoolReminders {
 public:
  // Working days are counted in `zone`. All references must outlive this.
  SchoolReminders(Store& store, Clock& clock, Notifier& notifier, SchoolDays& school_days,
                  LinkMetrics& metrics, absl::TimeZone zone);

  // Sends one SCHOOL_REMINDER email for each pending, unexpired request that
  // is kReminderWorkingDays or more school working days old and was not
  // reminded about before, to its school's contact address. The idempotency
  // key is derived from the request id, and the request is marked only
  // after Send succeeded, so a failed Send is retried at the next sweep and
  // a repeated sweep never sends twice. Logs one warning per school that
  // has requests due but no contact address. Fails only when the store
  // cannot be read.
  absl::StatusOr<SweepResult> Sweep();

 private:
  Store& store_;
  Clock& clock_;
  Notifier& notifier_;
  SchoolDays& school_days_;
  LinkMetrics& metrics_;
  absl::TimeZone zone_;
};

}  // namespace pp::link

#endif  // PP_LINK_SCHOOL_REMINDERS_H_
