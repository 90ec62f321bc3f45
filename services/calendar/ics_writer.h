// Writing iCalendar (RFC 5545) feeds: escaping, folding and the events of
// one or more schools in one VCALENDAR.
#ifndef PP_SERVICES_CALENDAR_ICS_WRITER_H_
#define PP_SERVICES_CALENDAR_ICS_WRITER_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "calendar_store.h"

namespace pp::calendar {

// Escapes TEXT values: backslash, semicolon, comma and line breaks
// (RFC 5545 section 3.3.11).
std::string EscapeText(std::string_view text);

// Appends `line` to `out` folded into lines of at most 75 octets, each ended
// by CRLF, without splitting a UTF-8 character (RFC 5545 section 3.1).
void AppendFolded(std::string_view line, std::string& out);

// One school's part of a feed.
struct FeedSchool {
  std::string seed_code;
  // Put before each SUMMARY ("Tayside Primary: ") when not empty.
  std::string label;
  // Added to each UID ("5300011.") when not empty, so that two schools'
  // UIDs cannot collide in one feed.
  std::string uid_prefix;
  std::vector<StoredOccurrence> occurrences;
  // UIDs of the school's repeating events. Each occurrence of one of these
  // is written as its own VEVENT with a UID of its own.
  std::set<std::string> repeating_uids;
  // DTSTAMP of the school's events: when its calendar last changed.
  absl::Time changed_at;
};

// What a feed contains.
struct FeedContent {
  // The X-WR-CALNAME, left out when empty.
  std::string name;
  std::vector<FeedSchool> schools;
  // Bank holidays to add as all-day events, with their DTSTAMP.
  std::vector<std::pair<absl::CivilDay, std::string>> bank_holidays;
  absl::Time bank_holidays_stamp;
};

// Returns the feed as a VCALENDAR, with one VEVENT for each occurrence and
// no RRULE, RDATE or RECURRENCE-ID. An occurrence of a repeating event gets
// the UID "<event UID>_<start>", where the start is YYYYMMDDTHHMMSSZ in UTC
// for a timed occurrence and the YYYYMMDD date for an all-day one. When
// that UID is already taken in the school's part of the feed, "-2", "-3"
// and so on are added. Other events keep their UIDs. Timed events are
// written in Europe/London with its VTIMEZONE, or in UTC when the host has
// no time zone data. The output depends only on `content`, not on the
// host's zone or the current time.
std::string WriteFeed(const FeedContent& content);

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_ICS_WRITER_H_
