#include "gateway/cached_clients.h"

#include <memory>
#include <string>
#include <vector>

#include "log/log.h"

namespace pp::gateway {

CachedLinksClient::CachedLinksClient(LinksClient& inner, const Clock& clock,
                                     const ViewCacheLimits& limits)
    : inner_(inner), links_(clock, limits.ttl, limits.max_accounts) {}

void CachedLinksClient::Changed(const parentsportal::changes::v1::AccountsChanged& change) {
  if (change.all_accounts()) {
    links_.DropAll();
    return;
  }
  for (const std::string& account_id : change.account_ids()) links_.Drop(account_id);
}

absl::StatusOr<link::ConfirmCodeResponse> CachedLinksClient::ConfirmCode(
    const link::ConfirmCodeRequest& request) {
  absl::StatusOr<link::ConfirmCodeResponse> confirmed = inner_.ConfirmCode(request);
  // Drops the account even after a failure, because a call that timed out
  // may still have filed the request.
  links_.Drop(request.account_id());
  return confirmed;
}

absl::StatusOr<link::UnlinkResponse> CachedLinksClient::Unlink(const link::UnlinkRequest& request) {
  absl::StatusOr<link::UnlinkResponse> unlinked = inner_.Unlink(request);
  links_.Drop(request.account_id());
  return unlinked;
}

absl::StatusOr<link::ListLinksResponse> CachedLinksClient::ListLinks(
    const link::ListLinksRequest& request) {
  if (std::shared_ptr<const link::ListLinksResponse> kept = links_.Find(request.account_id())) {
    return *kept;
  }
  uint64_t ticket = links_.Ticket();
  absl::StatusOr<link::ListLinksResponse> listed = inner_.ListLinks(request);
  if (!listed.ok()) return listed;
  absl::Time expires = absl::InfiniteFuture();
  if (!listed->changes_at().empty()) {
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, listed->changes_at(), &expires, &error)) {
      log::Warning("links_not_cached")
          .Field("account", request.account_id())
          .Field("changes_at", listed->changes_at())
          .Field("error", error);
      return listed;
    }
  }
  links_.Add(request.account_id(), *listed, ticket, expires);
  return listed;
}

CachedCalendarClient::CachedCalendarClient(CalendarClient& inner, const Clock& clock,
                                           const ViewCacheLimits& limits)
    : inner_(inner),
      school_lists_(clock, limits.ttl, limits.max_school_lists),
      feed_tokens_(clock, limits.ttl, limits.max_accounts) {}

void CachedCalendarClient::SetLive(bool live) {
  school_lists_.SetLive(live);
  feed_tokens_.SetLive(live);
}

void CachedCalendarClient::Changed(const parentsportal::changes::v1::AccountsChanged& change) {
  if (change.all_accounts()) {
    school_lists_.DropAll();
    feed_tokens_.DropAll();
    return;
  }
  for (const std::string& account_id : change.account_ids()) feed_tokens_.Drop(account_id);
}

absl::StatusOr<calendar::HomeCalendar> CachedCalendarClient::GetHomeCalendar(
    const calendar::HomeCalendarRequest& request) {
  std::vector<std::string> keys;
  keys.reserve(request.schools_size());
  for (const calendar::ListEventsRequest& school : request.schools()) {
    keys.push_back(school.SerializeAsString());
  }

  calendar::HomeCalendar home;
  bool complete = true;
  for (const std::string& key : keys) {
    std::shared_ptr<const calendar::ListEventsResponse> list = school_lists_.Find(key);
    if (list == nullptr) {
      complete = false;
      break;
    }
    *home.add_schools() = *list;
  }
  if (complete) {
    if (std::shared_ptr<const calendar::FeedToken> token =
            feed_tokens_.Find(request.account_id())) {
      *home.mutable_feed_token() = *token;
      return home;
    }
  }

  uint64_t lists_ticket = school_lists_.Ticket();
  uint64_t tokens_ticket = feed_tokens_.Ticket();
  absl::StatusOr<calendar::HomeCalendar> fetched = inner_.GetHomeCalendar(request);
  // A response with the wrong number of schools is returned uncached, and
  // the home page handler reports it.
  if (!fetched.ok() || fetched->schools_size() != static_cast<int>(keys.size())) {
    return fetched;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    school_lists_.Add(keys[i], fetched->schools(static_cast<int>(i)), lists_ticket);
  }
  feed_tokens_.Add(request.account_id(), fetched->feed_token(), tokens_ticket);
  return fetched;
}

absl::StatusOr<calendar::FeedToken> CachedCalendarClient::ReplaceFeedToken(
    const calendar::FeedTokenRequest& request) {
  absl::StatusOr<calendar::FeedToken> replaced = inner_.ReplaceFeedToken(request);
  feed_tokens_.Drop(request.account_id());
  return replaced;
}

absl::StatusOr<calendar::FeedToken> CachedCalendarClient::RevokeFeedToken(
    const calendar::FeedTokenRequest& request) {
  absl::StatusOr<calendar::FeedToken> revoked = inner_.RevokeFeedToken(request);
  feed_tokens_.Drop(request.account_id());
  return revoked;
}

}  // namespace pp::gateway
