// The calendar service's SQLite store: each school's events and their
// expanded occurrences.
#ifndef PP_SERVICES_CALENDAR_CALENDAR_STORE_H_
#define PP_SERVICES_CALENDAR_CALENDAR_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "categories.h"
#include "ics_parser.h"
#include "read_cache.h"
#include "store/store.h"
#include "watch/change_feed.h"

namespace pp::calendar {

// An all-day occurrence that closes the school: [first, after_last).
struct Closure {
  absl::CivilDay first;
  absl::CivilDay after_last;
  api::Category category = api::CATEGORY_HOLIDAY;
  std::string summary;
};

// What the store keeps about a school's latest import.
struct CalendarInfo {
  // The calendar's X-WR-CALNAME, or empty.
  std::string name;
  // When an import last changed the school's events. InfinitePast for a
  // school that has never imported a calendar.
  absl::Time changed_at = absl::InfinitePast();
};

class CalendarStore {
 public:
  // Opens or creates `<data_dir>/calendar.db`, creating the folder first.
  static absl::StatusOr<std::unique_ptr<CalendarStore>> Open(const std::string& data_dir);

  explicit CalendarStore(std::unique_ptr<Store> store);

  // Publishes to `feed` the accounts whose GetHomeCalendar response each
  // later write changed: every account for a replaced school calendar or a
  // commit by another process, and the account for a changed feed token.
  // `feed` must outlive the store.
  void PublishChangesTo(ChangeFeed* feed) { changes_ = feed; }

  // Runs an empty transaction, so that a commit by another process (an
  // operator's sqlite3) since the last one drops everything kept in memory
  // and reaches the change feed as every account. Every transaction does
  // the same. Call this every few seconds, so that it also happens when no
  // call arrives.
  absl::Status NoticeOtherWriters();

  // Replaces every event of the school with `events`, in one transaction,
  // and records `imported_at` as when the calendar changed. `digests` has
  // one entry for each event, in the same order.
  absl::Status ReplaceCalendar(const std::string& seed_code, const std::string& name,
                               const std::vector<CalendarEvent>& events,
                               const std::vector<std::string>& digests, absl::Time imported_at);

  // Records an import that changed no event: the change time stays.
  absl::Status RecordUnchangedImport(const std::string& seed_code, absl::Time imported_at);

  // Returns the digests of the school's stored events by UID. Events that
  // share a UID (a repeating event and its changed occurrences) have their
  // digests joined in import order.
  absl::StatusOr<std::map<std::string, std::string>> EventDigests(const std::string& seed_code);

  absl::StatusOr<CalendarInfo> GetCalendarInfo(const std::string& seed_code);

  // The parent's feed token, or empty when they have none.
  absl::StatusOr<std::string> GetFeedToken(const std::string& account_id);
  // The same from memory only: nullopt when GetFeedToken would read SQLite.
  std::optional<std::string> CachedFeedToken(const std::string& account_id);
  // Stores `token` as the parent's only feed token, replacing any other.
  absl::Status SetFeedToken(const std::string& account_id, const std::string& token,
                            absl::Time now);
  // Removes the parent's feed token. OK when there was none.
  absl::Status DeleteFeedToken(const std::string& account_id);
  // Returns the account a feed token belongs to, NotFound for an unknown or
  // revoked token.
  absl::StatusOr<std::string> AccountForFeedToken(const std::string& token);

  // Returns up to `limit` occurrences of the school's events that overlap
  // [from_seconds, to_seconds), ordered by start, then UID, then import
  // order, so that the same stored calendar always lists in the same order.
  // An occurrence that starts and ends at the same instant overlaps when it
  // starts inside the range.
  absl::StatusOr<std::vector<StoredOccurrence>> ListOccurrences(const std::string& seed_code,
                                                                int64_t from_seconds,
                                                                int64_t to_seconds, int limit);
  // Returns what ListOccurrences returns, and keeps a list of up to
  // kMaxCachedOccurrences in memory until the school's calendar is next
  // replaced.
  absl::StatusOr<OccurrenceList> ListRecentOccurrences(const std::string& seed_code,
                                                       int64_t from_seconds, int64_t to_seconds,
                                                       int limit);
  // The same from memory only: nullptr when ListRecentOccurrences would
  // read SQLite.
  OccurrenceList CachedOccurrences(const std::string& seed_code, int64_t from_seconds,
                                   int64_t to_seconds, int limit);

  // Rendered feeds kept in memory until a school they cover is next
  // replaced. Take the ticket before reading what the feed is made of.
  uint64_t FeedTicket() { return cache_.ListTicket(); }
  SharedFeed CachedFeed(const std::string& key) { return cache_.FindFeed(key); }
  void KeepFeed(const std::string& key, const std::vector<std::string>& seed_codes, SharedFeed feed,
                uint64_t ticket) {
    cache_.AddFeed(key, seed_codes, std::move(feed), ticket);
  }

  // Returns the school's all-day HOLIDAY and IN_SERVICE_DAY occurrences that
  // overlap [from, to), earliest first.
  absl::StatusOr<std::vector<Closure>> ListClosures(const std::string& seed_code,
                                                    absl::CivilDay from, absl::CivilDay to);

 private:
  std::unique_ptr<Store> store_;
  ReadCache cache_;
  ChangeFeed* changes_ = nullptr;
};

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_CALENDAR_STORE_H_
