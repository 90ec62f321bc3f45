#include "read_cache.h"

#include <algorithm>
#include <utility>

namespace pp::calendar {

ReadCache::ReadCache(size_t max_lists, size_t max_tokens, size_t max_feed_bytes)
    : max_lists_(max_lists), max_tokens_(max_tokens), max_feed_bytes_(max_feed_bytes) {}

uint64_t ReadCache::ListTicket() {
  std::lock_guard<std::mutex> lock(list_mutex_);
  return list_generation_;
}

uint64_t ReadCache::TokenTicket() {
  std::lock_guard<std::mutex> lock(token_mutex_);
  return token_generation_;
}

OccurrenceList ReadCache::FindList(const std::string& seed_code, int64_t from_seconds,
                                   int64_t to_seconds, int limit) {
  std::lock_guard<std::mutex> lock(list_mutex_);
  auto school = lists_.find(seed_code);
  if (school == lists_.end()) return nullptr;
  auto found = school->second.find(ListKey(from_seconds, to_seconds, limit));
  return found == school->second.end() ? nullptr : found->second;
}

void ReadCache::AddList(const std::string& seed_code, int64_t from_seconds, int64_t to_seconds,
                        int limit, OccurrenceList list, uint64_t ticket) {
  std::lock_guard<std::mutex> lock(list_mutex_);
  if (ticket != list_generation_) return;
  if (list_count_ >= max_lists_) {
    lists_.clear();
    list_count_ = 0;
  }
  auto [it, added] =
      lists_[seed_code].insert_or_assign(ListKey(from_seconds, to_seconds, limit), std::move(list));
  if (added) ++list_count_;
}

void ReadCache::DropSchool(const std::string& seed_code) {
  std::lock_guard<std::mutex> lock(list_mutex_);
  ++list_generation_;
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    const std::vector<std::string>& covered = it->second.seed_codes;
    if (std::find(covered.begin(), covered.end(), seed_code) == covered.end()) {
      ++it;
      continue;
    }
    feed_bytes_ -= it->second.bytes;
    it = feeds_.erase(it);
  }
  auto school = lists_.find(seed_code);
  if (school == lists_.end()) return;
  list_count_ -= school->second.size();
  lists_.erase(school);
}

SharedFeed ReadCache::FindFeed(const std::string& key) {
  std::lock_guard<std::mutex> lock(list_mutex_);
  auto found = feeds_.find(key);
  return found == feeds_.end() ? nullptr : found->second.feed;
}

void ReadCache::AddFeed(const std::string& key, const std::vector<std::string>& seed_codes,
                        SharedFeed feed, uint64_t ticket) {
  size_t bytes = key.size() + feed->ByteSizeLong();
  std::lock_guard<std::mutex> lock(list_mutex_);
  if (ticket != list_generation_ || bytes > max_feed_bytes_) return;
  if (auto old = feeds_.find(key); old != feeds_.end()) {
    feed_bytes_ -= old->second.bytes;
    feeds_.erase(old);
  }
  if (feed_bytes_ + bytes > max_feed_bytes_) {
    feeds_.clear();
    feed_bytes_ = 0;
  }
  feeds_.emplace(key, StoredFeed{seed_codes, std::move(feed), bytes});
  feed_bytes_ += bytes;
}

std::optional<std::string> ReadCache::FindToken(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(token_mutex_);
  auto found = tokens_.find(account_id);
  if (found == tokens_.end()) return std::nullopt;
  return found->second;
}

void ReadCache::AddToken(const std::string& account_id, const std::string& token, uint64_t ticket) {
  std::lock_guard<std::mutex> lock(token_mutex_);
  if (ticket != token_generation_) return;
  if (tokens_.size() >= max_tokens_) tokens_.clear();
  tokens_[account_id] = token;
}

void ReadCache::DropAll() {
  {
    std::lock_guard<std::mutex> lock(list_mutex_);
    ++list_generation_;
    lists_.clear();
    list_count_ = 0;
    feeds_.clear();
    feed_bytes_ = 0;
  }
  std::lock_guard<std::mutex> lock(token_mutex_);
  ++token_generation_;
  tokens_.clear();
}

void ReadCache::DropToken(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(token_mutex_);
  ++token_generation_;
  tokens_.erase(account_id);
}

}  // namespace pp::calendar
