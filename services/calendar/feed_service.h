// Calendar feeds: parents' feed tokens, and the iCalendar feeds that calendar
// apps subscribe to.
#ifndef PP_SERVICES_CALENDAR_FEED_SERVICE_H_
#define PP_SERVICES_CALENDAR_FEED_SERVICE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "bank_holidays.h"
#include "calendar_store.h"
#include "clock/clock.h"
#include "parentsportal/calendar.pb.h"

namespace pp::calendar {

// A feed starts this long before the day it is written, and holds every
// stored occurrence after that.
inline constexpr int kFeedDaysBefore = 365;
// The maximum number of occurrences of one school in a feed. An import
// whose occurrences in the feed's window exceed it is rejected
// (CheckFeedLimit), so a feed never leaves any out.
inline constexpr int kMaxFeedOccurrences = 5000;
// The maximum number of schools in one feed.
inline constexpr int kMaxFeedSchools = 20;

class FeedService {
 public:
  FeedService(CalendarStore& store, Clock& clock, const BankHolidays& bank_holidays)
      : store_(store), clock_(clock), bank_holidays_(bank_holidays) {}

  // InvalidArgument for an empty account id.
  absl::StatusOr<api::FeedToken> GetFeedToken(const api::FeedTokenRequest& request);
  // Returns what GetFeedToken would, when the store has the token in
  // memory, and nullopt otherwise, or when the request is invalid.
  std::optional<api::FeedToken> CachedFeedToken(const api::FeedTokenRequest& request);
  absl::StatusOr<api::FeedToken> ReplaceFeedToken(const api::FeedTokenRequest& request);
  // Returns an empty token.
  absl::StatusOr<api::FeedToken> RevokeFeedToken(const api::FeedTokenRequest& request);
  // NotFound for an unknown or revoked token; InvalidArgument for one that
  // is not a token's shape.
  absl::StatusOr<api::ResolveFeedTokenResponse> ResolveFeedToken(
      const api::ResolveFeedTokenRequest& request);

  // InvalidArgument for a bad SEED code or more than kMaxFeedSchools
  // schools; NotFound for a school feed of a school without a calendar.
  // The feed's X-WR-CALNAME is the request's name, else the first imported
  // X-WR-CALNAME, else the first school name in the request, else
  // "School calendar SEED" for one school and "School calendars" for more.
  absl::StatusOr<api::Feed> RenderFeed(const api::RenderFeedRequest& request);

 private:
  CalendarStore& store_;
  Clock& clock_;
  const BankHolidays& bank_holidays_;
};

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_FEED_SERVICE_H_
