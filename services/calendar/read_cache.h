// Serves the home page's two calendar reads from memory: a school's next
// few occurrences and a parent's feed token. It also keeps rendered feeds,
// which every parent of the same schools shares. CalendarStore owns the
// cache and drops a school's lists and feeds, or a parent's token, whenever
// it writes them, so a cached result is never older than the last write in
// this process. Another process's commit drops everything
// (CalendarStore::NoticeOtherWriters).
#ifndef PP_SERVICES_CALENDAR_READ_CACHE_H_
#define PP_SERVICES_CALENDAR_READ_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "parentsportal/calendar.pb.h"

namespace pp::calendar {

namespace api = parentsportal::calendar::v1;

// One occurrence of an event, as ListOccurrences returns it.
struct StoredOccurrence {
  std::string uid;
  std::string summary;
  std::string description;
  std::string location;
  bool all_day = false;
  std::vector<std::string> categories;
  api::Category category = api::CATEGORY_EVENT;
  std::string start;
  std::string end;
  // True when the event's UID has more than one stored occurrence.
  bool repeating = false;
};

using OccurrenceList = std::shared_ptr<const std::vector<StoredOccurrence>>;

// Lists of at most this many occurrences are kept: the home page requests
// 10 a school. Larger lists, such as a feed's, are read from SQLite each
// time.
inline constexpr int kMaxCachedOccurrences = 20;

// A rendered feed, as RenderFeed returns it.
using SharedFeed = std::shared_ptr<const api::Feed>;

class ReadCache {
 public:
  // `max_lists`, `max_tokens` and `max_feed_bytes` bound the memory: when
  // one kind is full, all of that kind is dropped and the cache fills again
  // from SQLite.
  ReadCache(size_t max_lists, size_t max_tokens, size_t max_feed_bytes);

  // A ticket taken before reading SQLite and passed to Add*. An entry is
  // stored only if nothing of its kind was dropped in between, so a read
  // that overlapped a write never stores what the write replaced.
  uint64_t ListTicket();
  uint64_t TokenTicket();

  // Returns the list stored for these arguments, or nullptr.
  OccurrenceList FindList(const std::string& seed_code, int64_t from_seconds, int64_t to_seconds,
                          int limit);
  void AddList(const std::string& seed_code, int64_t from_seconds, int64_t to_seconds, int limit,
               OccurrenceList list, uint64_t ticket);
  // Drops every list of the school, and every feed that covers it. Call it
  // after the write commits.
  void DropSchool(const std::string& seed_code);

  // Feeds go by a key that names everything the feed's bytes depend on
  // besides the schools' calendars, and by the schools they cover. They
  // take the lists' tickets, since the same writes make both stale.
  SharedFeed FindFeed(const std::string& key);
  void AddFeed(const std::string& key, const std::vector<std::string>& seed_codes, SharedFeed feed,
               uint64_t ticket);

  // Returns the parent's stored token ("" for none), or nullopt when it is
  // not in memory.
  std::optional<std::string> FindToken(const std::string& account_id);
  void AddToken(const std::string& account_id, const std::string& token, uint64_t ticket);
  // Drops the parent's token. Call it after the write commits.
  void DropToken(const std::string& account_id);
  // Drops everything, for a write whose extent is unknown (another
  // process's commit).
  void DropAll();

 private:
  using ListKey = std::tuple<int64_t, int64_t, int>;

  const size_t max_lists_;
  const size_t max_tokens_;

  std::mutex list_mutex_;
  uint64_t list_generation_ = 0;
  size_t list_count_ = 0;
  std::unordered_map<std::string, std::map<ListKey, OccurrenceList>> lists_;

  struct StoredFeed {
    std::vector<std::string> seed_codes;
    SharedFeed feed;
    // The key's and the feed's bytes, counted against max_feed_bytes_.
    size_t bytes = 0;
  };
  const size_t max_feed_bytes_;
  size_t feed_bytes_ = 0;
  std::unordered_map<std::string, StoredFeed> feeds_;

  std::mutex token_mutex_;
  uint64_t token_generation_ = 0;
  std::unordered_map<std::string, std::string> tokens_;
};

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_READ_CACHE_H_
