#include "feed_service.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "calendar_service.h"
#include "crypto/crypto.h"
#include "ics_writer.h"
#include "log/log.h"

namespace pp::calendar {
namespace {

// The DTSTAMP and Last-Modified of the bank holidays, which change only with
// a new build. Move it forward when the data file changes.
const absl::Time kBankHolidaysStamp = absl::FromUnixSeconds(1735689600);  // 2025-01-01

// RandomToken(32) gives 43 characters of base64url.
constexpr size_t kTokenLength = 43;

absl::Status ValidateAccount(const std::string& account_id) {
  if (account_id.empty() || account_id.size() > 200) {
    return absl::InvalidArgumentError("`account_id` must be the parent's account id");
  }
  return absl::OkStatus();
}

bool LooksLikeToken(const std::string& token) {
  return token.size() == kTokenLength && std::all_of(token.begin(), token.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '-' || c == '_';
         });
}

absl::Status LogStoreError(const char* event, const absl::Status& status) {
  log::Error(event).Field("error", status.message());
  return status;
}

// Returns the X-WR-CALNAME of a feed whose request and imported calendars
// give none: the first school name in the request, or else one that names
// the school by its SEED code, because calendar apps show this name.
std::string FallbackName(const api::RenderFeedRequest& request) {
  for (const api::FeedSchool& school : request.schools()) {
    if (!school.name().empty()) return school.name();
  }
  if (request.schools_size() == 1) {
    return absl::StrCat("School calendar ", request.schools(0).seed_code());
  }
  return "School calendars";
}

}  // namespace

absl::StatusOr<api::FeedToken> FeedService::GetFeedToken(const api::FeedTokenRequest& request) {
  if (absl::Status status = ValidateAccount(request.account_id()); !status.ok()) return status;
  absl::StatusOr<std::string> token = store_.GetFeedToken(request.account_id());
  if (!token.ok()) return LogStoreError("feed_token_read_failed", token.status());
  api::FeedToken response;
  response.set_token(*token);
  return response;
}

std::optional<api::FeedToken> FeedService::CachedFeedToken(const api::FeedTokenRequest& request) {
  if (!ValidateAccount(request.account_id()).ok()) return std::nullopt;
  std::optional<std::string> token = store_.CachedFeedToken(request.account_id());
  if (!token.has_value()) return std::nullopt;
  api::FeedToken response;
  response.set_token(*std::move(token));
  return response;
}

absl::StatusOr<api::FeedToken> FeedService::ReplaceFeedToken(const api::FeedTokenRequest& request) {
  if (absl::Status status = ValidateAccount(request.account_id()); !status.ok()) return status;
  std::string token = crypto::RandomToken();
  if (absl::Status status = store_.SetFeedToken(request.account_id(), token, clock_.Now());
      !status.ok()) {
    return LogStoreError("feed_token_write_failed", status);
  }
  log::Info("feed_token_replaced");
  api::FeedToken response;
  response.set_token(token);
  return response;
}

absl::StatusOr<api::FeedToken> FeedService::RevokeFeedToken(const api::FeedTokenRequest& request) {
  if (absl::Status status = ValidateAccount(request.account_id()); !status.ok()) return status;
  if (absl::Status status = store_.DeleteFeedToken(request.account_id()); !status.ok()) {
    return LogStoreError("feed_token_write_failed", status);
  }
  log::Info("feed_token_revoked");
  return api::FeedToken();
}

absl::StatusOr<api::ResolveFeedTokenResponse> FeedService::ResolveFeedToken(
    const api::ResolveFeedTokenRequest& request) {
  if (!LooksLikeToken(request.token())) {
    return absl::InvalidArgumentError("the calendar feed token is not 43 base64url characters");
  }
  absl::StatusOr<std::string> account = store_.AccountForFeedToken(request.token());
  if (!account.ok()) {
    if (account.status().code() == absl::StatusCode::kNotFound) return account.status();
    return LogStoreError("feed_token_read_failed", account.status());
  }
  api::ResolveFeedTokenResponse response;
  response.set_account_id(*account);
  return response;
}

absl::StatusOr<api::Feed> FeedService::RenderFeed(const api::RenderFeedRequest& request) {
  if (request.schools_size() > kMaxFeedSchools) {
    return absl::InvalidArgumentError(absl::StrCat("a feed covers at most ", kMaxFeedSchools,
                                                   " schools, got ", request.schools_size()));
  }
  if (!request.parent_feed() && request.schools_size() != 1) {
    return absl::InvalidArgumentError("a school feed covers exactly one school");
  }

  absl::Time now = clock_.Now();
  absl::CivilDay today = absl::ToCivilDay(now, absl::UTCTimeZone());
  absl::CivilDay from = today - kFeedDaysBefore;
  int64_t from_seconds = absl::ToUnixSeconds(absl::FromCivil(from, absl::UTCTimeZone()));
  // Occurrences are stored only up to kExpandAfter after an import, so this
  // end takes every one of them.
  int64_t to_seconds = std::numeric_limits<int64_t>::max();

  // Everything a feed's bytes depend on, besides the calendars of its
  // schools: the request and the day it starts. Parents whose children go
  // to the same schools share the entry.
  std::string key = absl::StrCat(from_seconds, "|", request.SerializeAsString());
  if (SharedFeed cached = store_.CachedFeed(key)) return *cached;
  uint64_t ticket = store_.FeedTicket();
  std::vector<std::string> seed_codes;
  for (const api::FeedSchool& school : request.schools()) seed_codes.push_back(school.seed_code());

  FeedContent content;
  content.name = request.name();
  absl::Time last_modified = absl::InfinitePast();
  for (const api::FeedSchool& school : request.schools()) {
    if (absl::Status status = ValidateSeedCode(school.seed_code()); !status.ok()) return status;
    absl::StatusOr<CalendarInfo> info = store_.GetCalendarInfo(school.seed_code());
    if (!info.ok()) return LogStoreError("calendar_feed_failed", info.status());
    if (info->changed_at == absl::InfinitePast()) {
      if (!request.parent_feed()) {
        return absl::NotFoundError(
            absl::StrCat("school ", school.seed_code(), " has not published a calendar"));
      }
      continue;
    }
    absl::StatusOr<std::vector<StoredOccurrence>> occurrences =
        store_.ListOccurrences(school.seed_code(), from_seconds, to_seconds, kMaxFeedOccurrences);
    if (!occurrences.ok()) return LogStoreError("calendar_feed_failed", occurrences.status());

    FeedSchool part;
    part.seed_code = school.seed_code();
    part.changed_at = info->changed_at;
    part.occurrences = std::move(*occurrences);
    for (const StoredOccurrence& occurrence : part.occurrences) {
      if (occurrence.repeating) part.repeating_uids.insert(occurrence.uid);
    }
    if (request.parent_feed()) {
      std::string name = school.name().empty() ? info->name : school.name();
      if (!name.empty()) part.label = absl::StrCat(name, ": ");
      part.uid_prefix = absl::StrCat(school.seed_code(), ".");
    }
    if (content.name.empty()) content.name = info->name;
    last_modified = std::max(last_modified, info->changed_at);
    content.schools.push_back(std::move(part));
  }
  if (content.name.empty()) content.name = FallbackName(request);
  if (request.parent_feed()) {
    for (auto it = bank_holidays_.lower_bound(from); it != bank_holidays_.end(); ++it) {
      content.bank_holidays.emplace_back(it->first, it->second);
    }
    content.bank_holidays_stamp = kBankHolidaysStamp;
    last_modified = std::max(last_modified, kBankHolidaysStamp);
  }

  api::Feed feed;
  feed.set_ics(WriteFeed(content));
  feed.set_etag(crypto::ContentTag(feed.ics()));
  if (last_modified != absl::InfinitePast()) {
    feed.set_last_modified(absl::FormatTime(absl::RFC3339_sec, last_modified, absl::UTCTimeZone()));
  }
  store_.KeepFeed(key, seed_codes, std::make_shared<const api::Feed>(feed), ticket);
  return feed;
}

}  // namespace pp::calendar
