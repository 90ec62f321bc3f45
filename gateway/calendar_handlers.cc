// Calendar routes: the parent's and the schools' iCalendar feeds, the forms
// that replace or revoke a parent's feed address, and a child's month view.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/forms.h"
#include "gateway/gateway.h"
#include "log/log.h"

namespace pp::gateway {
namespace {

constexpr char kFeedRoute[] = "/calendar/{token}.ics";
constexpr char kCalendarContentType[] = "text/calendar; charset=utf-8";
// The X-WR-CALNAME of a parent's feed.
constexpr char kParentFeedName[] = "School calendar (Parents Portal)";
// The service's maximum for one list, so that a busy month is not cut short.
constexpr int kMaxMonthEvents = 1000;
// IMF-fixdate, the HTTP date form that servers send.
constexpr char kHttpDateFormat[] = "%a, %d %b %Y %H:%M:%S GMT";

// A feed token as the calendar service issues it: 43 base64url characters.
bool IsFeedToken(const std::string& text) {
  if (text.size() != 43) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

// A Host header that is safe to put into an address: a name or address and
// an optional port, nothing that could start a path or an attribute.
bool IsPlainHost(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    bool allowed = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                   c == ':' || c == '[' || c == ']';
    if (!allowed) return false;
  }
  return true;
}

// Reads "YYYY-MM". Rejects other shapes, such as "2026-1" or "2026-13".
// The caller checks the range.
bool ParseMonth(const std::string& text, absl::CivilMonth* month) {
  if (text.size() != 7 || text[4] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  if (!absl::ParseCivilTime(text, month)) return false;
  return absl::FormatCivilTime(*month) == text;
}

// Returns true when an If-None-Match value names `etag` (quoted) or is "*".
// RFC 9110, section 13.1.2, requires the weak comparison, so a W/ prefix is
// ignored.
bool EtagListMatches(const std::string& header, const std::string& etag) {
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    absl::string_view tag = absl::StripAsciiWhitespace(part);
    if (tag == "*") return true;
    absl::ConsumePrefix(&tag, "W/");
    if (tag == etag) return true;
  }
  return false;
}

// Reads an HTTP date in any of its three forms: IMF-fixdate, RFC 850 and
// asctime.
bool ParseHttpDate(const std::string& text, absl::Time* time) {
  std::string error;
  for (const char* format :
       {kHttpDateFormat, "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    if (absl::ParseTime(format, text, absl::UTCTimeZone(), time, &error)) return true;
  }
  return false;
}

// Returns true when the client's copy is current and the response is 304.
// If-None-Match decides when present, because RFC 9110, section 13.1.3,
// requires If-Modified-Since to be ignored then.
bool ClientHasFeed(const httplib::Request& request, const std::string& etag,
                   absl::Time last_modified) {
  if (request.has_header("If-None-Match")) {
    return EtagListMatches(request.get_header_value("If-None-Match"), etag);
  }
  if (!request.has_header("If-Modified-Since") || last_modified == absl::InfinitePast()) {
    return false;
  }
  absl::Time since;
  if (!ParseHttpDate(request.get_header_value("If-Modified-Since"), &since)) return false;
  return last_modified <= since;
}

}  // namespace

std::string PathForLog(const std::string& path) {
  if (!absl::StartsWith(path, "/calendar/")) return path;
  if (path == "/calendar/feed/replace" || path == "/calendar/feed/revoke") return path;
  // Every other path under /calendar/ may be a feed address, mistyped or not.
  return kFeedRoute;
}

void Gateway::RegisterCalendar(httplib::Server& server) {
  server.Get(R"(/calendar/([^/]+)\.ics)",
             [this](const Request& q, Response& r) { GetParentFeed(q, r); });
  server.Get(R"(/schools/([0-9]{7})/calendar\.ics)",
             [this](const Request& q, Response& r) { GetSchoolFeed(q, r); });
  server.Post("/calendar/feed/replace",
              [this](const Request& q, Response& r) { PostReplaceFeed(q, r); });
  server.Post("/calendar/feed/revoke",
              [this](const Request& q, Response& r) { PostRevokeFeed(q, r); });
  server.Get(R"(/children/([^/]+)/calendar)",
             [this](const Request& q, Response& r) { GetChildCalendar(q, r); });
}

void Gateway::GetParentFeed(const Request& request, Response& response) {
  // Calendar apps fetch the feed without a session, so the token alone
  // grants access.
  std::string token = request.matches[1].str();
  auto not_found = [this, &request, &response] {
    SendPage(response, 404,
             MessagePage(BareContext(request), "Calendar not found",
                         "There is no calendar at this address. If you replaced or revoked "
                         "your feed address, copy the new one from your home page."));
  };
  if (!IsFeedToken(token)) {
    not_found();
    return;
  }

  calendar::ResolveFeedTokenRequest resolve;
  resolve.set_token(token);
  absl::StatusOr<calendar::ResolveFeedTokenResponse> owner =
      clients_.calendar->ResolveFeedToken(resolve);
  if (!owner.ok()) {
    absl::StatusCode code = owner.status().code();
    if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kInvalidArgument) {
      not_found();
    } else {
      SendServiceError(request, response, BareContext(request), "ResolveFeedToken", owner.status(),
                       "");
    }
    return;
  }
  const std::string& account_id = owner->account_id();

  // One feed covers the school of every linked child, each school once.
  link::ListLinksRequest list;
  list.set_account_id(account_id);
  absl::StatusOr<link::ListLinksResponse> links = clients_.links->ListLinks(list);
  if (!links.ok()) {
    SendServiceError(request, response, BareContext(request), "ListLinks", links.status(),
                     account_id);
    return;
  }
  calendar::RenderFeedRequest render;
  render.set_name(kParentFeedName);
  render.set_parent_feed(true);
  std::set<std::string> seen;
  for (const link::Child& child : links->children()) {
    if (!seen.insert(child.seed_code()).second) continue;
    calendar::FeedSchool* school = render.add_schools();
    school->set_seed_code(child.seed_code());
    school->set_name(child.school_name());
  }

  absl::StatusOr<calendar::Feed> feed = clients_.calendar->RenderFeed(render);
  if (!feed.ok()) {
    SendServiceError(request, response, BareContext(request), "RenderFeed", feed.status(),
                     account_id);
    return;
  }
  // The address is secret, so shared caches must not keep the feed.
  SendFeed(request, response, *feed, "private, no-cache");
}

void Gateway::GetSchoolFeed(const Request& request, Response& response) {
  calendar::RenderFeedRequest render;
  render.add_schools()->set_seed_code(request.matches[1].str());
  absl::StatusOr<calendar::Feed> feed = clients_.calendar->RenderFeed(render);
  if (!feed.ok()) {
    if (feed.status().code() == absl::StatusCode::kNotFound) {
      SendPage(response, 404,
               MessagePage(BareContext(request), "Calendar not found",
                           "This school has not published a calendar here."));
    } else {
      SendServiceError(request, response, BareContext(request), "RenderFeed", feed.status(), "");
    }
    return;
  }
  SendFeed(request, response, *feed, "public, no-cache");
}

void Gateway::SendFeed(const Request& request, Response& response, const calendar::Feed& feed,
                       const char* cache_control) {
  std::string etag = absl::StrCat("\"", feed.etag(), "\"");
  absl::Time last_modified = absl::InfinitePast();
  std::string error;
  if (!feed.last_modified().empty() &&
      !absl::ParseTime(absl::RFC3339_full, feed.last_modified(), &last_modified, &error)) {
    log::Warning("feed_last_modified_invalid")
        .Field("value", feed.last_modified())
        .Field("error", error);
    last_modified = absl::InfinitePast();
  }

  response.set_header("ETag", etag);
  if (last_modified != absl::InfinitePast()) {
    response.set_header("Last-Modified",
                        absl::FormatTime(kHttpDateFormat, last_modified, absl::UTCTimeZone()));
  }
  response.set_header("Cache-Control", cache_control);
  if (ClientHasFeed(request, etag, last_modified)) {
    response.status = 304;
    return;
  }
  response.status = 200;
  response.set_content(feed.ics(), kCalendarContentType);
}

void Gateway::PostReplaceFeed(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  calendar::FeedTokenRequest call;
  call.set_account_id(session.account.account_id());
  absl::StatusOr<calendar::FeedToken> token = clients_.calendar->ReplaceFeedToken(call);
  if (!token.ok()) {
    SendServiceError(request, response, Context(request, response, &session), "ReplaceFeedToken",
                     token.status(), call.account_id());
    return;
  }
  Redirect(response, "/?feed=replaced#calendar-feed");
}

void Gateway::PostRevokeFeed(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  calendar::FeedTokenRequest call;
  call.set_account_id(session.account.account_id());
  absl::StatusOr<calendar::FeedToken> token = clients_.calendar->RevokeFeedToken(call);
  if (!token.ok()) {
    SendServiceError(request, response, Context(request, response, &session), "RevokeFeedToken",
                     token.status(), call.account_id());
    return;
  }
  Redirect(response, "/?feed=revoked#calendar-feed");
}

FeedView Gateway::MakeFeedView(const Request& request,
                               const absl::StatusOr<calendar::FeedToken>& token) {
  FeedView view;
  std::string changed = FormField(request, "feed");
  if (changed == "replaced" || changed == "revoked") view.changed = changed;
  if (!token.ok()) {
    // The rest of the home page still works without the feed address.
    view.unavailable = true;
    return view;
  }
  if (!token->token().empty()) view.address = FeedAddress(request, token->token());
  return view;
}

std::string Gateway::FeedAddress(const Request& request, const std::string& token) const {
  std::string path = absl::StrCat("/calendar/", token, ".ics");
  if (!options_.public_base_url.empty()) {
    absl::string_view base = options_.public_base_url;
    absl::ConsumeSuffix(&base, "/");
    return absl::StrCat(base, path);
  }
  // Behind a TLS proxy (secure cookies) parents reach the portal over https.
  const char* scheme = options_.secure_cookies ? "https://" : "http://";
  std::string host = request.get_header_value("Host");
  if (!IsPlainHost(host)) host = absl::StrCat(request.local_addr, ":", request.local_port);
  return absl::StrCat(scheme, host, path);
}

void Gateway::GetChildCalendar(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();

  std::optional<link::Child> child = LinkedChildOrError(request, response, context, account_id);
  if (!child.has_value()) return;

  MonthView view;
  view.child = *child;
  view.today = Today();
  view.month = absl::CivilMonth(view.today);
  if (request.has_param("month")) {
    if (!ParseMonth(FormField(request, "month"), &view.month)) {
      SendPage(response, 400,
               MessagePage(context, "Month not understood",
                           "Give the month as YYYY-MM, for example 2026-10."));
      return;
    }
    if (view.month < kFirstViewableMonth || view.month > kLastViewableMonth) {
      SendPage(response, 400,
               MessagePage(
                   context, "Month not available",
                   absl::StrCat("The calendar shows months from ", FormatMonth(kFirstViewableMonth),
                                " to ", FormatMonth(kLastViewableMonth), ".")));
      return;
    }
  }

  // The table shows whole weeks, so the events run from the Monday before
  // the month starts to the Sunday after it ends. The service compares
  // timed events in UTC, so a day either side catches the events that fall
  // in those weeks only in London time.
  absl::CivilDay grid_start =
      absl::PrevWeekday(absl::CivilDay(view.month) + 1, absl::Weekday::monday);
  absl::CivilDay grid_end =
      absl::NextWeekday(absl::CivilDay(view.month + 1) - 1, absl::Weekday::sunday);
  calendar::ListEventsRequest events_request;
  events_request.set_seed_code(child->seed_code());
  events_request.set_from(absl::FormatCivilTime(grid_start - 1));
  events_request.set_to(absl::FormatCivilTime(grid_end + 1));
  events_request.set_max_events(kMaxMonthEvents);
  absl::StatusOr<calendar::ListEventsResponse> events =
      clients_.calendar->ListEvents(events_request);
  if (events.ok()) {
    view.events.assign(events->events().begin(), events->events().end());
  } else {
    view.calendar_unavailable = true;
    log::Warning("calendar_unavailable")
        .Field("rpc", "ListEvents")
        .Field("code", absl::StatusCodeToString(events.status().code()))
        .Field("error", events.status().message())
        .Field("school", child->seed_code())
        .Field("account", account_id);
  }
  SendPage(response, 200, MonthPage(context, view));
}

}  // namespace pp::gateway
