#include "import_checks.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "categories.h"
#include "feed_service.h"
#include "text/utf8.h"

namespace pp::calendar {
namespace {

// Warnings quoted in an error about a document without events.
constexpr size_t kWarningsQuoted = 3;

std::string Events(int count) { return absl::StrCat(count, count == 1 ? " event" : " events"); }

// Returns " (not N as confirmed)" when the school confirmed another number.
std::string NotAsConfirmed(int confirmed) {
  if (confirmed == 0) return "";
  return absl::StrCat(" (not ", confirmed, " as confirmed)");
}

// Returns why the document has no events, with the first warnings.
std::string WhyNoEvents(const ImportChange& change, const std::vector<std::string>& warnings) {
  if (change.skipped == 0) return "the document contains no VEVENT";
  std::string why = absl::StrCat("every VEVENT in the document was skipped (", change.skipped,
                                 " cancelled or faulty)");
  std::vector<std::string> quoted;
  for (size_t i = 0; i < warnings.size() && i < kWarningsQuoted; ++i) quoted.push_back(warnings[i]);
  if (!quoted.empty()) absl::StrAppend(&why, ": ", absl::StrJoin(quoted, "; "));
  return why;
}

}  // namespace

absl::Status CheckFeedLimit(const std::vector<CalendarEvent>& events, absl::Time now) {
  // The same window as FeedService::RenderFeed and the store's overlap
  // rule: an occurrence is in the feed when it ends after the first day,
  // or is an instant on or after it.
  const absl::CivilDay first_day = absl::ToCivilDay(now, absl::UTCTimeZone()) - kFeedDaysBefore;
  const int64_t from = absl::ToUnixSeconds(absl::FromCivil(first_day, absl::UTCTimeZone()));
  int64_t in_feed = 0;
  for (const CalendarEvent& event : events) {
    for (const Occurrence& occurrence : event.occurrences) {
      const bool instant = occurrence.end_seconds == occurrence.start_seconds;
      if (occurrence.end_seconds > from || (instant && occurrence.start_seconds >= from)) {
        ++in_feed;
      }
    }
  }
  if (in_feed <= kMaxFeedOccurrences) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the calendar has ", in_feed, " occurrences from ", absl::FormatCivilTime(first_day),
      " onwards, more than the ", kMaxFeedOccurrences,
      " that a school's calendar feed contains, so the feed would leave out ",
      in_feed - kMaxFeedOccurrences,
      "; nothing was changed. Shorten the repeating events' rules or import fewer events"));
}

absl::Status CheckRemovalConfirmed(const ImportChange& change, int confirmed,
                                   const std::vector<std::string>& first_warnings) {
  if (confirmed < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "`confirm_events_removed` must be 0 or the number of events to remove, got ", confirmed));
  }

  // A document without events is most likely the wrong file, or an export
  // that failed. With nothing stored, importing it would change nothing.
  if (change.imported == 0 && change.stored == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(WhyNoEvents(change, first_warnings),
                     ", so there is nothing to import; export the calendar again"));
  }

  const bool routine = change.removed < change.stored && (change.removed <= kRoutineEventRemovals ||
                                                          2 * change.removed <= change.stored);
  if ((routine && confirmed == 0) || confirmed == change.removed) return absl::OkStatus();

  if (change.imported == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        WhyNoEvents(change, first_warnings),
        ", so importing it would remove the school's whole calendar of ", Events(change.stored),
        NotAsConfirmed(confirmed),
        "; nothing was changed. Check that this is the right file. To remove the school's "
        "whole calendar, import it again confirming the removal (schoolctl "
        "--confirm_events_removed ",
        change.removed, ")"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "This import would remove ", change.removed, " of the school's ", Events(change.stored),
      " (counted by UID)", NotAsConfirmed(confirmed),
      ", so nothing was changed. An import replaces the whole calendar, so the file must contain "
      "every event the school keeps, such as term dates and holidays together. If the removal "
      "is right, import it again confirming it (schoolctl --confirm_events_removed ",
      change.removed, ")"));
}

namespace {

// True when `summary` contains a word that names a day the school is
// closed. Words are split at spaces and common punctuation, but not at
// hyphens, so "Half-term (October)" contains "half-term".
bool NamesClosure(const std::string& summary) {
  std::string lower = absl::AsciiStrToLower(summary);
  for (absl::string_view word : absl::StrSplit(lower, absl::ByAnyChar(" \t,.;:()/&'\"!?[]"))) {
    if (word == "holiday" || word == "holidays" || word == "half-term" || word == "in-service" ||
        word == "inset") {
      return true;
    }
  }
  return false;
}

}  // namespace

std::vector<std::string> UnusedLabelWarnings(const std::vector<CalendarEvent>& events,
                                             const std::vector<std::string>& category_map) {
  std::set<std::string> used;
  for (const CalendarEvent& event : events) {
    for (const std::string& label : event.categories) used.insert(NormalizeLabel(label));
  }
  std::vector<std::string> warnings;
  for (const std::string& label : category_map) {
    if (used.count(NormalizeLabel(label)) > 0) continue;
    warnings.push_back(absl::StrCat("The category map's label \"", text::TruncateUtf8(label, 60),
                                    "\" matches no event's CATEGORIES, so it changed nothing"));
  }
  return warnings;
}

std::vector<std::string> UnmarkedClosureWarnings(const std::vector<CalendarEvent>& events,
                                                 bool default_category) {
  std::vector<std::string> warnings;
  if (events.empty()) return warnings;
  bool any_labels = false;
  for (const CalendarEvent& event : events) any_labels = any_labels || !event.categories.empty();
  if (!any_labels && !default_category) {
    const std::string imported =
        events.size() == 1
            ? "its one event was imported as an ordinary event, which does not mark"
            : absl::StrCat("all ", events.size(),
                           " events were imported as ordinary events, and none marks");
    warnings.push_back(absl::StrCat(
        "No event has a CATEGORIES label, so ", imported,
        " a day the school is closed. If the document lists holidays, import it again with the "
        "default category holiday (schoolctl import-calendar --default-category holiday)"));
    return warnings;
  }

  int unmarked = 0;
  for (const CalendarEvent& event : events) {
    if (event.category != api::CATEGORY_EVENT || !NamesClosure(event.summary)) continue;
    ++unmarked;
    if (unmarked > kClosureWarnings) continue;
    // An event without labels has none to map, so it needs the default.
    const char* fix = event.categories.empty()
                          ? "give it CATEGORIES:Holiday, or import with --default-category "
                            "holiday if every event without a label is a holiday"
                          : "give it CATEGORIES:Holiday or map its label with --category-map";
    warnings.push_back(absl::StrCat(
        "VEVENT \"", text::TruncateUtf8(event.summary, 60), "\" (UID \"",
        text::TruncateUtf8(event.uid, 60),
        "\") is an ordinary event, so its days count as school days. If the school is closed "
        "then, ",
        fix));
  }
  if (unmarked > kClosureWarnings) {
    warnings.push_back(absl::StrCat(unmarked - kClosureWarnings,
                                    " more ordinary events are named like holidays or in-service "
                                    "days"));
  }
  return warnings;
}

}  // namespace pp::calendar
