#include "calendar_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace pp::calendar {
namespace {

// Migration i takes the schema from version i to i + 1. Never edit one that
// has shipped: add another.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  seed_code TEXT NOT NULL,
  uid TEXT NOT NULL,
  summary TEXT NOT NULL,
  description TEXT NOT NULL,
  location TEXT NOT NULL,
  all_day INTEGER NOT NULL,
  -- One category a line.
  categories TEXT NOT NULL
);
CREATE INDEX events_by_school ON events(seed_code);
-- Starts and ends as the API returns them, and as seconds since the epoch
-- (dates at midnight UTC) for range queries and ordering.
CREATE TABLE occurrences (
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  seed_code TEXT NOT NULL,
  start_text TEXT NOT NULL,
  end_text TEXT NOT NULL,
  start_seconds INTEGER NOT NULL,
  end_seconds INTEGER NOT NULL
);
CREATE INDEX occurrences_by_school_start ON occurrences(seed_code, start_seconds);
CREATE INDEX occurrences_by_event ON occurrences(event_id);
CREATE TABLE imports (
  seed_code TEXT PRIMARY KEY,
  imported_at TEXT NOT NULL,
  event_count INTEGER NOT NULL
)
)sql",
    // The kind of each event, by its CategoryName.
    R"sql(
ALTER TABLE events ADD COLUMN category TEXT NOT NULL DEFAULT 'event';
CREATE INDEX events_by_school_category ON events(seed_code, category)
)sql",
};

std::string JoinCategories(const std::vector<std::string>& categories) {
  std::vector<std::string> lines;
  for (const std::string& category : categories) {
    // A category is one line of the stored column, so line breaks inside
    // one become spaces.
    std::string line = category;
    for (char& c : line) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    lines.push_back(line);
  }
  return absl::StrJoin(lines, "\n");
}

int64_t DaySeconds(absl::CivilDay day) {
  return absl::ToUnixSeconds(absl::FromCivil(day, absl::UTCTimeZone()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CalendarStore>> CalendarStore::Open(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the data folder ", data_dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open((std::filesystem::path(data_dir) / "calendar.db").string(), kMigrations);
  if (!store.ok()) return store.status();
  return std::make_unique<CalendarStore>(std::move(*store));
}

absl::Status CalendarStore::ReplaceCalendar(const std::string& seed_code,
                                            const std::vector<CalendarEvent>& events,
                                            absl::Time imported_at) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    if (absl::Status s = tx.Exec("DELETE FROM occurrences WHERE seed_code = ?", {seed_code});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = tx.Exec("DELETE FROM events WHERE seed_code = ?", {seed_code}); !s.ok()) {
      return s;
    }

    for (const CalendarEvent& event : events) {
      absl::Status inserted = tx.Exec(
          "INSERT INTO events(seed_code, uid, summary, description, location, all_day, "
          "categories, category) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {seed_code, event.uid, event.summary, event.description, event.location, event.all_day,
           JoinCategories(event.categories), CategoryName(event.category)});
      if (!inserted.ok()) return inserted;
      int64_t event_id = tx.LastInsertId();
      for (const Occurrence& occurrence : event.occurrences) {
        absl::Status status = tx.Exec(
            "INSERT INTO occurrences(event_id, seed_code, start_text, end_text, start_seconds, "
            "end_seconds) VALUES (?, ?, ?, ?, ?, ?)",
            {event_id, seed_code, occurrence.start, occurrence.end, occurrence.start_seconds,
             occurrence.end_seconds});
        if (!status.ok()) return status;
      }
    }

    return tx.Exec(
        "INSERT INTO imports(seed_code, imported_at, event_count) VALUES (?, ?, ?) "
        "ON CONFLICT(seed_code) DO UPDATE SET imported_at = excluded.imported_at, "
        "event_count = excluded.event_count",
        {seed_code, absl::FormatTime(absl::RFC3339_sec, imported_at, absl::UTCTimeZone()),
         static_cast<int64_t>(events.size())});
  });
}

absl::StatusOr<std::vector<StoredOccurrence>> CalendarStore::ListOccurrences(
    const std::string& seed_code, int64_t from_seconds, int64_t to_seconds, int limit) {
  std::vector<StoredOccurrence> found;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT e.uid, e.summary, e.description, e.location, e.all_day, e.categories, "
        "o.start_text, o.end_text, e.category FROM occurrences o JOIN events e ON e.id = "
        "o.event_id "
        "WHERE o.seed_code = ? AND o.start_seconds < ? "
        "AND (o.end_seconds > ? OR (o.end_seconds = o.start_seconds AND o.start_seconds >= ?)) "
        "ORDER BY o.start_seconds, e.uid LIMIT ?",
        {seed_code, to_seconds, from_seconds, from_seconds, limit}, [&](const Row& row) {
          StoredOccurrence occurrence;
          occurrence.uid = row.Text(0);
          occurrence.summary = row.Text(1);
          occurrence.description = row.Text(2);
          occurrence.location = row.Text(3);
          occurrence.all_day = row.Int(4) != 0;
          std::string categories = row.Text(5);
          if (!categories.empty()) {
            occurrence.categories = absl::StrSplit(categories, '\n');
          }
          occurrence.start = row.Text(6);
          occurrence.end = row.Text(7);
          occurrence.category = CategoryFromName(row.Text(8)).value_or(api::CATEGORY_EVENT);
          found.push_back(std::move(occurrence));
        });
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<std::vector<Closure>> CalendarStore::ListClosures(const std::string& seed_code,
                                                                 absl::CivilDay from,
                                                                 absl::CivilDay to) {
  std::vector<Closure> found;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT o.start_text, o.end_text, e.category, e.summary FROM occurrences o "
        "JOIN events e ON e.id = o.event_id "
        "WHERE o.seed_code = ? AND e.all_day = 1 AND e.category IN ('holiday', 'in_service_day') "
        "AND o.start_seconds < ? AND o.end_seconds > ? ORDER BY o.start_seconds",
        {seed_code, DaySeconds(to), DaySeconds(from)}, [&](const Row& row) {
          Closure closure;
          // The texts were written by the import as YYYY-MM-DD, so they parse.
          if (!absl::ParseCivilTime(row.Text(0), &closure.first) ||
              !absl::ParseCivilTime(row.Text(1), &closure.after_last)) {
            return;
          }
          closure.category = CategoryFromName(row.Text(2)).value_or(api::CATEGORY_HOLIDAY);
          closure.summary = row.Text(3);
          found.push_back(std::move(closure));
        });
  });
  if (!status.ok()) return status;
  return found;
}

}  // namespace pp::calendar
