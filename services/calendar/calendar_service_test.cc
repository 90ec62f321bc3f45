#include "calendar_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "import_checks.h"
#include "testing/temp_dir.h"

namespace pp::calendar {
namespace {

const char kTayside[] = "5300011";

class Fixture {
 public:
  Fixture() : clock_(absl::FromUnixSeconds(1780272000)) {
    auto store = CalendarStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    service_ = std::make_unique<CalendarService>(*store_, clock_);
  }

  CalendarService& service() { return *service_; }

  api::ImportCalendarSummary Import(const std::string& seed_code, const std::string& ics,
                                    int confirm_events_removed = 0) {
    absl::StatusOr<api::ImportCalendarSummary> summary =
        TryImport(seed_code, ics, confirm_events_removed);
    REQUIRE(summary.status().message() == "");
    return *summary;
  }

  absl::StatusOr<api::ImportCalendarSummary> TryImport(const std::string& seed_code,
                                                       const std::string& ics,
                                                       int confirm_events_removed = 0) {
    api::ImportCalendarRequest request;
    request.set_seed_code(seed_code);
    request.set_ics(ics);
    request.set_confirm_events_removed(confirm_events_removed);
    return service_->ImportCalendar(request);
  }

  absl::StatusOr<api::ListEventsResponse> List(const std::string& seed_code,
                                               const std::string& from, const std::string& to,
                                               int max_events = 0) {
    api::ListEventsRequest request;
    request.set_seed_code(seed_code);
    request.set_from(from);
    request.set_to(to);
    request.set_max_events(max_events);
    return service_->ListEvents(request);
  }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<CalendarStore> store_;
  std::unique_ptr<CalendarService> service_;
};

// The UIDs of the Tayside file, which it has one event each.
constexpr int kTaysideUids = 19;

// One event, whose UID is in no other file.
const char kOnlyEvent[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:only\r\n"
    "DTSTART;VALUE=DATE:20261012\r\nSUMMARY:Only event\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

std::string Tayside() {
  return ReadFile(std::string(PP_CALENDAR_TESTDATA) + "/tayside-primary-2026-27.ics");
}

TEST_CASE("import reports imported and skipped events") {
  Fixture fixture;
  api::ImportCalendarSummary summary = fixture.Import(kTayside, Tayside());
  CHECK(summary.events_imported() == 19);
  CHECK(summary.events_skipped() == 1);
  CHECK(summary.warnings_size() == 0);
}

TEST_CASE("import warns of holidays without categories") {
  Fixture fixture;
  const std::string holidays =
      ReadFile(std::string(PP_CALENDAR_TESTDATA) + "/sheffield-school-holidays.ics");
  api::ImportCalendarSummary summary = fixture.Import(kTayside, holidays);
  REQUIRE(summary.warnings_size() == 1);
  CHECK(summary.warnings(0) ==
        absl::StrCat("No event has a CATEGORIES label, so all ", summary.events_imported(),
                     " events were imported as ordinary events, and none marks a day the school "
                     "is closed. If the document lists holidays, import it again with the default "
                     "category holiday (schoolctl import-calendar --default-category holiday)"));

  // With the default category holiday, the import gives no warning.
  api::ImportCalendarRequest request;
  request.set_seed_code(kTayside);
  request.set_ics(holidays);
  request.set_default_category(api::CATEGORY_HOLIDAY);
  absl::StatusOr<api::ImportCalendarSummary> again = fixture.service().ImportCalendar(request);
  REQUIRE(again.ok());
  CHECK(again->warnings_size() == 0);
}

TEST_CASE("import warns of ordinary events named as closures") {
  std::string body;
  auto add = [&body](const std::string& uid, const std::string& summary,
                     const std::string& categories) {
    absl::StrAppend(&body, "BEGIN:VEVENT\r\nUID:", uid, "\r\nDTSTART;VALUE=DATE:20261012\r\n",
                    "SUMMARY:", summary, "\r\n",
                    categories.empty() ? "" : absl::StrCat("CATEGORIES:", categories, "\r\n"),
                    "END:VEVENT\r\n");
  };
  add("xmas", "Christmas holidays", "");
  add("staff", "INSET day", "Staff");
  add("half", "Half-term (October)", "Whole school");
  add("summer", "Summer holiday", "Holiday");
  add("fair", "Holidaymakers' fair", "Event");
  add("sunset", "Sunset walk", "Event");
  Fixture fixture;
  api::ImportCalendarSummary summary = fixture.Import(
      kTayside, absl::StrCat("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", body, "END:VCALENDAR\r\n"));
  REQUIRE(summary.events_imported() == 6);
  REQUIRE(summary.warnings_size() == 3);
  CHECK(summary.warnings(0) ==
        "VEVENT \"Christmas holidays\" (UID \"xmas\") is an ordinary event, so its days count "
        "as school days. If the school is closed then, give it CATEGORIES:Holiday, or import with "
        "--default-category holiday if every event without a label is a holiday");
  // An event with a label of its own can have the label mapped.
  CHECK(absl::EndsWith(summary.warnings(1),
                       "give it CATEGORIES:Holiday or map its label with --category-map"));
  CHECK(absl::StartsWith(summary.warnings(1), "VEVENT \"INSET day\" (UID \"staff\")"));
  CHECK(absl::StartsWith(summary.warnings(2), "VEVENT \"Half-term (October)\" (UID \"half\")"));

  // Past kClosureWarnings events, one line counts the rest.
  body.clear();
  for (int i = 0; i < kClosureWarnings + 2; ++i) {
    add(absl::StrCat("day-", i), "Holiday", "Notice");
  }
  summary = fixture.Import(
      kTayside, absl::StrCat("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", body, "END:VCALENDAR\r\n"), 6);
  REQUIRE(summary.warnings_size() == kClosureWarnings + 1);
  CHECK(summary.warnings(kClosureWarnings) ==
        "2 more ordinary events are named like holidays or in-service days");
}

TEST_CASE("import warns of unused category labels") {
  Fixture fixture;
  api::ImportCalendarRequest request;
  request.set_seed_code(kTayside);
  request.set_ics(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:staff\r\n"
      "DTSTART;VALUE=DATE:20261012\r\nSUMMARY:Staff training\r\nCATEGORIES:Staff Day\r\n"
      "END:VEVENT\r\nEND:VCALENDAR\r\n");
  (*request.mutable_category_map())["staff-day"] = api::CATEGORY_IN_SERVICE_DAY;
  (*request.mutable_category_map())["Parent Evening"] = api::CATEGORY_PARENTS_NIGHT;
  (*request.mutable_category_map())["Trip"] = api::CATEGORY_EVENT;
  absl::StatusOr<api::ImportCalendarSummary> summary = fixture.service().ImportCalendar(request);
  REQUIRE(summary.ok());
  // "staff-day" matches "Staff Day", since labels match without regard to
  // case or hyphens.
  REQUIRE(summary->warnings_size() == 2);
  CHECK(summary->warnings(0) ==
        "The category map's label \"Parent Evening\" matches no event's CATEGORIES, so it "
        "changed nothing");
  CHECK(summary->warnings(1) ==
        "The category map's label \"Trip\" matches no event's CATEGORIES, so it changed nothing");
}

TEST_CASE("list returns October events in order") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());

  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List(kTayside, "2026-10-05", "2026-10-19");
  REQUIRE(listed.ok());
  std::vector<std::pair<std::string, std::string>> seen;
  for (const api::Event& event : listed->events()) seen.emplace_back(event.uid(), event.start());
  std::vector<std::pair<std::string, std::string>> expected = {
      {"football-club@tayside-primary.example.org", "2026-10-06T14:15:00+00:00"},
      {"photo-day@tayside-primary.example.org", "2026-10-07T08:30:00+00:00"},
      {"october@tayside-primary.example.org", "2026-10-12"},
  };
  CHECK(seen == expected);

  const api::Event& holiday = listed->events(2);
  CHECK(holiday.all_day());
  CHECK(holiday.end() == "2026-10-17");
  CHECK(holiday.summary() == "October holiday");
  REQUIRE(holiday.categories_size() == 1);
  CHECK(holiday.categories(0) == "Holiday");
}

TEST_CASE("list includes an event that began before the range") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List(kTayside, "2027-01-01", "2027-01-02");
  REQUIRE(listed.ok());
  REQUIRE(listed->events_size() == 1);
  CHECK(listed->events(0).uid() == "christmas@tayside-primary.example.org");
}

TEST_CASE("list leaves out an all-day event on its end date") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List(kTayside, "2026-10-17", "2026-10-18");
  REQUIRE(listed.ok());
  CHECK(listed->events_size() == 0);
}

TEST_CASE("list stops at max_events") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  absl::StatusOr<api::ListEventsResponse> two =
      fixture.List(kTayside, "2026-08-01", "2027-08-01", 2);
  REQUIRE(two.ok());
  REQUIRE(two->events_size() == 2);
  CHECK(two->events(0).uid() == "inservice-1@tayside-primary.example.org");
  CHECK(two->events(1).uid() == "inservice-2@tayside-primary.example.org");

  absl::StatusOr<api::ListEventsResponse> all = fixture.List(kTayside, "2026-08-01", "2027-08-01");
  REQUIRE(all.ok());
  // 18 single events and the club's 36 occurrences.
  CHECK(all->events_size() == 54);
}

TEST_CASE("list caps max_events at 1000") {
  Fixture fixture;
  std::string ics =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:register\r\n"
      "DTSTART:20260601T080000Z\r\nRRULE:FREQ=MINUTELY;INTERVAL=15\r\nEND:VEVENT\r\n"
      "BEGIN:VEVENT\r\nUID:lunch\r\nDTSTART:20260601T081000Z\r\n"
      "RRULE:FREQ=MINUTELY;INTERVAL=15\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  fixture.Import(kTayside, ics);
  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List(kTayside, "2026-06-01", "2026-07-01", 5000);
  REQUIRE(listed.ok());
  CHECK(listed->events_size() == kMaxEventsLimit);
  absl::StatusOr<api::ListEventsResponse> default_size =
      fixture.List(kTayside, "2026-06-01", "2026-07-01");
  REQUIRE(default_size.ok());
  CHECK(default_size->events_size() == kDefaultMaxEvents);
}

TEST_CASE("list for a school without a calendar is empty") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List("5300012", "2026-08-01", "2027-08-01");
  REQUIRE(listed.ok());
  CHECK(listed->events_size() == 0);
}

TEST_CASE("import replaces the school's previous calendar") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  fixture.Import("5300012", Tayside());
  fixture.Import(kTayside, kOnlyEvent, kTaysideUids);

  absl::StatusOr<api::ListEventsResponse> replaced =
      fixture.List(kTayside, "2026-08-01", "2027-08-01");
  REQUIRE(replaced.ok());
  REQUIRE(replaced->events_size() == 1);
  CHECK(replaced->events(0).uid() == "only");

  absl::StatusOr<api::ListEventsResponse> other =
      fixture.List("5300012", "2026-08-01", "2027-08-01");
  REQUIRE(other.ok());
  CHECK(other->events_size() == 54);
}

TEST_CASE("rejected import keeps the previous calendar") {
  Fixture fixture;
  fixture.Import(kTayside, Tayside());
  api::ImportCalendarRequest request;
  request.set_seed_code(kTayside);
  request.set_ics("not a calendar");
  CHECK(fixture.service().ImportCalendar(request).status().code() ==
        absl::StatusCode::kInvalidArgument);

  absl::StatusOr<api::ListEventsResponse> listed =
      fixture.List(kTayside, "2026-08-01", "2027-08-01");
  REQUIRE(listed.ok());
  CHECK(listed->events_size() == 54);
}

TEST_CASE("import of a file without events keeps the calendar") {
  struct Case {
    const char* name;
    const char* ics;
    const char* why;
  };
  const Case cases[] = {
      {"only a VTODO",
       "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:todo\r\nSUMMARY:Book hall\r\n"
       "END:VTODO\r\nEND:VCALENDAR\r\n",
       "the document contains no VEVENT"},
      {"only cancelled events",
       "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:gone\r\nSTATUS:CANCELLED\r\n"
       "DTSTART;VALUE=DATE:20261012\r\nSUMMARY:Trip\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
       "every VEVENT in the document was skipped (1 cancelled or faulty)"},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    Fixture fixture;

    // With nothing stored, the file is rejected as useless.
    absl::StatusOr<api::ImportCalendarSummary> first = fixture.TryImport(kTayside, test.ics);
    CHECK(first.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(first.status().message() ==
          std::string(test.why) + ", so there is nothing to import; export the calendar again");

    // With a calendar stored, it would remove all of it.
    fixture.Import(kTayside, Tayside());
    absl::StatusOr<api::ImportCalendarSummary> refused = fixture.TryImport(kTayside, test.ics);
    CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(refused.status().message() ==
          std::string(test.why) +
              ", so importing it would remove the school's whole calendar of 19 events; nothing "
              "was changed. Check that this is the right file. To remove the school's whole "
              "calendar, import it again confirming the removal (schoolctl "
              "--confirm_events_removed 19)");
    absl::StatusOr<api::ListEventsResponse> kept =
        fixture.List(kTayside, "2026-08-01", "2027-08-01");
    REQUIRE(kept.ok());
    CHECK(kept->events_size() == 54);

    // Confirmed with the exact number, it empties the calendar.
    api::ImportCalendarSummary emptied = fixture.Import(kTayside, test.ics, kTaysideUids);
    CHECK(emptied.uids_removed() == kTaysideUids);
    absl::StatusOr<api::ListEventsResponse> empty =
        fixture.List(kTayside, "2026-08-01", "2027-08-01");
    REQUIRE(empty.ok());
    CHECK(empty->events_size() == 0);
  }
}

TEST_CASE("import removing most events needs confirmation") {
  Fixture fixture;
  api::ImportCalendarSummary first = fixture.Import(kTayside, Tayside());
  REQUIRE(first.uids_added() == kTaysideUids);

  absl::StatusOr<api::ImportCalendarSummary> refused = fixture.TryImport(kTayside, kOnlyEvent);
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(refused.status().message() ==
        "This import would remove 19 of the school's 19 events (counted by UID), so nothing was "
        "changed. An import replaces the whole calendar, so the file must contain every event "
        "the school keeps, such as term dates and holidays together. If the removal is right, "
        "import it again confirming it (schoolctl --confirm_events_removed 19)");

  absl::StatusOr<api::ImportCalendarSummary> miscounted =
      fixture.TryImport(kTayside, kOnlyEvent, 18);
  CHECK(miscounted.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(miscounted.status().message().find("remove 19 of the school's 19 events (counted by "
                                           "UID) (not 18 as confirmed)") != std::string::npos);

  absl::StatusOr<api::ListEventsResponse> kept = fixture.List(kTayside, "2026-08-01", "2027-08-01");
  REQUIRE(kept.ok());
  CHECK(kept->events_size() == 54);

  api::ImportCalendarSummary confirmed = fixture.Import(kTayside, kOnlyEvent, kTaysideUids);
  CHECK(confirmed.uids_removed() == kTaysideUids);
  CHECK(confirmed.uids_added() == 1);
}

TEST_CASE("import removal thresholds") {
  // A school with `stored` single events imports a file keeping `kept` of
  // them.
  struct Case {
    int stored;
    int kept;
    bool needs_confirmation;
  };
  const Case cases[] = {
      {1, 0, true},    {2, 1, false},   {30, 20, false}, {30, 19, false},
      {30, 15, false}, {30, 14, true},  {12, 2, false},  {12, 1, true},
      {11, 0, true},   {40, 29, false}, {22, 11, false}, {22, 10, true},
  };
  auto calendar = [](int events) {
    std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n";
    for (int i = 0; i < events; ++i) {
      absl::StrAppend(&ics, "BEGIN:VEVENT\r\nUID:event-", i,
                      "\r\nDTSTART;VALUE=DATE:20261012\r\nSUMMARY:Event\r\nEND:VEVENT\r\n");
    }
    // A file that keeps no event still has one, a new one.
    if (events == 0) {
      absl::StrAppend(&ics,
                      "BEGIN:VEVENT\r\nUID:new\r\nDTSTART;VALUE=DATE:20261013\r\n"
                      "SUMMARY:New\r\nEND:VEVENT\r\n");
    }
    return ics + "END:VCALENDAR\r\n";
  };
  for (const Case& test : cases) {
    INFO(test.stored << " stored, " << test.kept << " kept");
    Fixture fixture;
    fixture.Import(kTayside, calendar(test.stored));
    absl::StatusOr<api::ImportCalendarSummary> imported =
        fixture.TryImport(kTayside, calendar(test.kept));
    CHECK(imported.ok() == !test.needs_confirmation);
    if (test.needs_confirmation) {
      CHECK(imported.status().code() == absl::StatusCode::kFailedPrecondition);
      const int removed = test.stored - test.kept;
      CHECK(fixture.TryImport(kTayside, calendar(test.kept), removed).ok());
    }
  }
}

TEST_CASE("list rejects bad requests") {
  struct Case {
    const char* name;
    const char* seed_code;
    const char* from;
    const char* to;
    int max_events;
  };
  Fixture fixture;
  for (const Case& test : {
           Case{"short SEED code", "53000", "2026-08-01", "2026-09-01", 0},
           Case{"letters in SEED code", "53000ab", "2026-08-01", "2026-09-01", 0},
           Case{"date with slashes", kTayside, "01/08/2026", "2026-09-01", 0},
           Case{"impossible date", kTayside, "2026-02-30", "2026-09-01", 0},
           Case{"empty to", kTayside, "2026-08-01", "", 0},
           Case{"to equal to from", kTayside, "2026-08-01", "2026-08-01", 0},
           Case{"to before from", kTayside, "2026-08-01", "2026-07-01", 0},
           Case{"401 days", kTayside, "2026-01-01", "2027-02-06", 0},
           Case{"negative max_events", kTayside, "2026-08-01", "2026-09-01", -1},
       }) {
    INFO(test.name);
    absl::StatusOr<api::ListEventsResponse> listed =
        fixture.List(test.seed_code, test.from, test.to, test.max_events);
    CHECK(listed.status().code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(fixture.List(kTayside, "2026-01-01", "2027-02-05").ok());
}

}  // namespace
}  // namespace pp::calendar
