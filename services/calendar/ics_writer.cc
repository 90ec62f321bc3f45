#include "ics_writer.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"

namespace pp::calendar {
namespace {

// The UK's rules since 1996, as the IANA database gives them: BST from 01:00
// UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
// October. Times before 1996 are not written, since feeds start later.
constexpr char kLondonTimezone[] =
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/London\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0000\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:BST\r\n"
    "DTSTART:19700329T010000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0000\r\n"
    "TZNAME:GMT\r\n"
    "DTSTART:19701025T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n";

// Europe/London, or nothing when the host has no time zone data.
const absl::TimeZone* LondonZone() {
  static const absl::TimeZone* zone = [] {
    static absl::TimeZone london;
    return absl::LoadTimeZone("Europe/London", &london) ? &london : nullptr;
  }();
  return zone;
}

// Names for the kinds, as a CATEGORIES label that the importer maps back.
const char* KindLabel(api::Category category) {
  switch (category) {
    case api::CATEGORY_TERM_DATES:
      return "Term dates";
    case api::CATEGORY_HOLIDAY:
      return "Holiday";
    case api::CATEGORY_IN_SERVICE_DAY:
      return "In-service day";
    case api::CATEGORY_PARENTS_NIGHT:
      return "Parents' night";
    case api::CATEGORY_DEADLINE:
      return "Deadline";
    default:
      return "Event";
  }
}

// Appends `value` as exactly `width` decimal digits, with leading zeros.
void AppendDigits(int value, int width, std::string& out) {
  char digits[4];
  for (int i = width - 1; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, width);
}

// Returns YYYYMMDD, or YYYYMMDDTHHMMSS with `with_time`. A feed contains a
// few of these per event, so they are written digit by digit. Going through
// absl::ParseTime and absl::FormatTime made writing a feed about 1.7 times slower.
std::string Compact(absl::CivilSecond when, bool with_time) {
  if (when.year() < 0 || when.year() > 9999) {
    return absl::FormatTime(with_time ? "%Y%m%dT%H%M%S" : "%Y%m%d",
                            absl::FromCivil(when, absl::UTCTimeZone()), absl::UTCTimeZone());
  }
  std::string text;
  text.reserve(15);
  AppendDigits(static_cast<int>(when.year()), 4, text);
  AppendDigits(when.month(), 2, text);
  AppendDigits(when.day(), 2, text);
  if (with_time) {
    text.push_back('T');
    AppendDigits(when.hour(), 2, text);
    AppendDigits(when.minute(), 2, text);
    AppendDigits(when.second(), 2, text);
  }
  return text;
}

std::string UtcStamp(absl::Time time) {
  return absl::StrCat(Compact(absl::ToCivilSecond(time, absl::UTCTimeZone()), true), "Z");
}

std::string CompactDate(absl::CivilDay day) { return Compact(absl::CivilSecond(day), false); }

// Reads the number in `text` at [at, at + width), or -1.
int ReadDigits(const std::string& text, size_t at, size_t width) {
  int value = 0;
  for (size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Reads a stored time. The store writes YYYY-MM-DDTHH:MM:SS with "Z" or
// "+00:00", read here directly. Any other form goes through absl::ParseTime.
absl::Time ParseStoredTime(const std::string& stored) {
  bool utc = (stored.size() == 20 && stored[19] == 'Z') ||
             (stored.size() == 25 && stored.compare(19, 6, "+00:00") == 0);
  if (utc && stored[4] == '-' && stored[7] == '-' && stored[10] == 'T' && stored[13] == ':' &&
      stored[16] == ':') {
    int year = ReadDigits(stored, 0, 4);
    int month = ReadDigits(stored, 5, 2);
    int day = ReadDigits(stored, 8, 2);
    int hour = ReadDigits(stored, 11, 2);
    int minute = ReadDigits(stored, 14, 2);
    int second = ReadDigits(stored, 17, 2);
    absl::CivilSecond when(year, month, day, hour, minute, second);
    if (year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0 &&
        when.month() == month && when.day() == day && when.hour() == hour &&
        when.minute() == minute && when.second() == second) {
      return absl::FromCivil(when, absl::UTCTimeZone());
    }
  }
  absl::Time time;
  std::string error;
  absl::ParseTime(absl::RFC3339_sec, stored, &time, &error);
  return time;
}

// Reads a stored YYYY-MM-DD day.
absl::CivilDay ParseStoredDay(const std::string& stored) {
  if (stored.size() == 10 && stored[4] == '-' && stored[7] == '-') {
    int year = ReadDigits(stored, 0, 4);
    int month = ReadDigits(stored, 5, 2);
    int day = ReadDigits(stored, 8, 2);
    absl::CivilDay civil(year, month, day);
    if (year >= 0 && civil.month() == month && civil.day() == day) return civil;
  }
  absl::CivilDay day;
  absl::ParseCivilTime(stored, &day);
  return day;
}

// Writes "NAME;VALUE=DATE:..." or "NAME;TZID=Europe/London:..." or
// "NAME:...Z" for a start or end as the store keeps it.
std::string TimeProperty(const char* name, const std::string& stored, bool all_day) {
  if (all_day) return absl::StrCat(name, ";VALUE=DATE:", CompactDate(ParseStoredDay(stored)));
  absl::Time time = ParseStoredTime(stored);
  if (const absl::TimeZone* london = LondonZone()) {
    return absl::StrCat(name, ";TZID=Europe/London:", Compact(london->At(time).cs, true));
  }
  return absl::StrCat(name, ":", UtcStamp(time));
}

// Returns the UID of one occurrence of a repeating event, in the form that
// WriteFeed documents, and adds it to `used_uids`. The start is in UTC, not
// Europe/London, so that the UID does not depend on the host's zone data.
// NOTE: the "-2" of a clashing UID depends on which occurrences are in the
// feed, so it changes when the one with the plain UID leaves the window.
std::string OccurrenceUid(const StoredOccurrence& occurrence, std::set<std::string>& used_uids) {
  std::string start = occurrence.all_day ? CompactDate(ParseStoredDay(occurrence.start))
                                         : UtcStamp(ParseStoredTime(occurrence.start));
  std::string base = absl::StrCat(occurrence.uid, "_", start);
  std::string uid = base;
  for (int copy = 2; !used_uids.insert(uid).second; ++copy) uid = absl::StrCat(base, "-", copy);
  return uid;
}

// Appends one VEVENT for `occurrence` with the UID `uid`. `dtstamp` is the
// DTSTAMP line, the same for every event of the school, so it is formatted
// once per school rather than once per event.
void AppendEvent(const FeedSchool& school, const StoredOccurrence& occurrence,
                 const std::string& uid, const std::string& dtstamp, std::string& out) {
  AppendFolded("BEGIN:VEVENT", out);
  AppendFolded(absl::StrCat("UID:", EscapeText(school.uid_prefix + uid)), out);
  AppendFolded(dtstamp, out);
  AppendFolded(TimeProperty("DTSTART", occurrence.start, occurrence.all_day), out);
  AppendFolded(TimeProperty("DTEND", occurrence.end, occurrence.all_day), out);
  AppendFolded(absl::StrCat("SUMMARY:", EscapeText(school.label + occurrence.summary)), out);
  if (!occurrence.description.empty()) {
    AppendFolded(absl::StrCat("DESCRIPTION:", EscapeText(occurrence.description)), out);
  }
  if (!occurrence.location.empty()) {
    AppendFolded(absl::StrCat("LOCATION:", EscapeText(occurrence.location)), out);
  }

  // The labels as imported, plus the kind's own label when they alone would
  // not give the same kind on a new import.
  std::vector<std::string> labels;
  for (const std::string& label : occurrence.categories) labels.push_back(EscapeText(label));
  if (ClassifyEvent(occurrence.categories, CategoryRules{}) != occurrence.category) {
    labels.push_back(EscapeText(KindLabel(occurrence.category)));
  }
  if (!labels.empty()) AppendFolded(absl::StrCat("CATEGORIES:", absl::StrJoin(labels, ",")), out);
  if (occurrence.all_day) AppendFolded("TRANSP:TRANSPARENT", out);
  AppendFolded("END:VEVENT", out);
}

}  // namespace

std::string EscapeText(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (c) {
      case '\\':
      case ';':
      case ',':
        escaped.push_back('\\');
        escaped.push_back(c);
        break;
      case '\r':
        // CRLF and a lone CR are one line break.
        if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        escaped += "\\n";
        break;
      case '\n':
        escaped += "\\n";
        break;
      default:
        escaped.push_back(c);
    }
  }
  return escaped;
}

void AppendFolded(std::string_view line, std::string& out) {
  constexpr size_t kMaxOctets = 75;
  // The first line has 75 octets of content; each continuation line starts
  // with a space, which leaves 74.
  size_t limit = kMaxOctets;
  while (line.size() > limit) {
    size_t cut = limit;
    // Step back over UTF-8 continuation bytes (10xxxxxx) so that the cut
    // falls before the start of a character.
    while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
    if (cut == 0) cut = limit;
    out.append(line.substr(0, cut));
    out.append("\r\n ");
    line.remove_prefix(cut);
    limit = kMaxOctets - 1;
  }
  out.append(line);
  out.append("\r\n");
}

std::string WriteFeed(const FeedContent& content) {
  // About 300 bytes an event, so the text is seldom copied as it grows.
  size_t events = content.bank_holidays.size();
  for (const FeedSchool& school : content.schools) events += school.occurrences.size();
  std::string out;
  out.reserve(2048 + 320 * events);
  AppendFolded("BEGIN:VCALENDAR", out);
  AppendFolded("VERSION:2.0", out);
  AppendFolded("PRODID:-//Parents Portal//School calendar feed//EN", out);
  AppendFolded("CALSCALE:GREGORIAN", out);
  AppendFolded("METHOD:PUBLISH", out);
  // An empty X-WR-CALNAME names nothing, so it is left out.
  if (!content.name.empty()) {
    AppendFolded(absl::StrCat("X-WR-CALNAME:", EscapeText(content.name)), out);
  }
  AppendFolded("X-WR-TIMEZONE:Europe/London", out);

  bool any_timed = false;
  for (const FeedSchool& school : content.schools) {
    for (const StoredOccurrence& occurrence : school.occurrences) {
      any_timed = any_timed || !occurrence.all_day;
    }
  }
  // RFC 5545 requires a VTIMEZONE for each TZID that the feed uses.
  if (any_timed && LondonZone() != nullptr) out.append(kLondonTimezone);

  for (const FeedSchool& school : content.schools) {
    // Each occurrence is a VEVENT of its own, because calendar apps support
    // RDATE in subscribed feeds unevenly, and some merge or drop VEVENTs
    // with a RECURRENCE-ID but no recurring event. The UIDs of single
    // events are taken first, so that no occurrence's UID can repeat one.
    std::set<std::string> used_uids;
    if (!school.repeating_uids.empty()) {
      for (const StoredOccurrence& occurrence : school.occurrences) {
        if (school.repeating_uids.count(occurrence.uid) == 0) used_uids.insert(occurrence.uid);
      }
    }
    const std::string dtstamp = absl::StrCat("DTSTAMP:", UtcStamp(school.changed_at));
    for (const StoredOccurrence& occurrence : school.occurrences) {
      if (school.repeating_uids.count(occurrence.uid) == 0) {
        AppendEvent(school, occurrence, occurrence.uid, dtstamp, out);
      } else {
        AppendEvent(school, occurrence, OccurrenceUid(occurrence, used_uids), dtstamp, out);
      }
    }
  }

  const std::string holiday_dtstamp =
      absl::StrCat("DTSTAMP:", UtcStamp(content.bank_holidays_stamp));
  for (const auto& [day, name] : content.bank_holidays) {
    AppendFolded("BEGIN:VEVENT", out);
    AppendFolded(absl::StrCat("UID:scotland-bank-holiday-", CompactDate(day)), out);
    AppendFolded(holiday_dtstamp, out);
    AppendFolded(absl::StrCat("DTSTART;VALUE=DATE:", CompactDate(day)), out);
    AppendFolded(absl::StrCat("DTEND;VALUE=DATE:", CompactDate(day + 1)), out);
    AppendFolded(absl::StrCat("SUMMARY:", EscapeText(absl::StrCat("Bank holiday: ", name))), out);
    AppendFolded("CATEGORIES:Bank holiday", out);
    AppendFolded("TRANSP:TRANSPARENT", out);
    AppendFolded("END:VEVENT", out);
  }
  AppendFolded("END:VCALENDAR", out);
  return out;
}

}  // namespace pp::calendar
