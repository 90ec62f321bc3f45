// The calendar service's logic: importing a school's iCalendar document and
// listing its events, apart from the gRPC wiring.
#ifndef PP_SERVICES_CALENDAR_CALENDAR_SERVICE_H_
#define PP_SERVICES_CALENDAR_CALENDAR_SERVICE_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "calendar_store.h"
#include "clock/clock.h"
#include "parentsportal/calendar.pb.h"

namespace pp::calendar {

namespace api = parentsportal::calendar::v1;

// The maximum number of days ListEvents covers in one request.
inline constexpr int kMaxWindowDays = 400;
// ListEvents' max_events when the request leaves it 0, and its upper limit.
inline constexpr int kDefaultMaxEvents = 200;
inline constexpr int kMaxEventsLimit = 1000;

// Callbacks that count imports, which main wires to Prometheus counters. Every
// member may be left empty.
struct ImportCounters {
  std::function<void(const api::ImportCalendarSummary&)> on_import;
  std::function<void()> on_rejected;
};

class CalendarService {
 public:
  CalendarService(CalendarStore& store, Clock& clock, ImportCounters counters = {})
      : store_(store), clock_(clock), counters_(std::move(counters)) {}

  // Replaces the school's calendar with the document's events. Returns
  // InvalidArgument for a bad SEED code, or a document that ParseCalendar
  // or CheckFeedLimit rejects. Returns FailedPrecondition for a removal
  // that CheckRemovalConfirmed finds unconfirmed. Either way nothing is
  // written. A faulty event only adds a warning to the summary. The caller
  // has already checked that the request may act for the school.
  absl::StatusOr<api::ImportCalendarSummary> ImportCalendar(
      const api::ImportCalendarRequest& request);

  // Lists the school's occurrences overlapping [from, to), earliest first.
  // InvalidArgument for a bad SEED code, a date that is not YYYY-MM-DD, a
  // `to` not after `from`, a range longer than kMaxWindowDays or a negative
  // max_events. A school without a calendar has no events.
  absl::StatusOr<api::ListEventsResponse> ListEvents(const api::ListEventsRequest& request);

  // Returns what ListEvents would, when the store has the list in memory,
  // and nullopt otherwise, or when the request is invalid. Never reads
  // SQLite, so it may run where waiting is not allowed.
  std::optional<api::ListEventsResponse> CachedListEvents(const api::ListEventsRequest& request);

 private:
  // Counts and logs an import rejected for `status`, and returns it.
  absl::Status Rejected(const std::string& seed_code, absl::Status status);

  CalendarStore& store_;
  Clock& clock_;
  ImportCounters counters_;
};

// Returns InvalidArgument unless `seed_code` is a SEED code: seven digits.
absl::Status ValidateSeedCode(const std::string& seed_code);

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_CALENDAR_SERVICE_H_
