// The home page's reads, kept between a parent's pages while the services'
// watch streams say nothing they depend on has changed. Each wraps a real
// client: every other call passes through, and a call through it that
// changes an account (a request filed, a child unlinked, a feed token
// replaced) drops the account's answers as soon as it returns, so the
// parent's next page shows the change. A change made elsewhere (a school's
// decision, a roster sync, another gateway replica) arrives on the stream,
// normally within milliseconds of its commit.
#ifndef PP_GATEWAY_CACHED_CLIENTS_H_
#define PP_GATEWAY_CACHED_CLIENTS_H_

#include "absl/time/time.h"
#include "clock/clock.h"
#include "gateway/service_clients.h"
#include "gateway/watched_cache.h"
#include "parentsportal/changes.pb.h"

namespace pp::gateway {

struct ViewCacheLimits {
  absl::Duration ttl = absl::Seconds(60);
  // Accounts whose links are kept, and accounts whose feed token is kept.
  size_t max_accounts = 10000;
  // School event lists kept: one a school and day for the home page.
  size_t max_school_lists = 5000;
};

class CachedLinksClient final : public LinksClient {
 public:
  CachedLinksClient(LinksClient& inner, const Clock& clock, const ViewCacheLimits& limits);

  // For the ChangeWatch of link-verification's WatchLinks.
  void SetLive(bool live) { links_.SetLive(live); }
  void Changed(const parentsportal::changes::v1::AccountsChanged& change);

  absl::StatusOr<link::StartLinkResponse> StartLink(const link::StartLinkRequest& request) override {
    return inner_.StartLink(request);
  }
  absl::StatusOr<link::SendCodeResponse> SendCode(const link::SendCodeRequest& request) override {
    return inner_.SendCode(request);
  }
  absl::StatusOr<link::ConfirmCodeResponse> ConfirmCode(
      const link::ConfirmCodeRequest& request) override;
  absl::StatusOr<link::ListLinksResponse> ListLinks(const link::ListLinksRequest& request) override;
  absl::StatusOr<link::Child> GetChild(const link::GetChildRequest& request) override {
    return inner_.GetChild(request);
  }
  absl::StatusOr<link::UnlinkResponse> Unlink(const link::UnlinkRequest& request) override;

 private:
  LinksClient& inner_;
  WatchedCache<link::ListLinksResponse> links_;
};

class CachedCalendarClient final : public CalendarClient {
 public:
  CachedCalendarClient(CalendarClient& inner, const Clock& clock, const ViewCacheLimits& limits);

  // For the ChangeWatch of calendar's WatchHomeCalendars.
  void SetLive(bool live);
  void Changed(const parentsportal::changes::v1::AccountsChanged& change);

  absl::StatusOr<calendar::ListEventsResponse> ListEvents(
      const calendar::ListEventsRequest& request) override {
    return inner_.ListEvents(request);
  }
  absl::StatusOr<calendar::FeedToken> GetFeedToken(
      const calendar::FeedTokenRequest& request) override {
    return inner_.GetFeedToken(request);
  }
  absl::StatusOr<calendar::HomeCalendar> GetHomeCalendar(
      const calendar::HomeCalendarRequest& request) override;
  absl::StatusOr<calendar::FeedToken> ReplaceFeedToken(
      const calendar::FeedTokenRequest& request) override;
  absl::StatusOr<calendar::FeedToken> RevokeFeedToken(
      const calendar::FeedTokenRequest& request) override;
  absl::StatusOr<calendar::ResolveFeedTokenResponse> ResolveFeedToken(
      const calendar::ResolveFeedTokenRequest& request) override {
    return inner_.ResolveFeedToken(request);
  }
  absl::StatusOr<calendar::Feed> RenderFeed(const calendar::RenderFeedRequest& request) override {
    return inner_.RenderFeed(request);
  }

 private:
  CalendarClient& inner_;
  // By the school's request as bytes: every parent of the school shares it.
  WatchedCache<calendar::ListEventsResponse> school_lists_;
  // By account id.
  WatchedCache<calendar::FeedToken> feed_tokens_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_CACHED_CLIENTS_H_
