#include "gateway/session_cache.h"

#include "crypto/crypto.h"

namespace pp::gateway {

SessionCache::SessionCache(const Clock& clock, absl::Duration ttl, size_t max_sessions)
    : clock_(clock), ttl_(ttl), max_sessions_(max_sessions) {}

std::optional<parentsportal::identity::v1::GetSessionResponse> SessionCache::Find(
    const std::string& token) {
  if (ttl_ <= absl::ZeroDuration()) return std::nullopt;
  std::string key = crypto::HashToken(token);
  absl::MutexLock lock(&mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (clock_.Now() >= it->second.expires) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.session;
}

uint64_t SessionCache::Ticket() {
  absl::MutexLock lock(&mutex_);
  return forgotten_;
}

void SessionCache::Add(const std::string& token,
                       const parentsportal::identity::v1::GetSessionResponse& session,
                       uint64_t ticket) {
  if (ttl_ <= absl::ZeroDuration()) return;
  std::string key = crypto::HashToken(token);
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mutex_);
  if (ticket != forgotten_) return;

  // When full, make room from expired entries only; live ones stay.
  if (entries_.size() >= max_sessions_ && entries_.count(key) == 0) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now >= it->second.expires ? entries_.erase(it) : std::next(it);
    }
    if (entries_.size() >= max_sessions_) return;
  }
  entries_[key] = Entry{session, now + ttl_};
}

void SessionCache::Forget(const std::string& token) {
  std::string key = crypto::HashToken(token);
  absl::MutexLock lock(&mutex_);
  ++forgotten_;
  entries_.erase(key);
}

void SessionCache::ForgetAccount(const std::string& account_id) {
  absl::MutexLock lock(&mutex_);
  ++forgotten_;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.session.account().account_id() == account_id ? entries_.erase(it)
                                                                 : std::next(it);
  }
}

}  // namespace pp::gateway
