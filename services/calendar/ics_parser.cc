#include "ics_parser.h"

#include <libical/ical.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "text/utf8.h"

namespace pp::calendar {
namespace {

// A rule that needs more steps than this to cross the expansion window
// repeats too often for a school calendar (FREQ=MINUTELY, for example).
// Daily and weekly rules start near the window (MoveStartNearWindow), so
// this bounds rules with COUNT, monthly and yearly ones with many BY parts,
// and sub-daily ones in a zone. libical 3.0.16 took 3 to 8 microseconds a
// step on a shared 2-core VM, so one rule holds the parser lock for at most
// about 80 ms there.
constexpr int kMaxRuleSteps = 10000;

// Returns true for an hourly, minutely or secondly rule with any BY part.
// libical 3.0.16 steps such a rule one period at a time until a step
// matches, inside one call. FREQ=HOURLY;BYMONTH=3;BYDAY=-1SU from 1981 took
// about 15 seconds under the fuzzer's sanitizers. A secondly rule whose BY
// parts rarely match would take far longer (an estimate, not measured).
bool IsFilteredSubDaily(const icalrecurrencetype& rule) {
  if (rule.freq != ICAL_SECONDLY_RECURRENCE && rule.freq != ICAL_MINUTELY_RECURRENCE &&
      rule.freq != ICAL_HOURLY_RECURRENCE) {
    return false;
  }
  const short* parts[] = {rule.by_second,  rule.by_minute,    rule.by_hour,
                          rule.by_day,     rule.by_month_day, rule.by_year_day,
                          rule.by_week_no, rule.by_month,     rule.by_set_pos};
  for (const short* part : parts) {
    if (part[0] != ICAL_RECURRENCE_ARRAY_MAX) return true;
  }
  return false;
}

struct ComponentDeleter {
  void operator()(icalcomponent* component) const { icalcomponent_free(component); }
};
using ComponentPtr = std::unique_ptr<icalcomponent, ComponentDeleter>;

struct IteratorDeleter {
  void operator()(icalrecur_iterator* iterator) const { icalrecur_iterator_free(iterator); }
};
using IteratorPtr = std::unique_ptr<icalrecur_iterator, IteratorDeleter>;

// libical keeps global error state and a cache of time zones, so documents
// are parsed one at a time.
std::mutex& ParserMutex() {
  static std::mutex mutex;
  return mutex;
}

// Frees, when it goes out of scope, the temporary strings libical made on
// this thread. libical 3.0 keeps each in a per-thread ring and frees it only
// after a fixed number of later ones, so without this each pool thread of
// the service would keep the last strings of the calendars it parsed.
struct TemporaryStringsRelease {
  ~TemporaryStringsRelease() { icalmemory_free_ring(); }
};

// Times without a zone ("floating" in RFC 5545) are read as UK time,
// because the schools that use this service are in the UK.
const absl::TimeZone& FloatingTimeZone() {
  static const absl::TimeZone zone = [] {
    absl::TimeZone london;
    if (!absl::LoadTimeZone("Europe/London", &london)) return absl::UTCTimeZone();
    return london;
  }();
  return zone;
}

std::string DateText(const icaltimetype& time) {
  return absl::StrFormat("%04d-%02d-%02d", time.year, time.month, time.day);
}

absl::CivilDay CivilDate(const icaltimetype& time) {
  return absl::CivilDay(time.year, time.month, time.day);
}

int64_t DaySeconds(absl::CivilDay day) {
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone()));
}

// Seconds since the epoch of a date (at midnight UTC) or of a date-time in
// its own zone. A zoned time after kLatestYear is read as floating time
// instead, so the result is off by the zones' difference. Such a time lies
// after every expansion window, and libical converts it slowly.
int64_t EpochSeconds(const icaltimetype& time) {
  if (time.is_date) return DaySeconds(CivilDate(time));
  if (time.zone != nullptr && time.year <= kLatestYear) {
    return icaltime_as_timet_with_zone(time, time.zone);
  }
  absl::CivilSecond civil(time.year, time.month, time.day, time.hour, time.minute, time.second);
  return absl::ToUnixSeconds(absl::FromCivil(civil, FloatingTimeZone()));
}

std::string UtcText(int64_t seconds) {
  return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
}

std::string TextOrEmpty(const char* text) { return text == nullptr ? "" : text; }

// Names an event in a warning by its position and, when it has them, its
// UID or summary, so that a school can find it in its own program.
std::string DescribeEvent(int position, int line, icalcomponent* event) {
  std::string uid = TextOrEmpty(icalcomponent_get_uid(event));
  std::string summary = TextOrEmpty(icalcomponent_get_summary(event));
  std::string name = absl::StrCat("VEVENT ", position);
  if (line > 0) absl::StrAppend(&name, " at line ", line);
  if (!uid.empty()) return absl::StrCat(name, " (UID \"", text::TruncateUtf8(uid, 100), "\")");
  if (!summary.empty())
    return absl::StrCat(name, " (SUMMARY \"", text::TruncateUtf8(summary, 100), "\")");
  return name;
}

// True when `time` names a day that exists, and a time of day that exists.
// libical reads the digits of 20270230 or 20271315 without checking them,
// and absl would roll such a date on to another one.
bool IsRealTime(const icaltimetype& time) {
  if (time.month < 1 || time.month > 12 || time.day < 1) return false;
  absl::CivilDay day(time.year, time.month, time.day);
  if (day.month() != time.month || day.day() != time.day) return false;
  if (time.is_date) return true;
  return time.hour >= 0 && time.hour < 24 && time.minute >= 0 && time.minute < 60 &&
         time.second >= 0 && time.second <= 60;
}

// True when `value` follows RFC 5545 sections 3.3.4 and 3.3.5: YYYYMMDD,
// or YYYYMMDDTHHMMSS with an optional Z.
bool IsDateOrDateTimeText(std::string_view value) {
  auto digits = [&](size_t from, size_t count) {
    if (value.size() < from + count) return false;
    for (size_t i = from; i < from + count; ++i) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(value[i]))) return false;
    }
    return true;
  };
  if (value.size() == 8) return digits(0, 8);
  if (value.size() != 15 && value.size() != 16) return false;
  if (!digits(0, 8) || (value[8] != 'T' && value[8] != 't') || !digits(9, 6)) return false;
  return value.size() == 15 || value[15] == 'Z' || value[15] == 'z';
}

// Facts read from the text of one VEVENT. The line (from 1) of its
// BEGIN:VEVENT lets warnings point a school at the right line. The first
// DTSTART or DTEND whose value is not a date or date-time at all is described,
// because libical reads the day of "2027021X" as 1 and drops the rest.
struct VeventText {
  int line = 0;
  std::string date_problem;
};

// Reads the facts of each VEVENT in `ics`, in document order.
std::vector<VeventText> ReadVeventText(std::string_view ics) {
  std::vector<VeventText> events;
  int line = 1;
  int depth = 0;
  // A property's line with its folded continuations joined, as RFC 5545
  // section 3.1 unfolds them.
  std::string logical;
  auto check = [&](const std::string& text) {
    if (depth != 1 || events.empty() || !events.back().date_problem.empty()) return;
    std::string name = absl::AsciiStrToUpper(text.substr(0, text.find_first_of(";:")));
    if (name != "DTSTART" && name != "DTEND") return;
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return;
    std::string_view value = std::string_view(text).substr(colon + 1);
    if (!IsDateOrDateTimeText(value)) {
      events.back().date_problem =
          absl::StrCat("has ", name, " \"", text::TruncateUtf8(value, 40),
                       "\", which is not a date written YYYYMMDD or a date "
                       "and time written YYYYMMDDTHHMMSS");
    }
  };
  size_t line_start = 0;
  for (size_t i = 0; i <= ics.size(); ++i) {
    if (i < ics.size() && ics[i] != '\n') continue;
    std::string_view text = ics.substr(line_start, i - line_start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
      logical.append(text.substr(1));
    } else {
      check(logical);
      logical.assign(text);
      absl::string_view plain(text.data(), text.size());
      if (absl::StartsWithIgnoreCase(plain, "BEGIN:")) {
        if (depth == 0 && absl::EqualsIgnoreCase(plain, "BEGIN:VEVENT")) {
          events.push_back({line, ""});
          depth = 1;
        } else if (depth > 0) {
          ++depth;
        }
      } else if (depth > 0 && absl::StartsWithIgnoreCase(plain, "END:")) {
        --depth;
      }
    }
    ++line;
    line_start = i + 1;
  }
  check(logical);
  return events;
}

class Importer {
 public:
  Importer(absl::Time now, const CategoryRules& rules, std::vector<VeventText> vevent_text)
      : window_start_(absl::ToUnixSeconds(now - kExpandBefore)),
        window_end_(absl::ToUnixSeconds(now + kExpandAfter)),
        rules_(rules),
        vevent_text_(std::move(vevent_text)) {}

  void AddCalendar(icalcomponent* calendar);
  ParsedCalendar& result() { return result_; }
  int64_t occurrence_count() const { return occurrence_count_; }

 private:
  void AddEvent(int position, icalcomponent* event);
  std::string Describe(int position, icalcomponent* event) const {
    const VeventText* text = TextOf(position);
    return DescribeEvent(position, text == nullptr ? 0 : text->line, event);
  }
  const VeventText* TextOf(int position) const {
    bool known = position >= 1 && position <= static_cast<int>(vevent_text_.size());
    return known ? &vevent_text_[position - 1] : nullptr;
  }
  void Skip(int position, icalcomponent* event, std::string_view reason);
  // Adds a warning when DTSTART names a zone that libical could not find,
  // because libical then reads the time as floating, which is UK time here.
  void WarnOfUnknownZone(int position, icalcomponent* event, const icaltimetype& start);
  void Expand(int position, icalcomponent* event, const icaltimetype& start, int64_t duration,
              CalendarEvent& out);
  Occurrence MakeOccurrence(const icaltimetype& start, bool all_day, int64_t duration) const;
  icaltimetype MoveStartNearWindow(const icalrecurrencetype& rule, icaltimetype start) const;

  const int64_t window_start_;
  const int64_t window_end_;
  const CategoryRules& rules_;
  const std::vector<VeventText> vevent_text_;
  // VEVENTs seen so far across every VCALENDAR of the document.
  int position_ = 0;
  ParsedCalendar result_;
  int64_t occurrence_count_ = 0;
  std::set<std::string> master_uids_;
  // For each UID, the starts of occurrences that another VEVENT (with a
  // RECURRENCE-ID) replaces or cancels.
  std::map<std::string, std::set<int64_t>> replaced_;
};

void Importer::AddCalendar(icalcomponent* calendar) {
  for (icalproperty* property = icalcomponent_get_first_property(calendar, ICAL_X_PROPERTY);
       property != nullptr && result_.name.empty();
       property = icalcomponent_get_next_property(calendar, ICAL_X_PROPERTY)) {
    if (TextOrEmpty(icalproperty_get_x_name(property)) == "X-WR-CALNAME") {
      result_.name = text::TruncateUtf8(TextOrEmpty(icalproperty_get_x(property)), 200);
    }
  }

  // Occurrences replaced by their own VEVENT are dropped from the rule's
  // expansion, wherever in the document the replacement comes.
  for (icalcomponent* event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
       event != nullptr;
       event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
    icalproperty* recurrence_id =
        icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY);
    const char* uid = icalcomponent_get_uid(event);
    if (recurrence_id == nullptr || uid == nullptr) continue;
    replaced_[uid].insert(EpochSeconds(icalproperty_get_recurrenceid(recurrence_id)));
  }

  for (icalcomponent* event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT);
       event != nullptr;
       event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)) {
    AddEvent(++position_, event);
  }
}

void Importer::Skip(int position, icalcomponent* event, std::string_view reason) {
  ++result_.events_skipped;
  result_.warnings.push_back(
      absl::StrCat(Describe(position, event), " ", std::string(reason), "; skipped it"));
}

void Importer::WarnOfUnknownZone(int position, icalcomponent* event, const icaltimetype& start) {
  if (start.zone != nullptr || start.is_date || icaltime_is_utc(start)) return;
  icalproperty* property = icalcomponent_get_first_property(event, ICAL_DTSTART_PROPERTY);
  icalparameter* tzid = property == nullptr
                            ? nullptr
                            : icalproperty_get_first_parameter(property, ICAL_TZID_PARAMETER);
  if (tzid == nullptr) return;
  std::string zone = TextOrEmpty(icalparameter_get_tzid(tzid));
  result_.warnings.push_back(absl::StrCat(
      Describe(position, event), " names the time zone \"", text::TruncateUtf8(zone, 100),
      "\", which the file does not define; imported its times as UK time, so add the zone's "
      "VTIMEZONE to the export if that is wrong"));
}

void Importer::AddEvent(int position, icalcomponent* event) {
  std::string uid = TextOrEmpty(icalcomponent_get_uid(event));
  if (uid.empty()) return Skip(position, event, "has no UID");
  if (icalcomponent_get_status(event) == ICAL_STATUS_CANCELLED) {
    ++result_.events_skipped;
    return;
  }
  const VeventText* text = TextOf(position);
  if (text != nullptr && !text->date_problem.empty())
    return Skip(position, event, text->date_problem);
  icaltimetype start = icalcomponent_get_dtstart(event);
  if (icaltime_is_null_time(start)) return Skip(position, event, "has no valid DTSTART");
  if (!IsRealTime(start)) {
    return Skip(position, event,
                absl::StrCat("has DTSTART ", icaltime_as_ical_string(start),
                             ", which is not a real date or time"));
  }
  if (start.year < kEarliestYear) {
    return Skip(position, event, absl::StrCat("starts before the year ", kEarliestYear));
  }
  if (start.year > kLatestYear) {
    return Skip(position, event, absl::StrCat("starts after the year ", kLatestYear));
  }
  bool is_override = icalcomponent_get_first_property(event, ICAL_RECURRENCEID_PROPERTY) != nullptr;
  if (!is_override && !master_uids_.insert(uid).second) {
    return Skip(position, event, "repeats a UID used by an earlier event");
  }
  WarnOfUnknownZone(position, event, start);

  CalendarEvent out;
  out.uid = uid;
  out.summary = TextOrEmpty(icalcomponent_get_summary(event));
  out.description = TextOrEmpty(icalcomponent_get_description(event));
  out.location = TextOrEmpty(icalcomponent_get_location(event));
  out.all_day = start.is_date;
  for (icalproperty* category = icalcomponent_get_first_property(event, ICAL_CATEGORIES_PROPERTY);
       category != nullptr;
       category = icalcomponent_get_next_property(event, ICAL_CATEGORIES_PROPERTY)) {
    std::string text = TextOrEmpty(icalproperty_get_categories(category));
    if (!text.empty()) out.categories.push_back(text);
  }
  out.category = ClassifyEvent(out.categories, rules_);

  // The duration is in days for all-day events and in seconds otherwise. A
  // missing DTEND (and DURATION) means one day, or an instant for a timed
  // event, as RFC 5545 section 3.6.1 specifies.
  icaltimetype end = icalcomponent_get_dtend(event);
  if (!icaltime_is_null_time(end) && !IsRealTime(end)) {
    return Skip(position, event,
                absl::StrCat("has DTEND ", icaltime_as_ical_string(end),
                             ", which is not a real date or time"));
  }
  int64_t duration = out.all_day ? 1 : 0;
  if (!icaltime_is_null_time(end)) {
    duration =
        out.all_day ? CivilDate(end) - CivilDate(start) : EpochSeconds(end) - EpochSeconds(start);
  }
  if (duration < 0 || (out.all_day && duration == 0)) {
    result_.warnings.push_back(absl::StrCat(Describe(position, event),
                                            " ends before it starts; imported it as ",
                                            out.all_day ? "one day" : "an instant"));
    duration = out.all_day ? 1 : 0;
  }

  bool repeats = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY) != nullptr ||
                 icalcomponent_get_first_property(event, ICAL_RDATE_PROPERTY) != nullptr;
  if (!is_override && repeats) {
    Expand(position, event, start, duration, out);
  } else {
    out.occurrences.push_back(MakeOccurrence(start, out.all_day, duration));
  }
  occurrence_count_ += static_cast<int64_t>(out.occurrences.size());
  result_.events.push_back(std::move(out));
}

void Importer::Expand(int position, icalcomponent* event, const icaltimetype& start,
                      int64_t duration, CalendarEvent& out) {
  // EXDATE values of either type exclude an occurrence: a date excludes
  // every occurrence on that local date, a date-time the one at that instant.
  std::set<std::string> excluded_dates;
  std::set<int64_t> excluded_instants;
  for (icalproperty* exdate = icalcomponent_get_first_property(event, ICAL_EXDATE_PROPERTY);
       exdate != nullptr; exdate = icalcomponent_get_next_property(event, ICAL_EXDATE_PROPERTY)) {
    icaltimetype excluded = icalproperty_get_exdate(exdate);
    if (excluded.is_date) {
      excluded_dates.insert(DateText(excluded));
    } else {
      excluded_instants.insert(EpochSeconds(excluded));
    }
  }
  const std::set<int64_t>& replaced = replaced_[out.uid];
  auto wanted = [&](const icaltimetype& time) {
    int64_t seconds = EpochSeconds(time);
    return excluded_dates.count(DateText(time)) == 0 && excluded_instants.count(seconds) == 0 &&
           replaced.count(seconds) == 0;
  };

  // The rule's occurrences (or DTSTART alone, for RDATE without RRULE),
  // collected up to one more than the limit so that a cut can be reported.
  std::vector<Occurrence> found;
  icalproperty* rule_property = icalcomponent_get_first_property(event, ICAL_RRULE_PROPERTY);
  IteratorPtr iterator;
  if (rule_property != nullptr) {
    icalrecurrencetype rule = icalproperty_get_rrule(rule_property);
    if (IsFilteredSubDaily(rule)) {
      result_.warnings.push_back(absl::StrCat(Describe(position, event),
                                              " repeats more often than daily on chosen days or "
                                              "times, which is not expanded; imported only its "
                                              "first occurrence"));
    } else {
      iterator.reset(icalrecur_iterator_new(rule, MoveStartNearWindow(rule, start)));
      if (iterator == nullptr) {
        result_.warnings.push_back(absl::StrCat(Describe(position, event),
                                                " has an RRULE that cannot be expanded; imported "
                                                "only its first occurrence"));
      }
    }
  }
  if (iterator == nullptr) {
    if (wanted(start)) found.push_back(MakeOccurrence(start, out.all_day, duration));
  } else {
    int steps = 0;
    for (icaltimetype next = icalrecur_iterator_next(iterator.get()); !icaltime_is_null_time(next);
         next = icalrecur_iterator_next(iterator.get())) {
      if (++steps > kMaxRuleSteps) {
        result_.warnings.push_back(absl::StrCat(Describe(position, event),
                                                " repeats too often; imported the occurrences "
                                                "before ",
                                                DateText(next)));
        break;
      }
      int64_t next_seconds = EpochSeconds(next);
      if (next_seconds >= window_end_) break;
      if (next_seconds < window_start_ || !wanted(next)) continue;
      found.push_back(MakeOccurrence(next, out.all_day, duration));
      if (static_cast<int>(found.size()) > kMaxOccurrencesPerEvent) break;
    }
  }

  // RDATE adds occurrences, as a date, a date-time or a period with its own
  // end. The same window and exclusions apply as to the rule.
  for (icalproperty* rdate = icalcomponent_get_first_property(event, ICAL_RDATE_PROPERTY);
       rdate != nullptr; rdate = icalcomponent_get_next_property(event, ICAL_RDATE_PROPERTY)) {
    icaldatetimeperiodtype value = icalproperty_get_rdate(rdate);
    icaltimetype time = value.time;
    int64_t rdate_duration = duration;
    if (icaltime_is_null_time(time) && !icaltime_is_null_time(value.period.start)) {
      time = value.period.start;
      if (!icaltime_is_null_time(value.period.end)) {
        rdate_duration = EpochSeconds(value.period.end) - EpochSeconds(time);
      } else {
        rdate_duration = icaldurationtype_as_int(value.period.duration);
      }
      if (out.all_day || rdate_duration < 0) rdate_duration = duration;
    }
    if (icaltime_is_null_time(time)) {
      result_.warnings.push_back(
          absl::StrCat(Describe(position, event), " has an RDATE that is not a date; ignored it"));
      continue;
    }
    int64_t seconds = EpochSeconds(time);
    if (seconds < window_start_ || seconds >= window_end_ || !wanted(time)) continue;
    found.push_back(MakeOccurrence(time, out.all_day, rdate_duration));
  }

  // Sort, drop an RDATE that repeats a rule occurrence, and apply the limit.
  std::sort(found.begin(), found.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.start_seconds < b.start_seconds;
  });
  found.erase(std::unique(found.begin(), found.end(),
                          [](const Occurrence& a, const Occurrence& b) {
                            return a.start_seconds == b.start_seconds;
                          }),
              found.end());
  if (static_cast<int>(found.size()) > kMaxOccurrencesPerEvent) {
    found.resize(kMaxOccurrencesPerEvent);
    result_.warnings.push_back(
        absl::StrCat(Describe(position, event), " has more than ", kMaxOccurrencesPerEvent,
                     " occurrences; imported the first ", kMaxOccurrencesPerEvent));
  }
  out.occurrences = std::move(found);
}

// A rule that repeats every fixed number of seconds, days or weeks gives
// the same occurrences from any earlier occurrence as from DTSTART, so the
// iterator can start close to the window instead of stepping through every
// occurrence since DTSTART. libical 3.0.16 takes a few microseconds a step,
// and a daily rule from 1900 took about 0.2 s to reach the window. A rule
// with COUNT counts from DTSTART, and months and years have no fixed length,
// so those start at the DTSTART the document gives.
icaltimetype Importer::MoveStartNearWindow(const icalrecurrencetype& rule,
                                           icaltimetype start) const {
  int64_t period = 0;
  switch (rule.freq) {
    case ICAL_SECONDLY_RECURRENCE:
      period = 1;
      break;
    case ICAL_MINUTELY_RECURRENCE:
      period = 60;
      break;
    case ICAL_HOURLY_RECURRENCE:
      period = 3600;
      break;
    case ICAL_DAILY_RECURRENCE:
      period = 86400;
      break;
    case ICAL_WEEKLY_RECURRENCE:
      period = 7 * 86400;
      break;
    default:
      return start;
  }
  if (rule.count > 0) return start;
  const int64_t step = period * std::max<int64_t>(rule.interval, 1);
  if (start.is_date && step % 86400 != 0) return start;
  // In a zone with daylight saving time libical steps hours, minutes and
  // seconds in elapsed time, not on the clock, so those are moved only in
  // UTC and floating time.
  const bool zoned = start.zone != nullptr && !icaltime_is_utc(start);
  if (zoned && period < 86400) return start;

  // libical steps the local date and time, so the move is made on those
  // fields. A field out of range (month 13) is left to libical.
  const absl::CivilSecond from(start.year, start.month, start.day, start.hour, start.minute,
                               start.second);
  if (from.year() != start.year || from.month() != start.month || from.day() != start.day ||
      from.hour() != start.hour || from.minute() != start.minute || from.second() != start.second) {
    return start;
  }
  // Two days before the window in UTC is before it in every zone, and one
  // more step keeps the moved start itself out of the window.
  const absl::CivilSecond window =
      absl::ToCivilSecond(absl::FromUnixSeconds(window_start_), absl::UTCTimeZone()) - 2 * 86400;
  const int64_t steps = (window - from) / step - 1;
  if (steps <= 0) return start;

  const absl::CivilSecond moved = from + steps * step;
  start.year = static_cast<int>(moved.year());
  start.month = moved.month();
  start.day = moved.day();
  start.hour = moved.hour();
  start.minute = moved.minute();
  start.second = moved.second();
  return start;
}

Occurrence Importer::MakeOccurrence(const icaltimetype& start, bool all_day,
                                    int64_t duration) const {
  Occurrence occurrence;
  if (all_day) {
    absl::CivilDay first = CivilDate(start);
    absl::CivilDay after_last = first + duration;
    occurrence.start = absl::FormatCivilTime(first);
    occurrence.end = absl::FormatCivilTime(after_last);
    occurrence.start_seconds = DaySeconds(first);
    occurrence.end_seconds = DaySeconds(after_last);
    return occurrence;
  }
  occurrence.start_seconds = EpochSeconds(start);
  occurrence.end_seconds = occurrence.start_seconds + duration;
  occurrence.start = UtcText(occurrence.start_seconds);
  occurrence.end = UtcText(occurrence.end_seconds);
  return occurrence;
}

bool HasLineStarting(std::string_view ics, absl::string_view prefix) {
  for (absl::string_view line : absl::StrSplit(absl::string_view(ics.data(), ics.size()), '\n')) {
    if (absl::StartsWithIgnoreCase(line, prefix)) return true;
  }
  return false;
}

// Returns the error for a document libical found no component in: one cut
// short after BEGIN:VCALENDAR, or one that is not iCalendar at all.
absl::Status UnparsedDocumentError(std::string_view ics) {
  if (HasLineStarting(ics, "BEGIN:VCALENDAR") && !HasLineStarting(ics, "END:VCALENDAR")) {
    return absl::InvalidArgumentError(
        "the document has BEGIN:VCALENDAR but no END:VCALENDAR, so it is incomplete, perhaps "
        "cut short while it was saved or copied; export the calendar again");
  }
  return absl::InvalidArgumentError(
      "the document is not iCalendar: it has no BEGIN:VCALENDAR ... END:VCALENDAR block");
}

}  // namespace

absl::StatusOr<ParsedCalendar> ParseCalendar(std::string_view ics, absl::Time now,
                                             const CategoryRules& rules) {
  if (ics.empty()) {
    return absl::InvalidArgumentError(
        "the calendar document is empty; send an iCalendar (RFC 5545) document");
  }
  if (ics.size() > kMaxDocumentBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the calendar document is ", ics.size(), " bytes, more than the limit of ",
        kMaxDocumentBytes, " bytes (5 MiB); send fewer events, for example only this year's"));
  }
  if (ics.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "the calendar document contains a NUL byte, so it is not iCalendar text");
  }

  std::lock_guard<std::mutex> lock(ParserMutex());
  // Declared before the parsed tree, so it runs after the tree is freed and
  // every string the import kept has been copied.
  TemporaryStringsRelease release_strings;
  icalerror_set_errors_are_fatal(0);
  std::string text(ics);
  ComponentPtr root(icalparser_parse_string(text.c_str()));
  if (root == nullptr) return UnparsedDocumentError(ics);

  // Several VCALENDAR objects in one document arrive under an XROOT.
  std::vector<icalcomponent*> calendars;
  if (icalcomponent_isa(root.get()) == ICAL_VCALENDAR_COMPONENT) {
    calendars.push_back(root.get());
  } else if (icalcomponent_isa(root.get()) == ICAL_XROOT_COMPONENT) {
    for (icalcomponent* calendar =
             icalcomponent_get_first_component(root.get(), ICAL_VCALENDAR_COMPONENT);
         calendar != nullptr;
         calendar = icalcomponent_get_next_component(root.get(), ICAL_VCALENDAR_COMPONENT)) {
      calendars.push_back(calendar);
    }
  }
  if (calendars.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the document has no VCALENDAR object (it starts with ",
                     icalcomponent_kind_to_string(icalcomponent_isa(root.get())),
                     "); put the events between BEGIN:VCALENDAR and END:VCALENDAR"));
  }

  int vevent_count = 0;
  for (icalcomponent* calendar : calendars) {
    vevent_count += icalcomponent_count_components(calendar, ICAL_VEVENT_COMPONENT);
  }
  // The lines match the VEVENTs by position unless libical saw a different
  // number of them (one nested in another component), and then no line is
  // given.
  std::vector<VeventText> vevent_text = ReadVeventText(ics);
  if (static_cast<int>(vevent_text.size()) != vevent_count) vevent_text.clear();
  Importer importer(now, rules, std::move(vevent_text));
  for (icalcomponent* calendar : calendars) importer.AddCalendar(calendar);
  if (importer.occurrence_count() > kMaxOccurrencesPerDocument) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the calendar expands to ", importer.occurrence_count(), " occurrences, more than the ",
        "limit of ", kMaxOccurrencesPerDocument, "; shorten the repeating events' rules"));
  }
  return std::move(importer.result());
}

}  // namespace pp::calendar
