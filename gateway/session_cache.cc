#include "gateway/session_cache.h"

#include <memory>

#include "crypto/crypto.h"

namespace pp::gateway {

SessionCache::SessionCache(const Clock& clock, absl::Duration ttl, size_t max_sessions)
    : sessions_(clock, ttl, max_sessions) {
  sessions_.SetLive(ttl > absl::ZeroDuration());
}

std::optional<parentsportal::identity::v1::GetSessionResponse> SessionCache::Find(
    const std::string& token) {
  std::shared_ptr<const parentsportal::identity::v1::GetSessionResponse> session =
      sessions_.Find(crypto::HashToken(token));
  if (session == nullptr) return std::nullopt;
  return *session;
}

uint64_t SessionCache::Ticket() { return sessions_.Ticket(); }

void SessionCache::Add(const std::string& token,
                       const parentsportal::identity::v1::GetSessionResponse& session,
                       uint64_t ticket) {
  sessions_.Add(crypto::HashToken(token), session, ticket);
}

void SessionCache::Forget(const std::string& token) { sessions_.Drop(crypto::HashToken(token)); }

void SessionCache::ForgetAccount(const std::string& account_id) {
  sessions_.DropIf([&account_id](const parentsportal::identity::v1::GetSessionResponse& session) {
    return session.account().account_id() == account_id;
  });
}

}  // namespace pp::gateway
