#include "feed_service.h"

#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "calendar_service.h"
#include "ics_writer.h"
#include "testing/temp_dir.h"

namespace pp::calendar {
namespace {

const char kTayside[] = "5300011";
const char kSheffield[] = "5300012";

std::string TestData(const std::string& name) {
  return ReadFile(std::string(PP_CALENDAR_TESTDATA) + "/" + name);
}

// Returns the VEVENTs of `ics`, each as its unfolded content lines.
std::vector<std::vector<std::string>> EventsOf(const std::string& ics) {
  std::string unfolded = ics;
  for (size_t at = unfolded.find("\r\n "); at != std::string::npos;
       at = unfolded.find("\r\n ", at)) {
    unfolded.erase(at, 3);
  }
  std::vector<std::vector<std::string>> events;
  bool inside = false;
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(unfolded, "\r\n"))) {
    if (line == "BEGIN:VEVENT") {
      inside = true;
      events.emplace_back();
    } else if (line == "END:VEVENT") {
      inside = false;
    } else if (inside) {
      events.back().push_back(line);
    }
  }
  return events;
}

// Checks that every VEVENT of `ics` has one UID that no other VEVENT has,
// and no RRULE, RDATE or RECURRENCE-ID.
void CheckStandaloneEvents(const std::string& ics) {
  std::map<std::string, int> uids;
  for (const std::vector<std::string>& event : EventsOf(ics)) {
    int uid_lines = 0;
    for (const std::string& line : event) {
      std::string name = line.substr(0, line.find_first_of(";:"));
      INFO(line);
      CHECK(name != "RRULE");
      CHECK(name != "RDATE");
      CHECK(name != "RECURRENCE-ID");
      if (name == "UID") {
        ++uid_lines;
        ++uids[line.substr(4)];
      }
    }
    CHECK(uid_lines == 1);
  }
  for (const auto& [uid, count] : uids) {
    INFO(uid);
    CHECK(count == 1);
  }
}

// Returns the UID that a school feed gives `event`: its own for a single
// event, or for an occurrence of a repeating event its UID, "_" and its
// start (the date of an all-day one, else YYYYMMDDTHHMMSSZ in UTC).
std::string FeedUid(const api::Event& event, bool repeats) {
  if (!repeats) return event.uid();
  if (event.all_day()) {
    std::string date = event.start();
    date.erase(std::remove(date.begin(), date.end(), '-'), date.end());
    return absl::StrCat(event.uid(), "_", date);
  }
  absl::Time start;
  std::string error;
  REQUIRE(absl::ParseTime(absl::RFC3339_sec, event.start(), &start, &error));
  return absl::StrCat(event.uid(), "_",
                      absl::FormatTime("%Y%m%dT%H%M%SZ", start, absl::UTCTimeZone()));
}

// Returns the UIDs that `events` lists more than once.
std::set<std::string> RepeatedUids(const std::vector<api::Event>& events) {
  std::map<std::string, int> counts;
  for (const api::Event& event : events) ++counts[event.uid()];
  std::set<std::string> repeated;
  for (const auto& [uid, count] : counts) {
    if (count > 1) repeated.insert(uid);
  }
  return repeated;
}

// Checks that `copy`, the events of a school feed imported again, are the
// `original` events: the same occurrences (text, kind, start and end), with
// the UIDs that the feed gave them.
void CheckSameOccurrences(const std::vector<api::Event>& original,
                          const std::vector<api::Event>& copy) {
  std::set<std::string> repeating = RepeatedUids(original);
  std::map<std::string, const api::Event*> by_feed_uid;
  for (const api::Event& event : original) {
    by_feed_uid[FeedUid(event, repeating.count(event.uid()) > 0)] = &event;
  }
  REQUIRE(by_feed_uid.size() == original.size());
  REQUIRE(copy.size() == original.size());
  // Each occurrence of a repeating event comes back as a single event.
  CHECK(RepeatedUids(copy).empty());
  for (const api::Event& event : copy) {
    INFO(event.uid() << " " << event.start());
    auto found = by_feed_uid.find(event.uid());
    REQUIRE(found != by_feed_uid.end());
    const api::Event& before = *found->second;
    CHECK(event.summary() == before.summary());
    CHECK(event.description() == before.description());
    CHECK(event.location() == before.location());
    CHECK(event.all_day() == before.all_day());
    CHECK(event.start() == before.start());
    CHECK(event.end() == before.end());
    CHECK(event.category() == before.category());
  }
}

class FeedFixture {
 public:
  FeedFixture() : clock_(absl::FromUnixSeconds(1780272000)) {
    auto store = CalendarStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    service_ = std::make_unique<CalendarService>(*store_, clock_);
    feeds_ = std::make_unique<FeedService>(*store_, clock_, ScottishBankHolidays());
  }

  api::ImportCalendarSummary Import(const std::string& seed_code, const std::string& ics,
                                    api::Category fallback = api::CATEGORY_UNSPECIFIED) {
    api::ImportCalendarRequest request;
    request.set_seed_code(seed_code);
    request.set_ics(ics);
    request.set_default_category(fallback);
    absl::StatusOr<api::ImportCalendarSummary> summary = service_->ImportCalendar(request);
    REQUIRE(summary.ok());
    return *summary;
  }

  absl::StatusOr<api::Feed> ParentFeed() {
    api::RenderFeedRequest request;
    request.set_parent_feed(true);
    request.set_name("Our school calendars");
    api::FeedSchool* tayside = request.add_schools();
    tayside->set_seed_code(kTayside);
    tayside->set_name("Tayside Primary");
    api::FeedSchool* sheffield = request.add_schools();
    sheffield->set_seed_code(kSheffield);
    sheffield->set_name("Sheffield High");
    return feeds_->RenderFeed(request);
  }

  absl::StatusOr<api::Feed> SchoolFeed(const std::string& seed_code) {
    api::RenderFeedRequest request;
    request.add_schools()->set_seed_code(seed_code);
    return feeds_->RenderFeed(request);
  }

  std::vector<api::Event> List(const std::string& seed_code) {
    api::ListEventsRequest request;
    request.set_seed_code(seed_code);
    request.set_from("2026-06-01");
    request.set_to("2027-07-01");
    request.set_max_events(1000);
    absl::StatusOr<api::ListEventsResponse> response = service_->ListEvents(request);
    REQUIRE(response.ok());
    return {response->events().begin(), response->events().end()};
  }

  // Lists the school's events from 1 January of `first_year` to 1 January
  // of `end_year`, one year a request. An event that spans a new year is
  // listed once, in the year it starts.
  std::vector<api::Event> ListYears(const std::string& seed_code, int first_year, int end_year) {
    std::vector<api::Event> events;
    for (int year = first_year; year < end_year; ++year) {
      api::ListEventsRequest request;
      request.set_seed_code(seed_code);
      request.set_from(absl::StrCat(year, "-01-01"));
      request.set_to(absl::StrCat(year + 1, "-01-01"));
      request.set_max_events(1000);
      absl::StatusOr<api::ListEventsResponse> response = service_->ListEvents(request);
      REQUIRE(response.ok());
      REQUIRE(response->events_size() < 1000);
      for (const api::Event& event : response->events()) {
        // Dates and RFC 3339 times both sort as text.
        if (year > first_year && event.start() < request.from()) continue;
        events.push_back(event);
      }
    }
    return events;
  }

  // Runs the python3-icalendar checker on `ics` and returns its exit code.
  int CheckWithPython(const std::string& ics) {
    dir_.WriteFile("feed.ics", ics);
    std::string command = absl::StrCat("/usr/bin/python3 ", PP_CALENDAR_SOURCE_DIR,
                                       "/check_ics.py ", dir_.Path("feed.ics"));
    return std::system(command.c_str());
  }

  FakeClock& clock() { return clock_; }
  CalendarService& service() { return *service_; }
  FeedService& feeds() { return *feeds_; }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<CalendarStore> store_;
  std::unique_ptr<CalendarService> service_;
  std::unique_ptr<FeedService> feeds_;
};

TEST_CASE("text escaping") {
  CHECK(EscapeText("a,b;c\\d") == "a\\,b\\;c\\\\d");
  CHECK(EscapeText("one\ntwo\r\nthree\rfour") == "one\\ntwo\\nthree\\nfour");
  CHECK(EscapeText("").empty());
  CHECK(EscapeText("plain text") == "plain text");
  CHECK(EscapeText(",") == "\\,");
  CHECK(EscapeText("ends with a return\r") == "ends with a return\\n");
  CHECK(EscapeText("\n\n") == "\\n\\n");
}

TEST_CASE("folding keeps characters whole") {
  // 40 two-octet characters after a 8-octet name: 88 octets in all.
  std::string line = "SUMMARY:";
  for (int i = 0; i < 40; ++i) line += "\xC3\xAB";
  std::string out;
  AppendFolded(line, out);

  std::vector<std::string> lines = absl::StrSplit(out, "\r\n");
  REQUIRE(lines.size() == 3);
  CHECK(lines[2].empty());
  // 75 would split a character after "SUMMARY:" (8 octets, then pairs).
  CHECK(lines[0].size() == 74);
  CHECK(lines[1][0] == ' ');
  CHECK(lines[0] + lines[1].substr(1) == line);
  CHECK((static_cast<unsigned char>(lines[1][1]) & 0xC0) != 0x80);
}

TEST_CASE("folding at 75 octets exactly") {
  std::string out;
  AppendFolded(std::string(75, 'a'), out);
  CHECK(out == std::string(75, 'a') + "\r\n");
  out.clear();
  AppendFolded(std::string(76 + 74, 'a'), out);
  CHECK(out == std::string(75, 'a') + "\r\n " + std::string(74, 'a') + "\r\n " + "a\r\n");
}

TEST_CASE("parent feed covers two schools") {
  FeedFixture fixture;
  fixture.Import(kTayside, TestData("tayside-primary-2026-27.ics"));
  fixture.Import(kSheffield, TestData("sheffield-school-holidays.ics"), api::CATEGORY_HOLIDAY);
  absl::StatusOr<api::Feed> feed = fixture.ParentFeed();
  REQUIRE(feed.ok());
  const std::string& ics = feed->ics();

  CHECK(ics.find("SUMMARY:Tayside Primary: October holiday\r\n") != std::string::npos);
  CHECK(ics.find("SUMMARY:Sheffield High: Sheffield: Christmas holiday\r\n") != std::string::npos);
  CHECK(ics.find("UID:5300011.october@tayside-primary.example.org\r\n") != std::string::npos);
  // The weekly football club's first occurrence, 15:15 in London.
  CHECK(ics.find("UID:5300011.football-club@tayside-primary.example.org_20260901T141500Z\r\n") !=
        std::string::npos);
  CheckStandaloneEvents(ics);
  CHECK(ics.find("SUMMARY:Bank holiday: St Andrew's Day\r\n") != std::string::npos);
  CHECK(ics.find("UID:scotland-bank-holiday-20261130\r\n") != std::string::npos);
  CHECK(ics.find("BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n") != std::string::npos);
  CHECK(ics.find("DTSTART;TZID=Europe/London:20261029T153000\r\n") != std::string::npos);
  CHECK(ics.find("DTSTART;VALUE=DATE:20261012\r\nDTEND;VALUE=DATE:20261017\r\n") !=
        std::string::npos);
  // Escaped text, and the kind a label-less Sheffield holiday was given.
  CHECK(ics.find("LOCATION:School hall\\, Tayside Primary School\r\n") != std::string::npos);
  CHECK(ics.find("CATEGORIES:Holiday\r\n") != std::string::npos);
  // No bare LF: every LF follows a CR.
  for (size_t i = 0; i < ics.size(); ++i) {
    if (ics[i] == '\n') REQUIRE((i > 0 && ics[i - 1] == '\r'));
  }
  CHECK(feed->last_modified() == "2026-06-01T00:00:00+00:00");
  CHECK(feed->etag().size() == 32);

  CHECK(fixture.CheckWithPython(ics) == 0);
}

TEST_CASE("feed bytes ignore the host time zone") {
  FeedFixture fixture;
  fixture.Import(kTayside, TestData("tayside-primary-2026-27.ics"));
  absl::StatusOr<api::Feed> first = fixture.ParentFeed();
  REQUIRE(first.ok());

  const char* old_zone = std::getenv("TZ");
  std::string saved = old_zone == nullptr ? "" : old_zone;
  for (const char* zone : {"UTC", "America/New_York", "Pacific/Auckland"}) {
    INFO("TZ=" << zone);
    setenv("TZ", zone, 1);
    tzset();
    absl::StatusOr<api::Feed> second = fixture.ParentFeed();
    if (old_zone == nullptr) {
      unsetenv("TZ");
    } else {
      setenv("TZ", saved.c_str(), 1);
    }
    tzset();

    REQUIRE(second.ok());
    CHECK(first->ics() == second->ics());
    CHECK(first->etag() == second->etag());
    CHECK(first->last_modified() == second->last_modified());
  }
}

TEST_CASE("unchanged import keeps the feed validators") {
  FeedFixture fixture;
  std::string ics = TestData("tayside-primary-2026-27.ics");
  api::ImportCalendarSummary first = fixture.Import(kTayside, ics);
  CHECK(first.uids_added() == 19);
  absl::StatusOr<api::Feed> before = fixture.SchoolFeed(kTayside);
  REQUIRE(before.ok());

  fixture.clock().Advance(absl::Hours(1));
  api::ImportCalendarSummary again = fixture.Import(kTayside, ics);
  CHECK(again.uids_unchanged() == 19);
  CHECK(again.uids_added() == 0);
  CHECK(again.uids_changed() == 0);
  CHECK(again.uids_removed() == 0);
  absl::StatusOr<api::Feed> after = fixture.SchoolFeed(kTayside);
  REQUIRE(after.ok());
  CHECK(after->etag() == before->etag());
  CHECK(after->last_modified() == before->last_modified());

  // One event renamed and one dropped: the rest stay, the validators move.
  std::string changed = ics;
  changed.replace(changed.find("SUMMARY:October holiday"), 23, "SUMMARY:October break");
  size_t photo = changed.find("BEGIN:VEVENT\r\nUID:photo-day");
  REQUIRE(photo != std::string::npos);
  changed.erase(photo, changed.find("END:VEVENT\r\n", photo) + 12 - photo);
  fixture.clock().Advance(absl::Hours(1));
  api::ImportCalendarSummary third = fixture.Import(kTayside, changed);
  CHECK(third.uids_changed() == 1);
  CHECK(third.uids_removed() == 1);
  CHECK(third.uids_unchanged() == 17);
  absl::StatusOr<api::Feed> later = fixture.SchoolFeed(kTayside);
  REQUIRE(later.ok());
  CHECK(later->etag() != before->etag());
  CHECK(later->last_modified() == "2026-06-01T02:00:00+00:00");
  CHECK(later->ics().find("photo-day") == std::string::npos);
}

TEST_CASE("school feed round trip") {
  FeedFixture fixture;
  fixture.Import(kTayside, TestData("tayside-primary-2026-27.ics"));
  absl::StatusOr<api::Feed> feed = fixture.SchoolFeed(kTayside);
  REQUIRE(feed.ok());
  CHECK(fixture.CheckWithPython(feed->ics()) == 0);

  CheckStandaloneEvents(feed->ics());

  // The published feed, imported as another school, lists the same
  // occurrences. The weekly club's come back as single events.
  api::ImportCalendarSummary summary = fixture.Import(kSheffield, feed->ics());
  CHECK(summary.warnings_size() == 0);
  std::vector<api::Event> original = fixture.ListYears(kTayside, 2024, 2030);
  std::vector<api::Event> copy = fixture.ListYears(kSheffield, 2024, 2030);
  CHECK(RepeatedUids(original) ==
        std::set<std::string>{"football-club@tayside-primary.example.org"});
  CheckSameOccurrences(original, copy);

  // The copy's own feed keeps the UIDs it was imported with.
  absl::StatusOr<api::Feed> copy_feed = fixture.SchoolFeed(kSheffield);
  REQUIRE(copy_feed.ok());
  std::vector<std::vector<std::string>> events = EventsOf(feed->ics());
  std::vector<std::vector<std::string>> copy_events = EventsOf(copy_feed->ics());
  REQUIRE(copy_events.size() == events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    REQUIRE(events[i].size() > 0);
    REQUIRE(copy_events[i].size() > 0);
    CHECK(copy_events[i][0] == events[i][0]);
  }
}

TEST_CASE("round trip of every shared calendar") {
  // Every file in testdata, so that a calendar added there is covered.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(PP_CALENDAR_TESTDATA)) {
    if (entry.path().extension() == ".ics") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"sheffield-school-holidays.ics",
                                          "sheffield-term-dates.ics",
                                          "tayside-primary-2026-27.ics"});

  for (const std::string& name : names) {
    INFO(name);
    FeedFixture fixture;
    api::ImportCalendarSummary imported = fixture.Import(kTayside, TestData(name));
    CHECK(imported.events_imported() > 0);
    absl::StatusOr<api::Feed> feed = fixture.SchoolFeed(kTayside);
    REQUIRE(feed.ok());
    CHECK(fixture.CheckWithPython(feed->ics()) == 0);
    CheckStandaloneEvents(feed->ics());

    api::ImportCalendarSummary again = fixture.Import(kSheffield, feed->ics());
    // The feed brings no warning of its own: a calendar without CATEGORIES
    // gets the same one both times.
    CHECK(std::vector<std::string>(again.warnings().begin(), again.warnings().end()) ==
          std::vector<std::string>(imported.warnings().begin(), imported.warnings().end()));
    CHECK(again.events_skipped() == 0);
    std::vector<api::Event> original = fixture.ListYears(kTayside, 2024, 2030);
    std::vector<api::Event> copy = fixture.ListYears(kSheffield, 2024, 2030);
    CHECK(original.size() >= static_cast<size_t>(imported.events_imported()));
    CheckSameOccurrences(original, copy);
  }
}

// Returns a calendar of `count` all-day events on `date` (YYYYMMDD), with
// UIDs from `prefix`0 on, and no X-WR-CALNAME.
std::string SameDayEvents(int count, const std::string& date, const std::string& prefix) {
  std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n";
  for (int i = 0; i < count; ++i) {
    absl::StrAppend(&ics, "BEGIN:VEVENT\r\nUID:", prefix, i, "\r\nDTSTART;VALUE=DATE:", date,
                    "\r\nSUMMARY:Club\r\nEND:VEVENT\r\n");
  }
  return ics + "END:VCALENDAR\r\n";
}

size_t CountEvents(const std::string& ics) {
  size_t count = 0;
  for (size_t at = ics.find("BEGIN:VEVENT"); at != std::string::npos;
       at = ics.find("BEGIN:VEVENT", at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("import beyond the feed limit is rejected") {
  FeedFixture fixture;
  // The clock is at 2026-06-01, so the feed starts on 2025-06-01. Events
  // that ended before it do not count towards the limit.
  std::string at_limit = SameDayEvents(kMaxFeedOccurrences, "20261012", "club-");
  std::string old = SameDayEvents(3, "20250530", "old-");
  at_limit.insert(
      at_limit.find("BEGIN:VEVENT"),
      old.substr(old.find("BEGIN:VEVENT"), old.find("END:VCALENDAR") - old.find("BEGIN:VEVENT")));
  fixture.Import(kTayside, at_limit);
  absl::StatusOr<api::Feed> feed = fixture.SchoolFeed(kTayside);
  REQUIRE(feed.ok());
  CHECK(CountEvents(feed->ics()) == static_cast<size_t>(kMaxFeedOccurrences));

  // One more would be left out of the feed, so the import is rejected and
  // the stored calendar stays.
  api::ImportCalendarRequest request;
  request.set_seed_code(kTayside);
  request.set_ics(SameDayEvents(kMaxFeedOccurrences + 1, "20261012", "club-"));
  absl::StatusOr<api::ImportCalendarSummary> over = fixture.service().ImportCalendar(request);
  CHECK(over.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(over.status().message() ==
        "the calendar has 5001 occurrences from 2025-06-01 onwards, more than the 5000 that a "
        "school's calendar feed contains, so the feed would leave out 1; nothing was changed. "
        "Shorten the repeating events' rules or import fewer events");
  CHECK(fixture.List(kTayside).size() == 1000);
  feed = fixture.SchoolFeed(kTayside);
  REQUIRE(feed.ok());
  CHECK(CountEvents(feed->ics()) == static_cast<size_t>(kMaxFeedOccurrences));
}

TEST_CASE("feed names a calendar imported without a name") {
  FeedFixture fixture;
  fixture.Import(kTayside, SameDayEvents(1, "20261012", "club-"));

  absl::StatusOr<api::Feed> school_feed = fixture.SchoolFeed(kTayside);
  REQUIRE(school_feed.ok());
  CHECK(school_feed->ics().find("\r\nX-WR-CALNAME:School calendar 5300011\r\n") !=
        std::string::npos);

  api::RenderFeedRequest named;
  api::FeedSchool* school = named.add_schools();
  school->set_seed_code(kTayside);
  school->set_name("Tayside Primary");
  absl::StatusOr<api::Feed> named_feed = fixture.feeds().RenderFeed(named);
  REQUIRE(named_feed.ok());
  CHECK(named_feed->ics().find("\r\nX-WR-CALNAME:Tayside Primary\r\n") != std::string::npos);

  // A name in the imported file comes before the SEED code.
  fixture.Import(kSheffield, TestData("tayside-primary-2026-27.ics"));
  absl::StatusOr<api::Feed> imported_name = fixture.SchoolFeed(kSheffield);
  REQUIRE(imported_name.ok());
  CHECK(imported_name->ics().find("\r\nX-WR-CALNAME:Tayside Primary School 2026-27\r\n") !=
        std::string::npos);
}

size_t CountOf(const std::string& text, const std::string& piece) {
  size_t count = 0;
  for (size_t at = text.find(piece); at != std::string::npos; at = text.find(piece, at + 1)) {
    ++count;
  }
  return count;
}

TEST_CASE("renamed calendar renames the feed") {
  FeedFixture fixture;
  std::string ics = TestData("tayside-primary-2026-27.ics");
  fixture.Import(kTayside, ics);
  absl::StatusOr<api::Feed> before = fixture.SchoolFeed(kTayside);
  REQUIRE(before.ok());
  CHECK(before->ics().find("X-WR-CALNAME:Tayside Primary School 2026-27\r\n") != std::string::npos);

  // Only the name differs: no event is added, changed or removed.
  std::string renamed = ics;
  renamed.replace(renamed.find("X-WR-CALNAME:Tayside Primary School 2026-27"), 43,
                  "X-WR-CALNAME:Tayside Primary calendar");
  fixture.clock().Advance(absl::Hours(1));
  api::ImportCalendarSummary summary = fixture.Import(kTayside, renamed);
  CHECK(summary.uids_unchanged() == 19);
  absl::StatusOr<api::Feed> after = fixture.SchoolFeed(kTayside);
  REQUIRE(after.ok());
  CHECK(after->ics().find("X-WR-CALNAME:Tayside Primary calendar\r\n") != std::string::npos);
  CHECK(after->etag() != before->etag());
  CHECK(after->last_modified() == "2026-06-01T01:00:00+00:00");
}

TEST_CASE("older stores learn which events repeat") {
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1780272000));
  {
    absl::StatusOr<std::unique_ptr<CalendarStore>> store = CalendarStore::Open(dir.Path("data"));
    REQUIRE(store.ok());
    CalendarService service(**store, clock);
    api::ImportCalendarRequest request;
    request.set_seed_code(kTayside);
    request.set_ics(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:club@test\r\nDTSTART:20261006T141500Z\r\n"
        "DTEND:20261006T151500Z\r\nRRULE:FREQ=WEEKLY;COUNT=2\r\nSUMMARY:Football club\r\n"
        "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:fair@test\r\nDTSTART;VALUE=DATE:20261010\r\n"
        "SUMMARY:Fair\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    REQUIRE(service.ImportCalendar(request).ok());
  }

  // The schema as it was before events carried the flag.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.Path("data/calendar.db").c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "ALTER TABLE events DROP COLUMN repeating; PRAGMA user_version = 3;",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  absl::StatusOr<std::unique_ptr<CalendarStore>> store = CalendarStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  FeedService feeds(**store, clock, ScottishBankHolidays());
  api::RenderFeedRequest request;
  request.add_schools()->set_seed_code(kTayside);
  absl::StatusOr<api::Feed> feed = feeds.RenderFeed(request);
  REQUIRE(feed.ok());
  CHECK(feed->ics().find("UID:club@test_20261006T141500Z\r\n") != std::string::npos);
  CHECK(feed->ics().find("UID:club@test_20261013T141500Z\r\n") != std::string::npos);
  CHECK(feed->ics().find("UID:fair@test\r\n") != std::string::npos);
}

TEST_CASE("feed writes each occurrence as an event") {
  FeedFixture fixture;
  // A weekly club on three Tuesdays, the second one in another room.
  fixture.Import(kTayside,
                 "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
                 "BEGIN:VEVENT\r\nUID:club@test\r\nDTSTART:20261006T141500Z\r\n"
                 "DTEND:20261006T151500Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n"
                 "SUMMARY:Football club\r\nLOCATION:Pitch\r\nEND:VEVENT\r\n"
                 "BEGIN:VEVENT\r\nUID:club@test\r\nRECURRENCE-ID:20261013T141500Z\r\n"
                 "DTSTART:20261013T141500Z\r\nDTEND:20261013T151500Z\r\n"
                 "SUMMARY:Football club\r\nLOCATION:Gym hall\r\nEND:VEVENT\r\n"
                 "END:VCALENDAR\r\n");
  absl::StatusOr<api::Feed> feed = fixture.SchoolFeed(kTayside);
  REQUIRE(feed.ok());
  const std::string& ics = feed->ics();

  // Three events, each with the event's UID and its start in UTC.
  CHECK(CountOf(ics, "BEGIN:VEVENT\r\n") == 3);
  CHECK(ics.find("UID:club@test_20261006T141500Z\r\nDTSTAMP:20260601T000000Z\r\n"
                 "DTSTART;TZID=Europe/London:20261006T151500\r\n"
                 "DTEND;TZID=Europe/London:20261006T161500\r\n") != std::string::npos);
  CHECK(ics.find("UID:club@test_20261013T141500Z\r\nDTSTAMP:20260601T000000Z\r\n"
                 "DTSTART;TZID=Europe/London:20261013T151500\r\n") != std::string::npos);
  CHECK(ics.find("UID:club@test_20261020T141500Z\r\n") != std::string::npos);
  CHECK(CountOf(ics, "LOCATION:Gym hall\r\n") == 1);
  CheckStandaloneEvents(ics);
  CHECK(fixture.CheckWithPython(ics) == 0);

  // Imported again, the feed gives the same three occurrences as single
  // events with the feed's UIDs.
  fixture.Import(kSheffield, ics);
  std::vector<api::Event> original = fixture.List(kTayside);
  std::vector<api::Event> copy = fixture.List(kSheffield);
  REQUIRE(original.size() == 3);
  REQUIRE(copy.size() == original.size());
  const char* uids[] = {"club@test_20261006T141500Z", "club@test_20261013T141500Z",
                        "club@test_20261020T141500Z"};
  for (size_t i = 0; i < original.size(); ++i) {
    INFO(original[i].start());
    CHECK(original[i].uid() == "club@test");
    CHECK(copy[i].uid() == uids[i]);
    CHECK(copy[i].summary() == original[i].summary());
    CHECK(copy[i].location() == original[i].location());
    CHECK(copy[i].start() == original[i].start());
    CHECK(copy[i].end() == original[i].end());
    CHECK(copy[i].category() == original[i].category());
  }
  CHECK(copy[1].location() == "Gym hall");
}

TEST_CASE("feed gives clashing occurrences distinct UIDs") {
  FeedFixture fixture;
  // A weekly all-day event whose second date moved onto the third, and a
  // single event whose UID is the one the first date would get.
  const std::string document =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
      "BEGIN:VEVENT\r\nUID:week@test\r\nDTSTART;VALUE=DATE:20261005\r\n"
      "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Book week\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:week@test\r\nRECURRENCE-ID;VALUE=DATE:20261012\r\n"
      "DTSTART;VALUE=DATE:20261019\r\nSUMMARY:Book week (moved)\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:week@test_20261005\r\nDTSTART;VALUE=DATE:20261005\r\n"
      "SUMMARY:Book fair\r\nEND:VEVENT\r\n"
      "END:VCALENDAR\r\n";
  fixture.Import(kTayside, document);
  REQUIRE(fixture.List(kTayside).size() == 4);
  absl::StatusOr<api::Feed> feed = fixture.SchoolFeed(kTayside);
  REQUIRE(feed.ok());
  const std::string& ics = feed->ics();

  CHECK(CountOf(ics, "BEGIN:VEVENT\r\n") == 4);
  CHECK(ics.find("UID:week@test_20261005\r\nDTSTAMP:20260601T000000Z\r\n"
                 "DTSTART;VALUE=DATE:20261005\r\nDTEND;VALUE=DATE:20261006\r\n"
                 "SUMMARY:Book fair\r\n") != std::string::npos);
  CHECK(ics.find("UID:week@test_20261005-2\r\nDTSTAMP:20260601T000000Z\r\n"
                 "DTSTART;VALUE=DATE:20261005\r\nDTEND;VALUE=DATE:20261006\r\n"
                 "SUMMARY:Book week\r\n") != std::string::npos);
  CHECK(ics.find("UID:week@test_20261019\r\n") != std::string::npos);
  CHECK(ics.find("UID:week@test_20261019-2\r\n") != std::string::npos);
  CheckStandaloneEvents(ics);
  CHECK(fixture.CheckWithPython(ics) == 0);

  // The same document stored again gives the same events, byte for byte.
  fixture.Import(kSheffield, document);
  absl::StatusOr<api::Feed> copy = fixture.SchoolFeed(kSheffield);
  REQUIRE(copy.ok());
  size_t first_event = ics.find("BEGIN:VEVENT");
  size_t copy_first_event = copy->ics().find("BEGIN:VEVENT");
  REQUIRE(first_event != std::string::npos);
  REQUIRE(copy_first_event != std::string::npos);
  CHECK(copy->ics().substr(copy_first_event) == ics.substr(first_event));
}

TEST_CASE("school feed of an unknown school") {
  FeedFixture fixture;
  CHECK(fixture.SchoolFeed(kTayside).status().code() == absl::StatusCode::kNotFound);
  CHECK(fixture.SchoolFeed("12").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("feed tokens are replaced and revoked") {
  FeedFixture fixture;
  api::FeedTokenRequest account;
  account.set_account_id("account-1");
  CHECK(fixture.feeds().GetFeedToken(account)->token().empty());

  absl::StatusOr<api::FeedToken> first = fixture.feeds().ReplaceFeedToken(account);
  REQUIRE(first.ok());
  CHECK(first->token().size() == 43);
  CHECK(fixture.feeds().GetFeedToken(account)->token() == first->token());
  api::ResolveFeedTokenRequest resolve;
  resolve.set_token(first->token());
  CHECK(fixture.feeds().ResolveFeedToken(resolve)->account_id() == "account-1");

  absl::StatusOr<api::FeedToken> second = fixture.feeds().ReplaceFeedToken(account);
  REQUIRE(second.ok());
  CHECK(second->token() != first->token());
  CHECK(fixture.feeds().ResolveFeedToken(resolve).status().code() == absl::StatusCode::kNotFound);

  REQUIRE(fixture.feeds().RevokeFeedToken(account).ok());
  resolve.set_token(second->token());
  CHECK(fixture.feeds().ResolveFeedToken(resolve).status().code() == absl::StatusCode::kNotFound);
  resolve.set_token("../../etc/passwd");
  CHECK(fixture.feeds().ResolveFeedToken(resolve).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("parent feed shows first import") {
  FeedFixture fixture;
  fixture.Import(kTayside, TestData("tayside-primary-2026-27.ics"));
  absl::StatusOr<api::Feed> before = fixture.ParentFeed();
  REQUIRE(before.ok());
  CHECK(before->ics().find("Sheffield High: ") == std::string::npos);

  fixture.Import(kSheffield, TestData("sheffield-school-holidays.ics"), api::CATEGORY_HOLIDAY);
  absl::StatusOr<api::Feed> after = fixture.ParentFeed();
  REQUIRE(after.ok());
  CHECK(after->ics().find("SUMMARY:Sheffield High: Sheffield: Christmas holiday\r\n") !=
        std::string::npos);
  CHECK(after->etag() != before->etag());
}

TEST_CASE("feed window moves with the day") {
  FeedFixture fixture;
  fixture.Import(kTayside, TestData("tayside-primary-2026-27.ics"));
  const char kFirstDay[] = "DTSTART;VALUE=DATE:20260818\r\n";
  absl::StatusOr<api::Feed> today = fixture.SchoolFeed(kTayside);
  REQUIRE(today.ok());
  CHECK(today->ics().find(kFirstDay) != std::string::npos);

  // The first day of term is 2026-08-18. A feed written 366 days later
  // starts after it.
  fixture.clock().Advance(absl::Hours(24 * (78 + 366)));
  absl::StatusOr<api::Feed> later = fixture.SchoolFeed(kTayside);
  REQUIRE(later.ok());
  CHECK(later->ics().find(kFirstDay) == std::string::npos);
}

TEST_CASE("feed cache bound and drops") {
  ReadCache cache(10, 10, 1000);
  auto feed = [](size_t bytes) {
    auto made = std::make_shared<api::Feed>();
    made->set_ics(std::string(bytes, 'x'));
    return SharedFeed(made);
  };
  cache.AddFeed("a", {kTayside}, feed(300), cache.ListTicket());
  cache.AddFeed("b", {kTayside, kSheffield}, feed(300), cache.ListTicket());
  cache.AddFeed("c", {kSheffield}, feed(300), cache.ListTicket());
  CHECK(cache.FindFeed("a") != nullptr);
  CHECK(cache.FindFeed("c") != nullptr);

  // A feed larger than the whole allowance is never kept.
  cache.AddFeed("huge", {kTayside}, feed(2000), cache.ListTicket());
  CHECK(cache.FindFeed("huge") == nullptr);
  CHECK(cache.FindFeed("a") != nullptr);

  // A read that overlapped an import keeps nothing.
  uint64_t ticket = cache.ListTicket();
  cache.DropSchool(kTayside);
  CHECK(cache.FindFeed("a") == nullptr);
  CHECK(cache.FindFeed("b") == nullptr);
  CHECK(cache.FindFeed("c") != nullptr);
  cache.AddFeed("a", {kTayside}, feed(300), ticket);
  CHECK(cache.FindFeed("a") == nullptr);

  // Past the allowance, what was kept goes and the new feed stays.
  cache.AddFeed("d", {kTayside}, feed(300), cache.ListTicket());
  cache.AddFeed("e", {kTayside}, feed(300), cache.ListTicket());
  CHECK(cache.FindFeed("c") != nullptr);
  cache.AddFeed("f", {kTayside}, feed(300), cache.ListTicket());
  CHECK(cache.FindFeed("c") == nullptr);
  CHECK(cache.FindFeed("e") == nullptr);
  CHECK(cache.FindFeed("f") != nullptr);
}

// Prints the time RenderFeed takes for a feed of 500 timed events. Run it
// with `calendar_test "[benchmark]"`; docs/performance.md records results.
TEST_CASE("feed of 500 events benchmark", "[.][benchmark]") {
  FeedFixture fixture;
  std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n";
  for (int i = 0; i < 500; ++i) {
    absl::Time start = absl::FromUnixSeconds(1780272000) + absl::Hours(24 * (i / 2) + 9 + i % 2);
    absl::StrAppend(&ics, "BEGIN:VEVENT\r\nUID:event-", i, "@bench\r\nDTSTART:",
                    absl::FormatTime("%Y%m%dT%H%M%SZ", start, absl::UTCTimeZone()),
                    "\r\nDURATION:PT1H\r\nSUMMARY:Class assembly for P", i % 7 + 1,
                    ", with a longer title so that some lines fold\r\nDESCRIPTION:Parents are "
                    "welcome\\, and the doors open ten minutes before the start.\r\n"
                    "LOCATION:Gym hall\r\nCATEGORIES:Event\r\nEND:VEVENT\r\n");
  }
  ics += "END:VCALENDAR\r\n";
  REQUIRE(fixture.Import(kTayside, ics).events_imported() == 500);

  constexpr int kRounds = 200;
  auto started = std::chrono::steady_clock::now();
  size_t bytes = 0;
  for (int i = 0; i < kRounds; ++i) {
    absl::StatusOr<api::Feed> feed = fixture.ParentFeed();
    REQUIRE(feed.ok());
    bytes = feed->ics().size();
  }
  auto elapsed = std::chrono::steady_clock::now() - started;
  double micros = std::chrono::duration<double, std::micro>(elapsed).count() / kRounds;
  WARN("500-event parent feed: " << bytes << " bytes, " << micros << " us per RenderFeed");
}

}  // namespace
}  // namespace pp::calendar
