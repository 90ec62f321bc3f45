#include "calendar_store.h"

#include <filesystem>
#include <map>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "log/log.h"

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
    // Digests let an import tell changed events from unchanged ones, and
    // changed_at dates the feeds (Last-Modified). Feed tokens are kept as
    // issued because the parent's page shows the feed address again.
    R"sql(
ALTER TABLE events ADD COLUMN digest TEXT NOT NULL DEFAULT '';
ALTER TABLE imports ADD COLUMN changed_at TEXT NOT NULL DEFAULT '';
ALTER TABLE imports ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE TABLE feed_tokens (
  token TEXT PRIMARY KEY,
  account_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
)
)sql",
    // Whether an event's UID has more than one stored occurrence, counting
    // the changed occurrences that share it. Feeds read it in place of
    // counting occurrences at every render.
    R"sql(
ALTER TABLE events ADD COLUMN repeating INTEGER NOT NULL DEFAULT 0;
UPDATE events SET repeating = (
  SELECT COUNT(*) FROM occurrences o JOIN events same ON same.id = o.event_id
  WHERE same.seed_code = events.seed_code AND same.uid = events.uid) > 1
)sql",
};

std::string TimeText(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

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

// Bounds on what the read cache keeps. A cached list of 10 occurrences
// takes about 4 KB (an estimate), a feed token about 150 bytes.
constexpr size_t kMaxCachedLists = 4096;
constexpr size_t kMaxCachedTokens = 32768;
// A 500-event feed takes about 150 kB, so this keeps a hundred such feeds.
constexpr size_t kMaxCachedFeedBytes = 16 << 20;

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

CalendarStore::CalendarStore(std::unique_ptr<Store> store)
    : store_(std::move(store)), cache_(kMaxCachedLists, kMaxCachedTokens, kMaxCachedFeedBytes) {
  // Another process's writes pass none of the drops below, so everything
  // kept may be stale.
  store_->OnOtherConnectionCommit([this](Tx&) {
    cache_.DropAll();
    if (changes_ != nullptr) changes_->PublishAll();
    log::Warning("read_cache_dropped").Field("reason", "another process changed the store");
    return absl::OkStatus();
  });
}

absl::Status CalendarStore::NoticeOtherWriters() {
  return store_->Read([](Tx&) { return absl::OkStatus(); });
}

absl::Status CalendarStore::ReplaceCalendar(const std::string& seed_code, const std::string& name,
                                            const std::vector<CalendarEvent>& events,
                                            const std::vector<std::string>& digests,
                                            absl::Time imported_at) {
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    if (absl::Status s = tx.Exec("DELETE FROM occurrences WHERE seed_code = ?", {seed_code});
        !s.ok()) {
      return s;
    }
    if (absl::Status s = tx.Exec("DELETE FROM events WHERE seed_code = ?", {seed_code}); !s.ok()) {
      return s;
    }

    std::map<std::string, size_t> occurrences_by_uid;
    for (const CalendarEvent& event : events) {
      occurrences_by_uid[event.uid] += event.occurrences.size();
    }
    for (size_t i = 0; i < events.size(); ++i) {
      const CalendarEvent& event = events[i];
      absl::Status inserted = tx.Exec(
          "INSERT INTO events(seed_code, uid, summary, description, location, all_day, "
          "categories, category, digest, repeating) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {seed_code, event.uid, event.summary, event.description, event.location, event.all_day,
           JoinCategories(event.categories), CategoryName(event.category),
           i < digests.size() ? digests[i] : std::string(), occurrences_by_uid[event.uid] > 1});
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
        "INSERT INTO imports(seed_code, imported_at, event_count, changed_at, name) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(seed_code) DO UPDATE SET imported_at = excluded.imported_at, "
        "event_count = excluded.event_count, changed_at = excluded.changed_at, "
        "name = excluded.name",
        {seed_code, TimeText(imported_at), static_cast<int64_t>(events.size()),
         TimeText(imported_at), name});
  });
  // After the commit, so that no read of the old events can be cached again.
  cache_.DropSchool(seed_code);
  if (status.ok() && changes_ != nullptr) changes_->PublishAll();
  return status;
}

absl::Status CalendarStore::RecordUnchangedImport(const std::string& seed_code,
                                                  absl::Time imported_at) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("UPDATE imports SET imported_at = ? WHERE seed_code = ?",
                   {TimeText(imported_at), seed_code});
  });
}

absl::StatusOr<std::map<std::string, std::string>> CalendarStore::EventDigests(
    const std::string& seed_code) {
  std::map<std::string, std::string> digests;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT uid, digest FROM events WHERE seed_code = ? ORDER BY id", {seed_code},
                    [&](const Row& row) { digests[row.Text(0)] += row.Text(1); });
  });
  if (!status.ok()) return status;
  return digests;
}

absl::StatusOr<CalendarInfo> CalendarStore::GetCalendarInfo(const std::string& seed_code) {
  CalendarInfo info;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT name, changed_at, imported_at FROM imports WHERE seed_code = ?",
                    {seed_code}, [&](const Row& row) {
                      info.name = row.Text(0);
                      // Rows written before the changed_at column existed
                      // use their import time.
                      std::string changed = row.Text(1).empty() ? row.Text(2) : row.Text(1);
                      std::string error;
                      if (!absl::ParseTime(absl::RFC3339_sec, changed, &info.changed_at, &error)) {
                        info.changed_at = absl::InfinitePast();
                      }
                    });
  });
  if (!status.ok()) return status;
  return info;
}

absl::StatusOr<std::string> CalendarStore::GetFeedToken(const std::string& account_id) {
  std::optional<std::string> cached = cache_.FindToken(account_id);
  if (cached.has_value()) return *std::move(cached);

  uint64_t ticket = cache_.TokenTicket();
  std::string token;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT token FROM feed_tokens WHERE account_id = ?", {account_id},
                    [&](const Row& row) { token = row.Text(0); });
  });
  if (!status.ok()) return status;
  cache_.AddToken(account_id, token, ticket);
  return token;
}

std::optional<std::string> CalendarStore::CachedFeedToken(const std::string& account_id) {
  return cache_.FindToken(account_id);
}

absl::Status CalendarStore::SetFeedToken(const std::string& account_id, const std::string& token,
                                         absl::Time now) {
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    if (absl::Status s = tx.Exec("DELETE FROM feed_tokens WHERE account_id = ?", {account_id});
        !s.ok()) {
      return s;
    }
    return tx.Exec("INSERT INTO feed_tokens(token, account_id, created_at) VALUES (?, ?, ?)",
                   {token, account_id, TimeText(now)});
  });
  cache_.DropToken(account_id);
  if (status.ok() && changes_ != nullptr) changes_->Publish({account_id});
  return status;
}

absl::Status CalendarStore::DeleteFeedToken(const std::string& account_id) {
  absl::Status status = store_->Write([&](Tx& tx) {
    return tx.Exec("DELETE FROM feed_tokens WHERE account_id = ?", {account_id});
  });
  cache_.DropToken(account_id);
  if (status.ok() && changes_ != nullptr) changes_->Publish({account_id});
  return status;
}

absl::StatusOr<std::string> CalendarStore::AccountForFeedToken(const std::string& token) {
  std::string account_id;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT account_id FROM feed_tokens WHERE token = ?", {token},
                    [&](const Row& row) { account_id = row.Text(0); });
  });
  if (!status.ok()) return status;
  if (account_id.empty()) return absl::NotFoundError("unknown or revoked calendar feed token");
  return account_id;
}

absl::StatusOr<std::vector<StoredOccurrence>> CalendarStore::ListOccurrences(
    const std::string& seed_code, int64_t from_seconds, int64_t to_seconds, int limit) {
  std::vector<StoredOccurrence> found;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT e.uid, e.summary, e.description, e.location, e.all_day, e.categories, "
        "o.start_text, o.end_text, e.category, e.repeating FROM occurrences o JOIN events e "
        "ON e.id = "
        "o.event_id "
        "WHERE o.seed_code = ? AND o.start_seconds < ? "
        "AND (o.end_seconds > ? OR (o.end_seconds = o.start_seconds AND o.start_seconds >= ?)) "
        "ORDER BY o.start_seconds, e.uid, e.id, o.rowid LIMIT ?",
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
          occurrence.repeating = row.Int(9) != 0;
          found.push_back(std::move(occurrence));
        });
  });
  if (!status.ok()) return status;
  return found;
}

absl::StatusOr<OccurrenceList> CalendarStore::ListRecentOccurrences(const std::string& seed_code,
                                                                    int64_t from_seconds,
                                                                    int64_t to_seconds, int limit) {
  bool cacheable = limit <= kMaxCachedOccurrences;
  if (cacheable) {
    OccurrenceList cached = cache_.FindList(seed_code, from_seconds, to_seconds, limit);
    if (cached != nullptr) return cached;
  }
  uint64_t ticket = cache_.ListTicket();
  absl::StatusOr<std::vector<StoredOccurrence>> found =
      ListOccurrences(seed_code, from_seconds, to_seconds, limit);
  if (!found.ok()) return found.status();
  auto list = std::make_shared<const std::vector<StoredOccurrence>>(*std::move(found));
  if (cacheable) cache_.AddList(seed_code, from_seconds, to_seconds, limit, list, ticket);
  return list;
}

OccurrenceList CalendarStore::CachedOccurrences(const std::string& seed_code, int64_t from_seconds,
                                                int64_t to_seconds, int limit) {
  if (limit > kMaxCachedOccurrences) return nullptr;
  return cache_.FindList(seed_code, from_seconds, to_seconds, limit);
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
