#include "calendar_service.h"

#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "crypto/crypto.h"
#include "import_checks.h"
#include "log/log.h"

namespace pp::calendar {
namespace {

absl::StatusOr<absl::CivilDay> ParseDate(const std::string& field, const std::string& text) {
  absl::CivilDay day;
  // ParseCivilTime also accepts a year of more or fewer than four digits,
  // which the API does not.
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "`", field, "` must be a date as YYYY-MM-DD, got \"", text.substr(0, 40), "\""));
  }
  return day;
}

int64_t DaySeconds(absl::CivilDay day) {
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone()));
}

bool IsKnownCategory(api::Category category) {
  return api::Category_IsValid(category) && category != api::CATEGORY_UNSPECIFIED;
}

absl::StatusOr<CategoryRules> MakeCategoryRules(const api::ImportCalendarRequest& request) {
  CategoryRules rules;
  for (const auto& [label, category] : request.category_map()) {
    if (!IsKnownCategory(category)) {
      return absl::InvalidArgumentError(
          absl::StrCat("`category_map` gives the label \"", label.substr(0, 60), "\" the category ",
                       static_cast<int>(category), ", which is not one of the named kinds"));
    }
    rules.school_labels[NormalizeLabel(label)] = category;
  }
  if (request.default_category() != api::CATEGORY_UNSPECIFIED) {
    if (!IsKnownCategory(request.default_category())) {
      return absl::InvalidArgumentError(absl::StrCat("`default_category` ",
                                                     static_cast<int>(request.default_category()),
                                                     " is not one of the named kinds"));
    }
    rules.fallback = request.default_category();
  }
  return rules;
}

// Returns a digest of everything the store keeps of one event, so that
// equal digests mean an unchanged event.
std::string EventDigest(const CalendarEvent& event) {
  std::string text =
      absl::StrCat(event.uid, "\x1f", event.summary, "\x1f", event.description, "\x1f",
                   event.location, "\x1f", event.all_day ? 1 : 0, "\x1f",
                   CategoryName(event.category), "\x1f", absl::StrJoin(event.categories, "\x1e"));
  for (const Occurrence& occurrence : event.occurrences) {
    absl::StrAppend(&text, "\x1f", occurrence.start, "/", occurrence.end);
  }
  return crypto::HashToken(text);
}

// A ListEvents request once checked: its range in seconds and its limit.
struct EventsQuery {
  int64_t from_seconds = 0;
  int64_t to_seconds = 0;
  int limit = 0;
};

api::ListEventsResponse ToResponse(const std::vector<StoredOccurrence>& occurrences) {
  api::ListEventsResponse response;
  for (const StoredOccurrence& occurrence : occurrences) {
    api::Event* event = response.add_events();
    event->set_uid(occurrence.uid);
    event->set_summary(occurrence.summary);
    event->set_description(occurrence.description);
    event->set_location(occurrence.location);
    event->set_all_day(occurrence.all_day);
    event->set_category(occurrence.category);
    event->set_start(occurrence.start);
    event->set_end(occurrence.end);
    for (const std::string& category : occurrence.categories) event->add_categories(category);
  }
  return response;
}

}  // namespace

absl::Status ValidateSeedCode(const std::string& seed_code) {
  bool all_digits = std::all_of(seed_code.begin(), seed_code.end(),
                                [](char c) { return absl::ascii_isdigit(c); });
  if (seed_code.size() != 7 || !all_digits) {
    return absl::InvalidArgumentError(
        absl::StrCat("`seed_code` must be the school's 7-digit SEED code, got \"",
                     seed_code.substr(0, 20), "\""));
  }
  return absl::OkStatus();
}

absl::Status CalendarService::Rejected(const std::string& seed_code, absl::Status status) {
  log::Info("calendar_import_rejected")
      .Field("school", seed_code)
      .Field("code", absl::StatusCodeToString(status.code()));
  if (counters_.on_rejected) counters_.on_rejected();
  return status;
}

absl::StatusOr<api::ImportCalendarSummary> CalendarService::ImportCalendar(
    const api::ImportCalendarRequest& request) {
  if (absl::Status status = ValidateSeedCode(request.seed_code()); !status.ok()) return status;

  absl::StatusOr<CategoryRules> rules = MakeCategoryRules(request);
  if (!rules.ok()) return rules.status();

  absl::Time now = clock_.Now();
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(request.ics(), now, *rules);
  if (!parsed.ok()) return Rejected(request.seed_code(), parsed.status());
  if (absl::Status status = CheckFeedLimit(parsed->events, now); !status.ok()) {
    return Rejected(request.seed_code(), status);
  }

  // Compare each UID's events with what is stored, so that an import of an
  // unchanged document changes nothing, not even the feeds' Last-Modified.
  absl::StatusOr<std::map<std::string, std::string>> stored =
      store_.EventDigests(request.seed_code());
  if (!stored.ok()) {
    log::Error("calendar_store_failed")
        .Field("school", request.seed_code())
        .Field("error", stored.status().message());
    return stored.status();
  }
  std::vector<std::string> digests;
  std::map<std::string, std::string> incoming;
  for (const CalendarEvent& event : parsed->events) {
    digests.push_back(EventDigest(event));
    incoming[event.uid] += digests.back();
  }

  api::ImportCalendarSummary summary;
  for (const auto& [uid, digest] : incoming) {
    auto found = stored->find(uid);
    if (found == stored->end()) {
      summary.set_uids_added(summary.uids_added() + 1);
    } else if (found->second != digest) {
      summary.set_uids_changed(summary.uids_changed() + 1);
    } else {
      summary.set_uids_unchanged(summary.uids_unchanged() + 1);
    }
  }
  for (const auto& [uid, digest] : *stored) {
    if (incoming.count(uid) == 0) summary.set_uids_removed(summary.uids_removed() + 1);
  }

  // A wrong or empty file must not silently remove the holidays that
  // school-day counts depend on.
  ImportChange change;
  change.stored = static_cast<int>(stored->size());
  change.removed = summary.uids_removed();
  change.imported = static_cast<int>(parsed->events.size());
  change.skipped = parsed->events_skipped;
  if (absl::Status status =
          CheckRemovalConfirmed(change, request.confirm_events_removed(), parsed->warnings);
      !status.ok()) {
    return Rejected(request.seed_code(), status);
  }

  // The calendar's name shows in calendar apps, so a new name alone is a
  // change too.
  absl::StatusOr<CalendarInfo> info = store_.GetCalendarInfo(request.seed_code());
  if (!info.ok()) {
    log::Error("calendar_store_failed")
        .Field("school", request.seed_code())
        .Field("error", info.status().message());
    return info.status();
  }
  bool renamed = info->changed_at != absl::InfinitePast() && info->name != parsed->name;
  bool changed =
      renamed || summary.uids_added() + summary.uids_changed() + summary.uids_removed() > 0;
  absl::Status status = changed ? store_.ReplaceCalendar(request.seed_code(), parsed->name,
                                                         parsed->events, digests, now)
                                : store_.RecordUnchangedImport(request.seed_code(), now);
  if (!status.ok()) {
    log::Error("calendar_store_failed")
        .Field("school", request.seed_code())
        .Field("error", status.message());
    return status;
  }

  summary.set_events_imported(static_cast<int>(parsed->events.size()));
  summary.set_events_skipped(parsed->events_skipped);
  for (const std::string& warning : parsed->warnings) summary.add_warnings(warning);
  std::vector<std::string> map_labels;
  for (const auto& [label, category] : request.category_map()) map_labels.push_back(label);
  // A protobuf map's order is unspecified, so the warnings are sorted.
  std::sort(map_labels.begin(), map_labels.end());
  for (const std::string& warning : UnusedLabelWarnings(parsed->events, map_labels)) {
    summary.add_warnings(warning);
  }
  for (const std::string& warning : UnmarkedClosureWarnings(
           parsed->events, request.default_category() != api::CATEGORY_UNSPECIFIED)) {
    summary.add_warnings(warning);
  }
  log::Info("calendar_imported")
      .Field("school", request.seed_code())
      .Field("events", summary.events_imported())
      .Field("skipped", summary.events_skipped())
      .Field("warnings", summary.warnings_size())
      .Field("added", summary.uids_added())
      .Field("changed", summary.uids_changed())
      .Field("removed", summary.uids_removed());
  if (counters_.on_import) counters_.on_import(summary);
  return summary;
}

namespace {

absl::StatusOr<EventsQuery> CheckListEvents(const api::ListEventsRequest& request) {
  if (absl::Status status = ValidateSeedCode(request.seed_code()); !status.ok()) return status;
  absl::StatusOr<absl::CivilDay> from = ParseDate("from", request.from());
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::CivilDay> to = ParseDate("to", request.to());
  if (!to.ok()) return to.status();
  if (*to <= *from) {
    return absl::InvalidArgumentError(absl::StrCat("`to` (", request.to(),
                                                   ") must be after `from` (", request.from(),
                                                   "); the range is [from, to)"));
  }
  if (*to - *from > kMaxWindowDays) {
    return absl::InvalidArgumentError(absl::StrCat("the range ", request.from(), " to ",
                                                   request.to(), " is longer than ", kMaxWindowDays,
                                                   " days; ask for less"));
  }
  if (request.max_events() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("`max_events` must be 0 (for ",
                                                   kDefaultMaxEvents, ") or more, got ",
                                                   request.max_events()));
  }
  EventsQuery query;
  query.from_seconds = DaySeconds(*from);
  query.to_seconds = DaySeconds(*to);
  query.limit = request.max_events() == 0 ? kDefaultMaxEvents
                                          : std::min(request.max_events(), kMaxEventsLimit);
  return query;
}

}  // namespace

absl::StatusOr<api::ListEventsResponse> CalendarService::ListEvents(
    const api::ListEventsRequest& request) {
  absl::StatusOr<EventsQuery> query = CheckListEvents(request);
  if (!query.ok()) return query.status();
  absl::StatusOr<OccurrenceList> occurrences = store_.ListRecentOccurrences(
      request.seed_code(), query->from_seconds, query->to_seconds, query->limit);
  if (!occurrences.ok()) {
    log::Error("calendar_list_failed")
        .Field("school", request.seed_code())
        .Field("error", occurrences.status().message());
    return occurrences.status();
  }
  return ToResponse(**occurrences);
}

std::optional<api::ListEventsResponse> CalendarService::CachedListEvents(
    const api::ListEventsRequest& request) {
  absl::StatusOr<EventsQuery> query = CheckListEvents(request);
  if (!query.ok()) return std::nullopt;
  OccurrenceList occurrences = store_.CachedOccurrences(request.seed_code(), query->from_seconds,
                                                        query->to_seconds, query->limit);
  if (occurrences == nullptr) return std::nullopt;
  return ToResponse(*occurrences);
}

}  // namespace pp::calendar
