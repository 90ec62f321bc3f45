// Clients that keep the home page's two responses (ListLinks and
// GetHomeCalendar) between a parent's pages, until the services' watch
// streams report a change to them. Other calls pass through to the wrapped
// client. A call that changes an account (a request filed, a child
// unlinked, a feed token replaced) drops the account's responses when it
// returns, so the parent's next page shows the change. Changes made
// elsewhere (a school's decision, a roster sync, another gateway replica)
// arrive on the streams.
#ifndef PP_GATEWAY_CACHED_CLIENTS_H_
#define PP_GATEWAY_CACHED_CLIENTS_H_

#include "absl/time/time.h"
#include "clock/clock.h"
#include "gateway/response_cache.h"
#include "gateway/service_clients.h"
#include "parentsportal/changes.pb.h"

namespace pp::gateway {

struct ViewCacheLimits {
  absl::Duration ttl = absl::Seconds(60);
  // Maximum accounts with kept links, and with a kept feed token.
  size_t max_accounts = 10000;
  // Maximum school event lists: the home page uses one per school and day.
  size_t max_school_lists = 5000;
};

class CachedLinksClient final : public LinksClient {
 public:
  CachedLinksClient(LinksClient& inner, const Clock& clock, const ViewCacheLimits& limits);

  // Handlers for the ChangeWatch of link-verification's WatchLinks.
  void SetLive(bool live) { links_.SetLive(live); }
  void Changed(const parentsportal::changes::v1::AccountsChanged& change);

  absl::StatusOr<link::StartLinkResponse> StartLink(
      const link::StartLinkRequest& request) override {
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
  ResponseCache<link::ListLinksResponse> links_;
};

class CachedCalendarClient final : public CalendarClient {
 public:
  CachedCalendarClient(CalendarClient& inner, const Clock& clock, const ViewCacheLimits& limits);

  // Handlers for the ChangeWatch of calendar's WatchHomeCalendars.
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
  // Keyed by the school's serialized request, so parents of a school share it.
  ResponseCache<calendar::ListEventsResponse> school_lists_;
  // Keyed by account id.
  ResponseCache<calendar::FeedToken> feed_tokens_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_CACHED_CLIENTS_H_
