// The checks an import passes before it replaces a school's calendar: that
// the school's feed can serve every occurrence, and that the school
// confirmed removing most or all of its stored events.
#ifndef PP_SERVICES_CALENDAR_IMPORT_CHECKS_H_
#define PP_SERVICES_CALENDAR_IMPORT_CHECKS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ics_parser.h"

namespace pp::calendar {

// Stored events, counted by UID, that an import may remove without
// confirmation, unless it removes every stored event. Above it, removing up
// to half of the stored events is still routine.
inline constexpr int kRoutineEventRemovals = 10;

// The change an import would make to the stored calendar, counted by UID.
struct ImportChange {
  // UIDs stored before the import.
  int stored = 0;
  // Stored UIDs that the document does not contain.
  int removed = 0;
  // Events in the document, and events it skipped (cancelled or faulty).
  int imported = 0;
  int skipped = 0;
};

// Returns InvalidArgument, giving both numbers, when `events` have more
// occurrences that a feed written at `now` would contain (those ending
// kFeedDaysBefore days before the UTC day of `now` or later) than the
// feed's limit, kMaxFeedOccurrences. A feed written later starts later and
// so contains no more of them.
absl::Status CheckFeedLimit(const std::vector<CalendarEvent>& events, absl::Time now);

// Returns OK when the change may be applied. Returns InvalidArgument for a
// negative `confirmed`, and for a document without events while nothing is
// stored. Returns FailedPrecondition, naming the number to confirm and the
// schoolctl flag that confirms it, when the import would remove every
// stored event, or more than kRoutineEventRemovals and more than half of
// them, and `confirmed` is not that exact number. A non-zero `confirmed`
// that differs from the number removed is FailedPrecondition too.
// `first_warnings` are quoted in the messages about a document without
// events, because such an error carries no summary.
absl::Status CheckRemovalConfirmed(const ImportChange& change, int confirmed,
                                   const std::vector<std::string>& first_warnings);

// Returns warnings about days the school may be closed on that the import
// will count as school days, because the events that mark them are
// ordinary events (CATEGORY_EVENT). Without `default_category`, a document
// in which no event has CATEGORIES gets one warning for all of its events.
// Otherwise each ordinary event whose SUMMARY contains the word "holiday",
// "holidays", "half-term", "in-service" or "INSET" gets one, up to
// kClosureWarnings.
std::vector<std::string> UnmarkedClosureWarnings(const std::vector<CalendarEvent>& events,
                                                 bool default_category);

// Returns a warning for each label of `category_map` (as the request gives
// them) that no event's CATEGORIES contains. Such a label changed nothing,
// so it is most likely misspelt.
std::vector<std::string> UnusedLabelWarnings(const std::vector<CalendarEvent>& events,
                                             const std::vector<std::string>& category_map);

// The maximum number of events UnmarkedClosureWarnings names one by one.
// One more line counts the rest.
inline constexpr int kClosureWarnings = 5;

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_IMPORT_CHECKS_H_
