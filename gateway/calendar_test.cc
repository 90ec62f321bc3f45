// Calendar routes: feeds over HTTP, the feed forms, the month view and
// dates in London time. Handler tests use fakes behind the client
// interfaces. The last tests run the real gRPC calendar client against a
// small Calendar server on 127.0.0.1:0.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/grpc_clients.h"
#include "gateway/test_server.h"
#include "server/server.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;
constexpr char kToken[] = "feed-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kIcs[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";

struct Fakes : SignedInFakes {
  Fakes() {
    calendar.feed_tokens["account-1"] = kToken;
    calendar::Feed feed;
    feed.set_ics(kIcs);
    feed.set_etag("0123456789abcdef0123456789abcdef");
    feed.set_last_modified("2026-10-30T09:00:00+00:00");
    calendar.feed = feed;

    *links.links.add_children() = Child("child-1", "Eilidh", "5300011", "Ashgrove Primary");
    *links.links.add_children() = Child("child-2", "Ruairi", "5300011", "Ashgrove Primary");
    *links.links.add_children() = Child("child-3", "Morag", "5400022", "Hillside Academy");
  }

  static link::Child Child(const std::string& id, const std::string& forename,
                           const std::string& seed_code, const std::string& school) {
    link::Child child;
    child.set_child_id(id);
    child.set_forename(forename);
    child.set_surname("O'Neill");
    child.set_seed_code(seed_code);
    child.set_school_name(school);
    return child;
  }
};

httplib::Headers Browser(const std::string& session = kSession) {
  std::string cookies = absl::StrCat("pp_csrf=", kTestCsrf);
  if (!session.empty()) absl::StrAppend(&cookies, "; pp_session=", session);
  return {{"Cookie", cookies}};
}

std::string FeedPath(const std::string& token = kToken) {
  return absl::StrCat("/calendar/", token, ".ics");
}

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

// Sends what the process writes to stderr, where pp::log writes, to a file
// until Finish.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    char name[] = "/tmp/pp-gateway-log-XXXXXX";
    file_ = mkstemp(name);
    path_ = name;
    saved_ = dup(STDERR_FILENO);
    dup2(file_, STDERR_FILENO);
  }
  ~StderrCapture() { Finish(); }

  // Restores stderr and returns what was written meanwhile.
  std::string Finish() {
    if (saved_ >= 0) {
      std::fflush(stderr);
      dup2(saved_, STDERR_FILENO);
      close(saved_);
      close(file_);
      saved_ = -1;
      std::ifstream in(path_);
      std::stringstream text;
      text << in.rdbuf();
      captured_ = text.str();
      std::remove(path_.c_str());
    }
    return captured_;
  }

 private:
  int file_ = -1;
  int saved_ = -1;
  std::string path_;
  std::string captured_;
};

TEST_CASE("parent feed is served with validators") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // A calendar app sends no cookies.
  httplib::Result result = client.Get(FeedPath());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == kIcs);
  CHECK(result->get_header_value("Content-Type") == "text/calendar; charset=utf-8");
  CHECK(result->get_header_value("ETag") == "\"0123456789abcdef0123456789abcdef\"");
  CHECK(result->get_header_value("Last-Modified") == "Fri, 30 Oct 2026 09:00:00 GMT");
  CHECK(result->get_header_value("Cache-Control") == "private, no-cache");
  CHECK_FALSE(result->has_header("Set-Cookie"));
}

TEST_CASE("parent feed covers each school once") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get(FeedPath());
  REQUIRE(result);
  CHECK(result->status == 200);
  const calendar::RenderFeedRequest& render = fakes.calendar.last_render;
  CHECK(render.parent_feed());
  REQUIRE(render.schools_size() == 2);
  CHECK(render.schools(0).seed_code() == "5300011");
  CHECK(render.schools(0).name() == "Ashgrove Primary");
  CHECK(render.schools(1).seed_code() == "5400022");
  CHECK(render.schools(1).name() == "Hillside Academy");
  CHECK_FALSE(render.name().empty());
}

TEST_CASE("parent feed 304 on current copy") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  const std::string etag = "\"0123456789abcdef0123456789abcdef\"";

  struct Case {
    const char* name;
    httplib::Headers headers;
    int status;
  };
  const Case cases[] = {
      {"same etag", {{"If-None-Match", etag}}, 304},
      {"weak etag", {{"If-None-Match", "W/" + etag}}, 304},
      {"etag in a list", {{"If-None-Match", "\"old\", " + etag}}, 304},
      {"any etag", {{"If-None-Match", "*"}}, 304},
      {"other etag", {{"If-None-Match", "\"old\""}}, 200},
      {"unquoted etag", {{"If-None-Match", "0123456789abcdef0123456789abcdef"}}, 200},
      {"same date", {{"If-Modified-Since", "Fri, 30 Oct 2026 09:00:00 GMT"}}, 304},
      {"later date", {{"If-Modified-Since", "Sat, 31 Oct 2026 09:00:00 GMT"}}, 304},
      {"rfc 850 date", {{"If-Modified-Since", "Saturday, 31-Oct-26 09:00:00 GMT"}}, 304},
      {"earlier date", {{"If-Modified-Since", "Fri, 30 Oct 2026 08:59:59 GMT"}}, 200},
      {"unreadable date", {{"If-Modified-Since", "yesterday"}}, 200},
      // If-None-Match decides when both are sent.
      {"other etag, later date",
       {{"If-None-Match", "\"old\""}, {"If-Modified-Since", "Sat, 31 Oct 2026 09:00:00 GMT"}},
       200},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    httplib::Result result = client.Get(FeedPath(), test.headers);
    REQUIRE(result);
    CHECK(result->status == test.status);
    if (test.status == 304) {
      CHECK(result->body.empty());
      CHECK(result->get_header_value("ETag") == etag);
      CHECK(result->get_header_value("Last-Modified") == "Fri, 30 Oct 2026 09:00:00 GMT");
    } else {
      CHECK(result->body == kIcs);
    }
  }
}

TEST_CASE("unknown feed token is not found") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result unknown = client.Get(FeedPath("feed-token-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
  REQUIRE(unknown);
  CHECK(unknown->status == 404);

  // Tokens of the wrong shape never reach the service.
  for (const char* token : {"short", "feed-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a%2Fb"}) {
    INFO(token);
    httplib::Result result = client.Get(FeedPath(token));
    REQUIRE(result);
    CHECK(result->status == 404);
  }
  CHECK(fakes.calendar.render_calls == 0);
}

TEST_CASE("revoked feed token is not found") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result revoke = client.Post("/calendar/feed/revoke", Browser(),
                                       httplib::Params{{"csrf_token", TestCsrfField(kSession)}});
  REQUIRE(revoke);
  CHECK(revoke->status == 303);
  httplib::Result result = client.Get(FeedPath());
  REQUIRE(result);
  CHECK(result->status == 404);
}

TEST_CASE("feed outage is a retryable 503") {
  Fakes fakes;
  fakes.calendar.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get(FeedPath());
  REQUIRE(result);
  CHECK(result->status == 503);
  CHECK(result->get_header_value("Retry-After") == "120");
}

TEST_CASE("access log hides feed token") {
  Fakes fakes;
  std::string log;
  {
    StderrCapture capture;
    {
      TestServer server(fakes.clients());
      httplib::Client client = server.Client();
      REQUIRE(client.Get(FeedPath()));
      REQUIRE(client.Get(FeedPath("feed-token-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")));
      REQUIRE(client.Get("/calendar/feed-token-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"));
      fakes.calendar.outage = absl::UnavailableError("down");
      REQUIRE(client.Get(FeedPath()));
      // Stopping the server waits for the log lines of every request.
    }
    log = capture.Finish();
  }
  CHECK(Count(log, "event=http_request") == 4);
  CHECK(Count(log, "path=/calendar/{token}.ics") == 5);
  CHECK(absl::StrContains(log, "event=service_unavailable"));
  CHECK_FALSE(absl::StrContains(log, "feed-token"));
}

TEST_CASE("log path keeps other routes") {
  CHECK(PathForLog("/calendar/abc.ics") == "/calendar/{token}.ics");
  CHECK(PathForLog("/calendar/abc") == "/calendar/{token}.ics");
  CHECK(PathForLog("/calendar/feed/replace") == "/calendar/feed/replace");
  CHECK(PathForLog("/calendar/feed/revoke") == "/calendar/feed/revoke");
  CHECK(PathForLog("/schools/5300011/calendar.ics") == "/schools/5300011/calendar.ics");
  CHECK(PathForLog("/children/child-1/calendar") == "/children/child-1/calendar");
}

TEST_CASE("school feed needs a seed code") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/schools/5300011/calendar.ics");
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->get_header_value("Content-Type") == "text/calendar; charset=utf-8");
  CHECK(result->get_header_value("Cache-Control") == "public, no-cache");
  CHECK_FALSE(fakes.calendar.last_render.parent_feed());
  REQUIRE(fakes.calendar.last_render.schools_size() == 1);
  CHECK(fakes.calendar.last_render.schools(0).seed_code() == "5300011");

  httplib::Result cached = client.Get("/schools/5300011/calendar.ics",
                                      {{"If-None-Match", result->get_header_value("ETag")}});
  REQUIRE(cached);
  CHECK(cached->status == 304);

  for (const char* path : {"/schools/530001/calendar.ics", "/schools/53000111/calendar.ics",
                           "/schools/53000x1/calendar.ics", "/schools/5300011/calendar"}) {
    INFO(path);
    httplib::Result wrong = client.Get(path);
    REQUIRE(wrong);
    CHECK(wrong->status == 404);
  }
  CHECK(fakes.calendar.render_calls == 2);
}

TEST_CASE("school without calendar is not found") {
  Fakes fakes;
  fakes.calendar.feed = absl::NotFoundError("school 5300011 has not published a calendar");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/schools/5300011/calendar.ics");
  REQUIRE(result);
  CHECK(result->status == 404);
}

TEST_CASE("home page shows feed address") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Headers headers = Browser();
  headers.emplace("Host", "portal.example.org");
  httplib::Result result = client.Get("/", headers);
  REQUIRE(result);
  CHECK(result->status == 200);
  std::string address = absl::StrCat("http://portal.example.org/calendar/", kToken, ".ics");
  CHECK(absl::StrContains(result->body, absl::StrCat("<code>", address, "</code>")));
  CHECK(absl::StrContains(result->body, absl::StrCat("href=\"webcal://portal.example.org/calendar/",
                                                     kToken, ".ics\">Subscribe")));
  CHECK(absl::StrContains(result->body, "action=\"/calendar/feed/replace\""));
  CHECK(absl::StrContains(result->body, "action=\"/calendar/feed/revoke\""));
  CHECK(Count(result->body,
              absl::StrCat("name=\"csrf_token\" value=\"", TestCsrfField(kSession), "\"")) >= 3);
}

TEST_CASE("feed address ignores unsafe host") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Headers headers = Browser();
  headers.emplace("Host", "evil\"><script>");
  httplib::Result result = client.Get("/", headers);
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK_FALSE(absl::StrContains(result->body, "evil"));
  CHECK(absl::StrContains(result->body, absl::StrCat("<code>http://127.0.0.1:", server.port(),
                                                     "/calendar/", kToken, ".ics</code>")));
}

TEST_CASE("feed address uses public base url") {
  Fakes fakes;
  GatewayOptions options;
  options.public_base_url = "https://portal.example.org/";
  TestServer server(fakes.clients(), options);
  httplib::Client client = server.Client();

  httplib::Headers headers = Browser();
  headers.emplace("Host", "other.example.org");
  httplib::Result result = client.Get("/", headers);
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, absl::StrCat("<code>https://portal.example.org/calendar/",
                                                     kToken, ".ics</code>")));
  CHECK(absl::StrContains(result->body, "href=\"webcal://portal.example.org/calendar/"));
}

TEST_CASE("home page offers a feed address") {
  Fakes fakes;
  fakes.calendar.feed_tokens.clear();
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "Create a calendar address"));
  CHECK_FALSE(absl::StrContains(result->body, "/calendar/feed/revoke"));
  CHECK_FALSE(absl::StrContains(result->body, "webcal://"));
}

TEST_CASE("replace form issues a new address") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result forged =
      client.Post("/calendar/feed/replace", Browser(), httplib::Params{{"csrf_token", "wrong"}});
  REQUIRE(forged);
  CHECK(forged->status == 403);
  CHECK(fakes.calendar.feed_tokens["account-1"] == kToken);

  httplib::Result signed_out = client.Post("/calendar/feed/replace", Browser(""),
                                           httplib::Params{{"csrf_token", TestCsrfField()}});
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
  CHECK(signed_out->get_header_value("Location") == "/sign-in");
  CHECK(fakes.calendar.feed_tokens["account-1"] == kToken);

  httplib::Result replaced = client.Post("/calendar/feed/replace", Browser(),
                                         httplib::Params{{"csrf_token", TestCsrfField(kSession)}});
  REQUIRE(replaced);
  CHECK(replaced->status == 303);
  CHECK(replaced->get_header_value("Location") == "/?feed=replaced#calendar-feed");
  CHECK(fakes.calendar.feed_tokens["account-1"] == fakes.calendar.next_feed_token);

  httplib::Result page = client.Get("/?feed=replaced", Browser());
  REQUIRE(page);
  CHECK(absl::StrContains(page->body, "Your calendar feed has a new address"));
  CHECK(absl::StrContains(page->body, fakes.calendar.next_feed_token));

  httplib::Result old_feed = client.Get(FeedPath());
  REQUIRE(old_feed);
  CHECK(old_feed->status == 404);
}

TEST_CASE("revoke form turns the address off") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result forged = client.Post("/calendar/feed/revoke", Browser(), httplib::Params{});
  REQUIRE(forged);
  CHECK(forged->status == 403);
  CHECK(fakes.calendar.feed_tokens.count("account-1") == 1);

  httplib::Result revoked = client.Post("/calendar/feed/revoke", Browser(),
                                        httplib::Params{{"csrf_token", TestCsrfField(kSession)}});
  REQUIRE(revoked);
  CHECK(revoked->status == 303);
  CHECK(revoked->get_header_value("Location") == "/?feed=revoked#calendar-feed");
  CHECK(fakes.calendar.feed_tokens.count("account-1") == 0);

  httplib::Result page = client.Get("/?feed=revoked", Browser());
  REQUIRE(page);
  CHECK(absl::StrContains(page->body, "Your calendar feed address has been turned off"));
  CHECK(absl::StrContains(page->body, "Create a calendar address"));
}

TEST_CASE("feed form outage shows 503") {
  Fakes fakes;
  fakes.calendar.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Post("/calendar/feed/replace", Browser(),
                                       httplib::Params{{"csrf_token", TestCsrfField(kSession)}});
  REQUIRE(result);
  CHECK(result->status == 503);

  // The home page still works, without the feed address.
  httplib::Result home = client.Get("/", Browser());
  REQUIRE(home);
  CHECK(home->status == 200);
  CHECK(absl::StrContains(home->body, "The calendar subscription cannot be shown right now"));
}

calendar::Event AllDay(const std::string& summary, const std::string& start,
                       const std::string& end) {
  calendar::Event event;
  event.set_summary(summary);
  event.set_all_day(true);
  event.set_start(start);
  event.set_end(end);
  return event;
}

calendar::Event Timed(const std::string& summary, const std::string& start,
                      const std::string& end) {
  calendar::Event event;
  event.set_summary(summary);
  event.set_start(start);
  event.set_end(end);
  return event;
}

// Returns the table cell of `date` in a month page.
std::string Cell(const std::string& body, const std::string& date) {
  size_t at = body.find(absl::StrCat("<time datetime=\"", date, "\">"));
  if (at == std::string::npos) return "";
  size_t start = body.rfind("<td", at);
  size_t end = body.find("</td>", at);
  return body.substr(start, end - start);
}

TEST_CASE("month view lays out weeks") {
  Fakes fakes;
  calendar::ListEventsResponse& events = fakes.calendar.events["5300011"];
  *events.add_events() = AllDay("October holiday", "2026-10-17", "2026-10-18");
  *events.add_events() = AllDay("Half term", "2026-10-19", "2026-10-21");
  // 13:15 UTC is 14:15 in British Summer Time.
  *events.add_events() =
      Timed("Parents' evening", "2026-10-14T13:15:00+00:00", "2026-10-14T15:00:00+00:00");
  // 23:30 UTC on 30 September is 00:30 on 1 October in London.
  *events.add_events() =
      Timed("Night walk", "2026-09-30T23:30:00+00:00", "2026-10-01T00:30:00+00:00");
  // After the clocks go back on 25 October, London time is UTC.
  *events.add_events() =
      Timed("Halloween disco", "2026-10-29T18:00:00+00:00", "2026-10-29T20:00:00+00:00");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/children/child-1/calendar?month=2026-10", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  const std::string& body = result->body;
  CHECK(absl::StrContains(body, "<caption>Ashgrove Primary, October 2026</caption>"));
  CHECK(Count(body, "<th scope=\"col\">") == 7);
  CHECK(absl::StrContains(body, "<th scope=\"col\"><abbr title=\"Monday\">Mon</abbr></th>"));
  // 1 October 2026 is a Thursday, so the first week starts with the last 3
  // days of September, and the last week ends with 1 November.
  CHECK(absl::StrContains(body,
                          "<tr>\n<td class=\"pp-month__outside\"><time datetime=\"2026-09-28\">"
                          "<span class=\"visually-hidden\">September 2026 </span>28</time>"));
  CHECK(absl::StrContains(body, "<td><time datetime=\"2026-10-01\">1</time>"));
  CHECK(absl::StrContains(body,
                          "<td class=\"pp-month__outside\"><time datetime=\"2026-11-01\">"
                          "<span class=\"visually-hidden\">November 2026 </span>1</time>"));
  CHECK(Count(body, "class=\"pp-month__outside\"") == 4);
  CHECK(Count(body, "<tr>") == 6);
  CHECK(Count(body, "<time datetime=") == 35);
  // Today (4 December) is in another month.
  CHECK_FALSE(absl::StrContains(body, "aria-current"));

  CHECK(absl::StrContains(Cell(body, "2026-10-17"), "All day</span> October holiday"));
  CHECK_FALSE(absl::StrContains(Cell(body, "2026-10-18"), "October holiday"));
  CHECK(absl::StrContains(Cell(body, "2026-10-19"), "Half term"));
  CHECK(absl::StrContains(Cell(body, "2026-10-20"), "Half term"));
  CHECK_FALSE(absl::StrContains(Cell(body, "2026-10-21"), "Half term"));
  CHECK(absl::StrContains(Cell(body, "2026-10-14"), "14:15</span> Parents&apos; evening"));
  CHECK(absl::StrContains(Cell(body, "2026-10-01"), "00:30</span> Night walk"));
  CHECK(absl::StrContains(Cell(body, "2026-10-29"), "18:00</span> Halloween disco"));

  CHECK(absl::StrContains(body, "href=\"/children/child-1/calendar?month=2026-09\""));
  CHECK(absl::StrContains(body, "href=\"/children/child-1/calendar?month=2026-11\""));
  CHECK(fakes.calendar.last_request.seed_code() == "5300011");
  // From the day before the grid's first Monday, 28 September, to the day
  // after its last Sunday, 1 November.
  CHECK(fakes.calendar.last_request.from() == "2026-09-27");
  CHECK(fakes.calendar.last_request.to() == "2026-11-02");
}

TEST_CASE("month view defaults to this month") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/children/child-1/calendar", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "December 2026</caption>"));
  CHECK(Count(result->body, "aria-current=\"date\"") == 1);
  CHECK(absl::StrContains(result->body,
                          "<td aria-current=\"date\"><time datetime=\"2026-12-04\">4</time>"));
  CHECK(absl::StrContains(result->body, "month=2027-01"));
}

TEST_CASE("month view titled with its month") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result october = client.Get("/children/child-1/calendar?month=2026-10", Browser());
  REQUIRE(october);
  CHECK(october->status == 200);
  CHECK(absl::StrContains(october->body,
                          "<title>October 2026: school calendar for Eilidh O&apos;Neill - "
                          "Parents Portal</title>"));
  CHECK(absl::StrContains(october->body,
                          "<h1 class=\"ds_page-header__title\">October 2026: school calendar "
                          "for Eilidh O&apos;Neill</h1>"));

  httplib::Result november = client.Get("/children/child-1/calendar?month=2026-11", Browser());
  REQUIRE(november);
  CHECK(absl::StrContains(november->body, "<title>November 2026: school calendar for"));
}

TEST_CASE("month view clips long summaries") {
  Fakes fakes;
  calendar::ListEventsResponse& events = fakes.calendar.events["5300011"];
  *events.add_events() = AllDay(std::string(200000, 'a'), "2026-10-05", "2026-10-06");
  // "é" is two bytes in UTF-8, so a cut by bytes would split one.
  std::string accents;
  for (int i = 0; i < 150; ++i) accents += "\u00e9";
  *events.add_events() = AllDay(accents, "2026-10-06", "2026-10-07");
  *events.add_events() = AllDay(std::string(100, 'b'), "2026-10-07", "2026-10-08");
  // Trailing spaces before the cut are dropped, so the ellipsis follows a word.
  *events.add_events() = AllDay(std::string(99, 'c') + "   and more", "2026-10-08", "2026-10-09");
  TestServer server(fakes.clients());

  httplib::Result result =
      server.Client().Get("/children/child-1/calendar?month=2026-10", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body.size() < 20000);

  std::string clipped_accents;
  for (int i = 0; i < 100; ++i) clipped_accents += "\u00e9";
  CHECK(absl::StrContains(Cell(result->body, "2026-10-05"),
                          absl::StrCat("</span> ", std::string(100, 'a'), "\u2026</li>")));
  CHECK(absl::StrContains(Cell(result->body, "2026-10-06"),
                          absl::StrCat("</span> ", clipped_accents, "\u2026</li>")));
  CHECK(absl::StrContains(Cell(result->body, "2026-10-07"),
                          absl::StrCat("</span> ", std::string(100, 'b'), "</li>")));
  CHECK(absl::StrContains(Cell(result->body, "2026-10-08"),
                          absl::StrCat("</span> ", std::string(99, 'c'), "\u2026</li>")));
}

TEST_CASE("month view rejects bad months") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  for (const char* month : {"2026-13", "2026-1", "2026-00", "26-10", "2026-10-01", "1066-10", ""}) {
    INFO(month);
    httplib::Result result =
        client.Get(absl::StrCat("/children/child-1/calendar?month=", month), Browser());
    REQUIRE(result);
    CHECK(result->status == 400);
  }
}

TEST_CASE("month view covers the years events are stored for") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  // The first month has no link back and the last no link on, because the
  // months beyond them are rejected.
  httplib::Result first = client.Get("/children/child-1/calendar?month=1583-01", Browser());
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK_FALSE(absl::StrContains(first->body, "rel=\"prev\""));
  CHECK(absl::StrContains(first->body, "href=\"/children/child-1/calendar?month=1583-02\""));

  httplib::Result last = client.Get("/children/child-1/calendar?month=2199-12", Browser());
  REQUIRE(last);
  CHECK(last->status == 200);
  CHECK_FALSE(absl::StrContains(last->body, "rel=\"next\""));
  CHECK(absl::StrContains(last->body, "href=\"/children/child-1/calendar?month=2199-11\""));

  httplib::Result later = client.Get("/children/child-1/calendar?month=2150-06", Browser());
  REQUIRE(later);
  CHECK(later->status == 200);

  for (const char* month : {"1582-12", "2200-01", "1066-10"}) {
    INFO(month);
    httplib::Result outside =
        client.Get(absl::StrCat("/children/child-1/calendar?month=", month), Browser());
    REQUIRE(outside);
    CHECK(outside->status == 400);
    CHECK(absl::StrContains(outside->body, "from January 1583 to December 2199"));
  }
}

TEST_CASE("month view only for linked children") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result other = client.Get("/children/child-9/calendar", Browser());
  REQUIRE(other);
  CHECK(other->status == 404);

  httplib::Result signed_out = client.Get("/children/child-1/calendar");
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
  CHECK(signed_out->get_header_value("Location") == "/sign-in");
}

TEST_CASE("month view survives calendar outage") {
  Fakes fakes;
  fakes.calendar.outage = absl::UnavailableError("down");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/children/child-1/calendar?month=2026-10", Browser());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(absl::StrContains(result->body, "The school calendar cannot be shown right now"));
  CHECK(Count(result->body, "<time datetime=") == 35);
}

TEST_CASE("child page links to month view") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Result result = client.Get("/children/child-1", Browser());
  REQUIRE(result);
  CHECK(absl::StrContains(result->body, "href=\"/children/child-1/calendar\""));
}

TEST_CASE("event spans use exclusive ends") {
  struct Case {
    const char* name;
    calendar::Event event;
    const char* first;
    const char* last;
  };
  const Case cases[] = {
      {"one all-day", AllDay("a", "2026-10-17", "2026-10-18"), "2026-10-17", "2026-10-17"},
      {"two all-day", AllDay("a", "2026-10-17", "2026-10-19"), "2026-10-17", "2026-10-18"},
      {"all-day without end", AllDay("a", "2026-10-17", ""), "2026-10-17", "2026-10-17"},
      {"timed to midnight", Timed("a", "2026-10-29T18:00:00+00:00", "2026-10-30T00:00:00+00:00"),
       "2026-10-29", "2026-10-29"},
      {"timed past midnight", Timed("a", "2026-10-29T23:00:00+00:00", "2026-10-30T01:00:00+00:00"),
       "2026-10-29", "2026-10-30"},
      {"timed in summer time", Timed("a", "2026-06-30T23:30:00+00:00", "2026-07-01T00:30:00+00:00"),
       "2026-07-01", "2026-07-01"},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    absl::CivilDay first;
    absl::CivilDay last;
    REQUIRE(EventSpan(test.event, &first, &last));
    CHECK(absl::FormatCivilTime(first) == test.first);
    CHECK(absl::FormatCivilTime(last) == test.last);
  }
  absl::CivilDay first;
  absl::CivilDay last;
  CHECK_FALSE(EventSpan(Timed("a", "soon", ""), &first, &last));
}

TEST_CASE("dates show in London time") {
  // The host's own time zone must not matter.
  const char* saved = std::getenv("TZ");
  std::string saved_tz = saved == nullptr ? "" : saved;
  setenv("TZ", "America/Los_Angeles", 1);
  tzset();

  CHECK(EventWhen(AllDay("a", "2026-08-18", "2026-08-19")) == "Tuesday 18 August 2026");
  CHECK(EventWhen(AllDay("a", "2026-10-17", "2026-10-18")) == "Saturday 17 October 2026");
  CHECK(EventWhen(Timed("a", "2026-08-18T13:15:00+00:00", "2026-08-18T14:00:00+00:00")) ==
        "Tuesday 18 August 2026, 14:15 to 15:00");
  CHECK(EventWhen(Timed("a", "2026-12-18T13:15:00+00:00", "")) == "Friday 18 December 2026, 13:15");
  CHECK(EventWhen(Timed("a", "2026-10-29T23:00:00+00:00", "2026-10-30T01:00:00+00:00")) ==
        "Thursday 29 October 2026, 23:00 to Friday 30 October 2026, 01:00");
  CHECK(FormatMonth(absl::CivilMonth(2026, 8)) == "August 2026");

  if (saved == nullptr) {
    unsetenv("TZ");
  } else {
    setenv("TZ", saved_tz.c_str(), 1);
  }
  tzset();
}

// A Calendar service with one feed token and a feed of one school.
class TinyCalendar : public calendar::Calendar::CallbackService {
 public:
  grpc::ServerUnaryReactor* ResolveFeedToken(
      grpc::CallbackServerContext* context, const calendar::ResolveFeedTokenRequest* request,
      calendar::ResolveFeedTokenResponse* response) override {
    grpc::Status status;
    if (request->token() == kToken) {
      response->set_account_id("account-1");
    } else {
      status = grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown or revoked feed token");
    }
    return Finish(context, status);
  }

  grpc::ServerUnaryReactor* GetFeedToken(grpc::CallbackServerContext* context,
                                         const calendar::FeedTokenRequest* request,
                                         calendar::FeedToken* response) override {
    if (request->account_id() == "account-1") response->set_token(kToken);
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* ReplaceFeedToken(grpc::CallbackServerContext* context,
                                             const calendar::FeedTokenRequest* request,
                                             calendar::FeedToken* response) override {
    response->set_token("new-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RevokeFeedToken(grpc::CallbackServerContext* context,
                                            const calendar::FeedTokenRequest* request,
                                            calendar::FeedToken* response) override {
    return Finish(context, grpc::Status::OK);
  }

  grpc::ServerUnaryReactor* RenderFeed(grpc::CallbackServerContext* context,
                                       const calendar::RenderFeedRequest* request,
                                       calendar::Feed* response) override {
    rendered_schools = request->schools_size();
    response->set_ics(kIcs);
    response->set_etag("feedfeedfeedfeedfeedfeedfeedfeed");
    response->set_last_modified("2026-10-30T09:00:00+00:00");
    return Finish(context, grpc::Status::OK);
  }

  // The schools of the last RenderFeed, read after the HTTP call returned.
  int rendered_schools = -1;

 private:
  grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                   const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }
};

struct CalendarServer {
  TinyCalendar service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  CalendarServer() {
    absl::StatusOr<std::unique_ptr<grpc::Server>> started =
        StartGrpcServer(ServerOptions{"127.0.0.1:0", {&service}, nullptr}, &port);
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  ~CalendarServer() { server->Shutdown(); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
};

TEST_CASE("grpc calendar client handles feed tokens") {
  CalendarServer calendar_server;
  GrpcCalendarClient client(MakeChannel(calendar_server.address()));

  calendar::FeedTokenRequest account;
  account.set_account_id("account-1");
  absl::StatusOr<calendar::FeedToken> token = client.GetFeedToken(account);
  REQUIRE(token.ok());
  CHECK(token->token() == kToken);
  absl::StatusOr<calendar::FeedToken> replaced = client.ReplaceFeedToken(account);
  REQUIRE(replaced.ok());
  CHECK(replaced->token() == "new-token-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
  CHECK(client.RevokeFeedToken(account).ok());

  calendar::ResolveFeedTokenRequest resolve;
  resolve.set_token("unknown");
  absl::StatusOr<calendar::ResolveFeedTokenResponse> unknown = client.ResolveFeedToken(resolve);
  CHECK(unknown.status().code() == absl::StatusCode::kNotFound);
  CHECK(unknown.status().message() == "unknown or revoked feed token");

  GrpcCalendarClient unreachable(MakeChannel("127.0.0.1:1"));
  CHECK(unreachable.RenderFeed(calendar::RenderFeedRequest()).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("gateway serves a feed over grpc") {
  CalendarServer calendar_server;
  GrpcCalendarClient calendar_client(MakeChannel(calendar_server.address()));
  Fakes fakes;
  TestServer server({&fakes.identity, &fakes.links, &calendar_client, &fakes.handoff});
  httplib::Client client = server.Client();

  httplib::Result result = client.Get(FeedPath());
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body == kIcs);
  CHECK(result->get_header_value("ETag") == "\"feedfeedfeedfeedfeedfeedfeedfeed\"");
  CHECK(calendar_server.service.rendered_schools == 2);

  httplib::Result cached =
      client.Get(FeedPath(), {{"If-None-Match", "\"feedfeedfeedfeedfeedfeedfeedfeed\""}});
  REQUIRE(cached);
  CHECK(cached->status == 304);

  httplib::Result unknown = client.Get(FeedPath("feed-token-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"));
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
}

}  // namespace
}  // namespace pp::gateway
