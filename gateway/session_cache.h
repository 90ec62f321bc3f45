// A short-lived copy of identity's GetSession responses, so that a parent
// moving between pages does not cost a call to identity for every page.
//
// Each gateway keeps its own cache. A session that ends through this
// gateway (sign-out, a password change, a sign-in with a one-time
// password) leaves the cache at once. A session that ends any other way,
// such as a sign-out through another gateway replica or identity's own
// idle limit, keeps working on this gateway until its entry expires: at
// most the time to live after identity last confirmed it.
#ifndef PP_GATEWAY_SESSION_CACHE_H_
#define PP_GATEWAY_SESSION_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "clock/clock.h"
#include "gateway/response_cache.h"
#include "parentsportal/identity.pb.h"

namespace pp::gateway {

class SessionCache {
 public:
  // Keeps each session for `ttl` after identity confirmed it; a zero `ttl`
  // turns the cache off. Holds at most `max_sessions` entries and stops
  // adding when full, so that a flood of sign-ins cannot grow it without
  // limit.
  SessionCache(const Clock& clock, absl::Duration ttl, size_t max_sessions = 10000);

  // Returns the session of `token` while its entry is live, else nullopt.
  std::optional<parentsportal::identity::v1::GetSessionResponse> Find(const std::string& token);

  // Returns a ticket to take before asking identity, for Add.
  uint64_t Ticket();

  // Stores identity's response for `token`, unless a session was forgotten
  // since `ticket` was taken. A response from before a sign-out must not
  // bring the session back.
  void Add(const std::string& token, const parentsportal::identity::v1::GetSessionResponse& session,
           uint64_t ticket);

  // Drops the session of `token`. Call it after identity has ended the
  // session, so that no later lookup can find it open.
  void Forget(const std::string& token);

  // Drops every session of `account_id`, for when identity ends all of an
  // account's sessions.
  void ForgetAccount(const std::string& account_id);

 private:
  // Keyed by a SHA-256 of the token, so no token is held in memory longer
  // than its request and lookups take the same time for any token.
  ResponseCache<parentsportal::identity::v1::GetSessionResponse> sessions_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_SESSION_CACHE_H_
