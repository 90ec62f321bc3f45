// ResponseCache keeps service responses in memory for a time to live, at
// most a fixed number of them. A caller takes a ticket before calling the
// service, and Add stores the response only if nothing was dropped since,
// so a response read before a sign-out or a change never comes back.
//
// Add keeps nothing until SetLive(true). The session cache turns it on at
// start. The home page's caches turn it on only while their watch stream
// (changes.proto) is open, so a lost stream cannot leave a stale response
// behind. The time to live bounds how long a stream that broke unnoticed
// can mislead them.
#ifndef PP_GATEWAY_RESPONSE_CACHE_H_
#define PP_GATEWAY_RESPONSE_CACHE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clock/clock.h"

namespace pp::gateway {

template <typename Value>
class ResponseCache {
 public:
  // Keeps each response for at most `ttl`, and at most `max_entries` of
  // them. When full, only expired entries make room, so a flood of new keys
  // cannot grow it.
  ResponseCache(const Clock& clock, absl::Duration ttl, size_t max_entries)
      : clock_(clock), ttl_(ttl), max_entries_(max_entries) {}

  // Returns the response kept for `key`, or nullptr.
  std::shared_ptr<const Value> Find(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return nullptr;
    if (clock_.Now() >= it->second.expires) {
      entries_.erase(it);
      return nullptr;
    }
    return it->second.value;
  }

  // Returns a ticket to take before calling the service, for Add.
  uint64_t Ticket() {
    absl::MutexLock lock(&mutex_);
    return drops_;
  }

  // Keeps `value` for `key` until `expires` or the time to live, whichever
  // comes first. Keeps nothing when the cache is not live, or when anything
  // was dropped since `ticket` was taken, because the response may predate
  // the change that dropped it.
  void Add(const std::string& key, Value value, uint64_t ticket,
           absl::Time expires = absl::InfiniteFuture()) {
    absl::Time now = clock_.Now();
    expires = std::min(expires, now + ttl_);
    absl::MutexLock lock(&mutex_);
    if (!live_ || ticket != drops_ || expires <= now) return;
    if (entries_.size() >= max_entries_ && entries_.count(key) == 0) {
      for (auto it = entries_.begin(); it != entries_.end();) {
        it = now >= it->second.expires ? entries_.erase(it) : std::next(it);
      }
      if (entries_.size() >= max_entries_) return;
    }
    entries_[key] = Entry{std::make_shared<const Value>(std::move(value)), expires};
  }

  void Drop(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    ++drops_;
    entries_.erase(key);
  }

  void DropAll() {
    absl::MutexLock lock(&mutex_);
    ++drops_;
    entries_.clear();
  }

  // Drops every entry whose value matches `predicate`.
  template <typename Predicate>
  void DropIf(Predicate predicate) {
    absl::MutexLock lock(&mutex_);
    ++drops_;
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = predicate(*it->second.value) ? entries_.erase(it) : std::next(it);
    }
  }

  // Turns storing on or off, and drops every entry either way.
  void SetLive(bool live) {
    absl::MutexLock lock(&mutex_);
    ++drops_;
    entries_.clear();
    live_ = live;
  }

  bool live() {
    absl::MutexLock lock(&mutex_);
    return live_;
  }

  size_t size() {
    absl::MutexLock lock(&mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const Value> value;
    absl::Time expires;
  };

  const Clock& clock_;
  const absl::Duration ttl_;
  const size_t max_entries_;
  absl::Mutex mutex_;
  std::unordered_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  uint64_t drops_ ABSL_GUARDED_BY(mutex_) = 0;
  bool live_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_RESPONSE_CACHE_H_
