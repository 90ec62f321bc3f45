// Reading a school's iCalendar (RFC 5545) document into the events the
// calendar service stores, with repeating events expanded into occurrences.
#ifndef PP_SERVICES_CALENDAR_ICS_PARSER_H_
#define PP_SERVICES_CALENDAR_ICS_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "categories.h"

namespace pp::calendar {

// The largest document ParseCalendar accepts.
inline constexpr size_t kMaxDocumentBytes = 5 * 1024 * 1024;

// Repeating events are expanded at import over this window around the
// import time, and occurrences outside it are not stored.
inline constexpr absl::Duration kExpandBefore = absl::Hours(24 * 730);
inline constexpr absl::Duration kExpandAfter = absl::Hours(24 * 1096);

// The latest year in which an event may start. libical 3.0.16 keeps a
// time zone's transitions only up to the year 2582 and works them out again
// for each later time it converts, which took about 0.1 s per conversion
// (measured on a shared 2-core VM). No school calendar needs such dates.
inline constexpr int kLatestYear = 2199;

// The earliest year in which an event may start, the first whole year of
// the Gregorian calendar. libical 3.0.16 (with ICU) counts earlier days in
// the Julian calendar, so a weekly rule from such a date repeats on another
// weekday than RFC 5545's Gregorian dates give, and stepping it from then
// to the window is slow. A school calendar with such a date has a typo.
inline constexpr int kEarliestYear = 1583;

// The maximum number of occurrences one repeating event, and one document,
// may expand to.
inline constexpr int kMaxOccurrencesPerEvent = 1000;
inline constexpr int kMaxOccurrencesPerDocument = 200000;

// One occurrence. All-day events carry dates (YYYY-MM-DD, exclusive end);
// timed events carry RFC 3339 UTC times. The seconds are since the Unix
// epoch, with a date read as midnight UTC, so that both kinds sort together.
struct Occurrence {
  std::string start;
  std::string end;
  int64_t start_seconds = 0;
  int64_t end_seconds = 0;
};

struct CalendarEvent {
  std::string uid;
  std::string summary;
  std::string description;
  std::string location;
  bool all_day = false;
  // The CATEGORIES labels as the document gives them.
  std::vector<std::string> categories;
  api::Category category = api::CATEGORY_EVENT;
  // Sorted by start. One element unless the event repeats.
  std::vector<Occurrence> occurrences;
};

struct ParsedCalendar {
  // The calendar's X-WR-CALNAME, or empty.
  std::string name;
  std::vector<CalendarEvent> events;
  // Cancelled events, events without a UID or DTSTART, events starting
  // before kEarliestYear or after kLatestYear, and repeated UIDs.
  int events_skipped = 0;
  // One line for each event skipped for a fault, or cut short.
  std::vector<std::string> warnings;
};

// Parses `ics`. Returns InvalidArgument when the document is empty, larger
// than kMaxDocumentBytes, not iCalendar, has no VCALENDAR, or expands to
// more than kMaxOccurrencesPerDocument occurrences. A faulty VEVENT does not
// fail the document: it is skipped and named in the warnings. Repeating
// events are expanded over [now - kExpandBefore, now + kExpandAfter). Each
// event's kind comes from ClassifyEvent with `rules`.
absl::StatusOr<ParsedCalendar> ParseCalendar(std::string_view ics, absl::Time now,
                                             const CategoryRules& rules = {});

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_ICS_PARSER_H_
