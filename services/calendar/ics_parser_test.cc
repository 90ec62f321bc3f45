#include "ics_parser.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "testing/temp_dir.h"
#include "text/utf8.h"

namespace pp::calendar {
namespace {

// Tests import as if on 1 June 2026, before the Tayside school year.
const absl::Time kNow = absl::FromUnixSeconds(1780272000);

std::string TestData(const std::string& name) {
  return ReadFile(std::string(PP_CALENDAR_TESTDATA) + "/" + name);
}

ParsedCalendar ParseFile(const std::string& name) {
  std::string ics = TestData(name);
  REQUIRE(!ics.empty());
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(ics, kNow);
  REQUIRE(parsed.ok());
  return *parsed;
}

const CalendarEvent* FindEvent(const ParsedCalendar& calendar, const std::string& uid) {
  for (const CalendarEvent& event : calendar.events) {
    if (event.uid == uid) return &event;
  }
  return nullptr;
}

// Wraps VEVENT lines in a minimal VCALENDAR with CRLF line ends.
std::string Calendar(const std::string& body) {
  std::string text =
      "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + body + "END:VCALENDAR\n";
  return absl::StrReplaceAll(text, {{"\n", "\r\n"}});
}

TEST_CASE("parser expands weekly club without its EXDATEs") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");
  const CalendarEvent* club = FindEvent(calendar, "football-club@tayside-primary.example.org");
  REQUIRE(club != nullptr);

  // Every Tuesday from 1 September 2026 to 22 June 2027 is 43 Tuesdays;
  // seven are excluded.
  REQUIRE(club->occurrences.size() == 36);
  CHECK(club->occurrences.front().start == "2026-09-01T14:15:00+00:00");
  CHECK(club->occurrences.front().end == "2026-09-01T15:15:00+00:00");
  CHECK(club->occurrences.back().start == "2027-06-22T14:15:00+00:00");
  for (const Occurrence& occurrence : club->occurrences) {
    for (const char* excluded : {"2026-10-13", "2026-12-22", "2026-12-29", "2027-01-05",
                                 "2027-02-16", "2027-03-30", "2027-04-06"}) {
      CHECK(occurrence.start.rfind(excluded, 0) != 0);
    }
  }
}

TEST_CASE("parser keeps local time across the end of BST") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");
  const CalendarEvent* club = FindEvent(calendar, "football-club@tayside-primary.example.org");
  REQUIRE(club != nullptr);
  bool found_october_27 = false;
  for (const Occurrence& occurrence : club->occurrences) {
    if (occurrence.start.rfind("2026-10-27", 0) == 0) {
      found_october_27 = true;
      CHECK(occurrence.start == "2026-10-27T15:15:00+00:00");
    }
  }
  CHECK(found_october_27);
}

TEST_CASE("parser stores timed events in UTC") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");

  // 1 September 2026 is in British Summer Time (UTC+1).
  const CalendarEvent* bst = FindEvent(calendar, "football-club@tayside-primary.example.org");
  REQUIRE(bst != nullptr);
  CHECK_FALSE(bst->all_day);
  CHECK(bst->occurrences[0].start == "2026-09-01T14:15:00+00:00");

  // BST ended on 25 October 2026, so the parents' night on the 29th is at
  // UTC+0.
  const CalendarEvent* gmt = FindEvent(calendar, "parents-night-p1-p3@tayside-primary.example.org");
  REQUIRE(gmt != nullptr);
  REQUIRE(gmt->occurrences.size() == 1);
  CHECK(gmt->occurrences[0].start == "2026-10-29T15:30:00+00:00");
  CHECK(gmt->occurrences[0].end == "2026-10-29T19:00:00+00:00");

  const CalendarEvent* utc = FindEvent(calendar, "photo-day@tayside-primary.example.org");
  REQUIRE(utc != nullptr);
  CHECK(utc->occurrences[0].start == "2026-10-07T08:30:00+00:00");
}

TEST_CASE("parser unescapes and unfolds text") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");

  const CalendarEvent* night =
      FindEvent(calendar, "parents-night-p1-p3@tayside-primary.example.org");
  REQUIRE(night != nullptr);
  CHECK(night->location == "School hall, Tayside Primary School");
  CHECK(night->description ==
        "Book a 10-minute appointment with your child's class teacher. Appointments run from "
        "3:30pm to 7pm, in the school hall; please arrive 5 minutes early.");
  CHECK(night->categories == std::vector<std::string>{"Parents' night"});

  const CalendarEvent* nativity = FindEvent(calendar, "nativity@tayside-primary.example.org");
  REQUIRE(nativity != nullptr);
  CHECK(nativity->summary == "P1 and P2 nativity – Zoë, Seán and the Christmas star");

  const CalendarEvent* christmas = FindEvent(calendar, "christmas@tayside-primary.example.org");
  REQUIRE(christmas != nullptr);
  CHECK(christmas->description ==
        "School closes at 2pm on Tuesday 22 December. Pupils return on Wednesday 6 January.");
}

TEST_CASE("parser leaves out cancelled events") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");
  CHECK(FindEvent(calendar, "cancelled-disco@tayside-primary.example.org") == nullptr);
  CHECK(calendar.events_skipped == 1);
  CHECK(calendar.warnings.empty());
  CHECK(calendar.events.size() == 19);
}

TEST_CASE("parser keeps all-day dates with exclusive end") {
  ParsedCalendar calendar = ParseFile("tayside-primary-2026-27.ics");
  const CalendarEvent* october = FindEvent(calendar, "october@tayside-primary.example.org");
  REQUIRE(october != nullptr);
  CHECK(october->all_day);
  REQUIRE(october->occurrences.size() == 1);
  CHECK(october->occurrences[0].start == "2026-10-12");
  CHECK(october->occurrences[0].end == "2026-10-17");
}

TEST_CASE("parser reads both Sheffield calendars whole") {
  struct Case {
    const char* file;
    size_t events;
  };
  for (const Case& test :
       {Case{"sheffield-term-dates.ics", 585}, Case{"sheffield-school-holidays.ics", 45}}) {
    INFO(test.file);
    ParsedCalendar calendar = ParseFile(test.file);
    CHECK(calendar.events.size() == test.events);
    CHECK(calendar.events_skipped == 0);
    CHECK(calendar.warnings.empty());
  }

  ParsedCalendar holidays = ParseFile("sheffield-school-holidays.ics");
  const CalendarEvent* summer =
      FindEvent(holidays, "holiday-20250801-20250831-2025-26@datepatterns");
  REQUIRE(summer != nullptr);
  CHECK(summer->summary == "Sheffield: Summer holiday");
  CHECK(summer->occurrences[0].start == "2025-08-01");
  CHECK(summer->occurrences[0].end == "2025-09-01");
}

TEST_CASE("parser gives all-day event without DTEND one day") {
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:sports-day\nDTSTART;VALUE=DATE:20270611\nSUMMARY:Sports day\n"
               "END:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].occurrences[0].start == "2027-06-11");
  CHECK(parsed->events[0].occurrences[0].end == "2027-06-12");
}

TEST_CASE("parser skips faulty events and names them") {
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nSUMMARY:Book fair\nDTSTART;VALUE=DATE:20270101\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:no-start\nSUMMARY:Concert\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:bad-start\nDTSTART:2027xx01\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:good\nDTSTART;VALUE=DATE:20270102\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:good\nDTSTART;VALUE=DATE:20270103\nEND:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].uid == "good");
  CHECK(parsed->events_skipped == 4);
  REQUIRE(parsed->warnings.size() == 4);
  CHECK(parsed->warnings[0] == "VEVENT 1 at line 4 (SUMMARY \"Book fair\") has no UID; skipped it");
  CHECK(parsed->warnings[1] ==
        "VEVENT 2 at line 8 (UID \"no-start\") has no valid DTSTART; skipped it");
  CHECK(parsed->warnings[2] ==
        "VEVENT 3 at line 12 (UID \"bad-start\") has DTSTART \"2027xx01\", which is not a date "
        "written YYYYMMDD or a date and time written YYYYMMDDTHHMMSS; skipped it");
  CHECK(parsed->warnings[3] ==
        "VEVENT 5 at line 20 (UID \"good\") repeats a UID used by an earlier event; skipped it");
}

TEST_CASE("parser quotes long text without cutting characters") {
  // Each text puts a two-byte "é" across the byte where its quote is cut:
  // 100 bytes for a UID, SUMMARY or zone, 40 for a date, 200 for a name.
  const std::string uid = std::string(99, 'u') + "\xC3\xA9";
  const std::string summary = std::string(99, 's') + "\xC3\xA9";
  const std::string zone = std::string(99, 'z') + "\xC3\xA9";
  const std::string date = std::string(39, '2') + "\xC3\xA9";
  const std::string name = std::string(199, 'n') + "\xC3\xA9";
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar(absl::StrCat(
          "X-WR-CALNAME:", name, "\n", "BEGIN:VEVENT\nUID:", uid, "\nSUMMARY:Concert\nEND:VEVENT\n",
          "BEGIN:VEVENT\nSUMMARY:", summary, "\nDTSTART;VALUE=DATE:20270101\nEND:VEVENT\n",
          "BEGIN:VEVENT\nUID:bad-date\nDTSTART:", date, "\nEND:VEVENT\n",
          "BEGIN:VEVENT\nUID:zoned\nDTSTART;TZID=", zone, ":20270101T090000\nEND:VEVENT\n")),
      kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->name == std::string(199, 'n'));
  REQUIRE(parsed->warnings.size() == 4);
  for (const std::string& warning : parsed->warnings) {
    INFO(warning);
    CHECK(text::FindInvalidUtf8(warning) == std::string::npos);
  }
  CHECK(
      absl::StrContains(parsed->warnings[0], absl::StrCat("(UID \"", std::string(99, 'u'), "\")")));
}

TEST_CASE("parser skips impossible dates") {
  // libical reads each of these without an error, and a calendar date
  // built from them would roll on to another day.
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:feb-30\nDTSTART;VALUE=DATE:20270230\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:month-13\nDTSTART;VALUE=DATE:20271315\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:letter\nDTSTART;VALUE=DATE:2027021X\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:hour-25\nDTSTART:20270215T250000Z\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:bad-end\nDTSTART;VALUE=DATE:20270215\n"
               "DTEND;VALUE=DATE:20270231\nEND:VEVENT\n"
               // A value folded onto the next line is read whole.
               "BEGIN:VEVENT\nUID:folded\nDTSTART;VALUE=DATE-TIME:\n 20270216T090000Z\n"
               "END:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].uid == "folded");
  CHECK(parsed->events_skipped == 5);

  REQUIRE(parsed->warnings.size() == 5);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"feb-30\") has DTSTART 20270230, which "
        "is not a real date or time; skipped it");
  CHECK(parsed->warnings[1] ==
        "VEVENT 2 at line 8 (UID \"month-13\") has DTSTART 20271315, "
        "which is not a real date or time; skipped it");
  CHECK(parsed->warnings[2] ==
        "VEVENT 3 at line 12 (UID \"letter\") has DTSTART \"2027021X\", which is not a date "
        "written YYYYMMDD or a date and time written YYYYMMDDTHHMMSS; skipped it");
  CHECK(parsed->warnings[3] ==
        "VEVENT 4 at line 16 (UID \"hour-25\") has DTSTART "
        "20270215T250000Z, which is not a real date or time; skipped it");
  CHECK(parsed->warnings[4] ==
        "VEVENT 5 at line 20 (UID \"bad-end\") has DTEND 20270231, which "
        "is not a real date or time; skipped it");
}

// Dates after the year 2582 in a time zone cost libical about 0.1 s to
// convert each time, so such events are skipped and such exclusions ignored.
TEST_CASE("parser warns of an undefined time zone") {
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:trip\nSUMMARY:Paris trip\n"
               "DTSTART;TZID=W. Europe Standard Time:20270312T090000\n"
               "DTEND;TZID=W. Europe Standard Time:20270312T100000\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:assembly\nDTSTART;TZID=Europe/London:20270312T090000\n"
               "END:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 2);
  CHECK(parsed->events[0].occurrences[0].start == "2027-03-12T09:00:00+00:00");
  REQUIRE(parsed->warnings.size() == 1);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"trip\") names the time zone \"W. Europe Standard "
        "Time\", which the file does not define; imported its times as UK time, so add the "
        "zone's VTIMEZONE to the export if that is wrong");
}

TEST_CASE("parser skips events after 2199") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:far\nDTSTART;TZID=Europe/London:29991026T150000\n"
                             "DTEND;TZID=Europe/London:29991026T160000\nEND:VEVENT\n"
                             "BEGIN:VEVENT\nUID:club\nDTSTART;TZID=Europe/London:20260907T153000\n"
                             "DTEND;TZID=Europe/London:40081026T163000\nRRULE:FREQ=WEEKLY;COUNT=2\n"
                             "EXDATE;TZID=Europe/London:40080914T153000\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->events_skipped == 1);
  REQUIRE(parsed->warnings.size() == 1);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"far\") starts after the year 2199; skipped it");
  REQUIRE(parsed->events.size() == 1);
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  REQUIRE(occurrences.size() == 2);
  CHECK(occurrences[0].start == "2026-09-07T14:30:00+00:00");
  CHECK(occurrences[1].start == "2026-09-14T14:30:00+00:00");
}

// libical counts days before 1583 in the Julian calendar, so a weekly rule
// from such a date repeated on another weekday than its DTSTART's.
TEST_CASE("parser skips events before 1583") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:typo\nDTSTART;VALUE=DATE:10130101\n"
                             "RRULE:FREQ=WEEKLY\nEND:VEVENT\n"
                             "BEGIN:VEVENT\nUID:first\nDTSTART;VALUE=DATE:15830101\n"
                             "END:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->events_skipped == 1);
  REQUIRE(parsed->warnings.size() == 1);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"typo\") starts before the year 1583; skipped it");
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].uid == "first");
}

// A daily rule from 1700 needs more steps than the parser allows to reach
// the window, unless the parser starts it near the window.
TEST_CASE("parser expands a daily rule from 1700") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:gate\nDTSTART:17000101T090000Z\n"
                             "RRULE:FREQ=DAILY;UNTIL=20260901T000000Z\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->warnings.empty());
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  // Every day from the window's start, 730 days before the import, to the
  // UNTIL date.
  REQUIRE(occurrences.size() == 822);
  CHECK(occurrences.front().start == "2024-06-01T09:00:00+00:00");
  CHECK(occurrences.back().start == "2026-08-31T09:00:00+00:00");
}

TEST_CASE("parser keeps a fortnightly rule's weeks") {
  // 5 January 1750 was a Monday, so the club meets on every other Monday
  // counted from then, at 15:30 UK time.
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:club\nDTSTART;TZID=Europe/London:17500105T153000\n"
                             "RRULE:FREQ=WEEKLY;INTERVAL=2\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  REQUIRE(occurrences.size() == 131);
  CHECK(occurrences.front().start == "2024-06-03T14:30:00+00:00");
  CHECK(occurrences[1].start == "2024-06-17T14:30:00+00:00");
  CHECK(occurrences.back().start == "2029-05-28T14:30:00+00:00");
}

TEST_CASE("parser replaces an occurrence given its own VEVENT") {
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:choir\nDTSTART:20260907T150000Z\nDTEND:20260907T160000Z\n"
               "RRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Choir\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:choir\nRECURRENCE-ID:20260914T150000Z\n"
               "DTSTART:20260915T150000Z\nDTEND:20260915T160000Z\nSUMMARY:Choir (moved)\n"
               "END:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 2);
  const CalendarEvent& series = parsed->events[0];
  REQUIRE(series.occurrences.size() == 2);
  CHECK(series.occurrences[0].start == "2026-09-07T15:00:00+00:00");
  CHECK(series.occurrences[1].start == "2026-09-21T15:00:00+00:00");
  CHECK(parsed->events[1].summary == "Choir (moved)");
  CHECK(parsed->events[1].occurrences[0].start == "2026-09-15T15:00:00+00:00");
}

TEST_CASE("parser bounds an endless rule") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:assembly\nDTSTART;VALUE=DATE:20260601\n"
                             "RRULE:FREQ=MONTHLY\nSUMMARY:Assembly\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  // Monthly from June 2026 until 1096 days after the import on 1 June 2026,
  // an end that is exclusive.
  REQUIRE(occurrences.size() == 36);
  CHECK(occurrences.back().start == "2029-05-01");
}

TEST_CASE("parser cuts a long rule short with a warning") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:register\nDTSTART:20260601T080000Z\n"
                             "RRULE:FREQ=HOURLY\nSUMMARY:Register\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->events[0].occurrences.size() == kMaxOccurrencesPerEvent);
  REQUIRE(parsed->warnings.size() == 1);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"register\") has more than 1000 occurrences; imported the first "
        "1000");
}

TEST_CASE("parser does not expand filtered hourly rules") {
  // libical stepped this rule hour by hour from 1981, for 15 seconds.
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:clocks\nDTSTART:19810329T010000\n"
                             "RRULE:FREQ=HOURLY;COUNT=102026;BYMONTH=3;BYDAY=-1SU\nEND:VEVENT\n"
                             "BEGIN:VEVENT\nUID:lessons\nDTSTART:20260601T090000Z\n"
                             "RRULE:FREQ=MINUTELY;BYHOUR=9,10;BYMINUTE=0\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 2);
  CHECK(parsed->events[0].occurrences.size() == 1);
  CHECK(parsed->events[1].occurrences.size() == 1);
  REQUIRE(parsed->warnings.size() == 2);
  CHECK(parsed->warnings[0] ==
        "VEVENT 1 at line 4 (UID \"clocks\") repeats more often than daily on chosen days or "
        "times, which is not expanded; imported only its first occurrence");
}

TEST_CASE("parser rejects documents that are not calendars") {
  struct Case {
    const char* name;
    std::string ics;
    const char* message_start;
  };
  std::string oversized = Calendar("X-FILLER:" + std::string(kMaxDocumentBytes, 'a') + "\n");
  for (const Case& test : {
           Case{"empty", "", "the calendar document is empty"},
           Case{"plain text", "hello, this is not a calendar", "the document is not iCalendar"},
           Case{"event only", "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20260101\r\nEND:VEVENT\r\n",
                "the document has no VCALENDAR object"},
           Case{"oversized", oversized, "the calendar document is 5242"},
           Case{"cut short after an event",
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\n"
                "DTSTART;VALUE=DATE:20261012\r\nEND:VEVENT\r\n",
                "the document has BEGIN:VCALENDAR but no END:VCALENDAR, so it is incomplete"},
           Case{"cut short inside an event",
                "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:2026",
                "the document has BEGIN:VCALENDAR but no END:VCALENDAR, so it is incomplete"},
       }) {
    INFO(test.name);
    absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(test.ics, kNow);
    REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(parsed.status().message()).rfind(test.message_start, 0) == 0);
  }
}

TEST_CASE("parser adds RDATE occurrences") {
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:club\nDTSTART:20260907T150000Z\nDTEND:20260907T160000Z\n"
               "RRULE:FREQ=WEEKLY;COUNT=2\n"
               "RDATE:20260910T150000Z,20260914T150000Z\n"
               "RDATE;VALUE=PERIOD:20260920T100000Z/20260920T130000Z\n"
               "EXDATE:20260907T150000Z\nSUMMARY:Club\nEND:VEVENT\n"),
      kNow);
  REQUIRE(parsed.ok());
  CHECK(parsed->warnings.empty());
  REQUIRE(parsed->events.size() == 1);
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  // The 7th is excluded, and the RDATE on the 14th repeats a rule date.
  REQUIRE(occurrences.size() == 3);
  CHECK(occurrences[0].start == "2026-09-10T15:00:00+00:00");
  CHECK(occurrences[1].start == "2026-09-14T15:00:00+00:00");
  CHECK(occurrences[1].end == "2026-09-14T16:00:00+00:00");
  CHECK(occurrences[2].start == "2026-09-20T10:00:00+00:00");
  CHECK(occurrences[2].end == "2026-09-20T13:00:00+00:00");
}

TEST_CASE("parser adds all-day RDATEs without RRULE") {
  absl::StatusOr<ParsedCalendar> parsed =
      ParseCalendar(Calendar("BEGIN:VEVENT\nUID:fair\nDTSTART;VALUE=DATE:20261002\n"
                             "RDATE;VALUE=DATE:20261106,20261204\nSUMMARY:Book fair\nEND:VEVENT\n"),
                    kNow);
  REQUIRE(parsed.ok());
  const std::vector<Occurrence>& occurrences = parsed->events[0].occurrences;
  REQUIRE(occurrences.size() == 3);
  CHECK(occurrences[0].start == "2026-10-02");
  CHECK(occurrences[1].start == "2026-11-06");
  CHECK(occurrences[1].end == "2026-11-07");
  CHECK(occurrences[2].start == "2026-12-04");
}

TEST_CASE("parser unfolds a split UTF-8 character") {
  // "Zoë" has ë as C3 AB, and the fold falls between those two bytes.
  std::string ics = Calendar(
      "BEGIN:VEVENT\nUID:split\nDTSTART;VALUE=DATE:20261002\nSUMMARY:Zo\xC3\n \xAB's party\n"
      "END:VEVENT\n");
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(ics, kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].summary == "Zo\xC3\xAB's party");
}

TEST_CASE("parser reads escapes and LF line ends") {
  // Bare LF line ends, and a fold with a tab.
  std::string ics =
      "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:escapes\n"
      "DTSTART;VALUE=DATE:20261002\nSUMMARY:Bake sale\\, cakes\\; tea\nDESCRIPTION:Line one\\n"
      "Line two\\Nback\\\\slash\n\tfolded\nEND:VEVENT\nEND:VCALENDAR\n";
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(ics, kNow);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 1);
  CHECK(parsed->events[0].summary == "Bake sale, cakes; tea");
  CHECK(parsed->events[0].description == "Line one\nLine two\nback\\slashfolded");
}

TEST_CASE("parser gives events their kind") {
  CategoryRules rules;
  rules.school_labels[NormalizeLabel("Staff development")] = api::CATEGORY_IN_SERVICE_DAY;
  absl::StatusOr<ParsedCalendar> parsed = ParseCalendar(
      Calendar("BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20261002\nCATEGORIES:INSET Day\n"
               "END:VEVENT\n"
               "BEGIN:VEVENT\nUID:b\nDTSTART;VALUE=DATE:20261003\nCATEGORIES:Staff Development\n"
               "END:VEVENT\n"
               "BEGIN:VEVENT\nUID:c\nDTSTART;VALUE=DATE:20261004\nCATEGORIES:Club,Parents’ "
               "Evening\nEND:VEVENT\n"
               "BEGIN:VEVENT\nUID:d\nDTSTART;VALUE=DATE:20261005\nEND:VEVENT\n"),
      kNow, rules);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->events.size() == 4);
  CHECK(parsed->events[0].category == api::CATEGORY_IN_SERVICE_DAY);
  CHECK(parsed->events[1].category == api::CATEGORY_IN_SERVICE_DAY);
  CHECK(parsed->events[2].category == api::CATEGORY_PARENTS_NIGHT);
  CHECK(parsed->events[3].category == api::CATEGORY_EVENT);
}

TEST_CASE("parser reads every shared calendar") {
  struct Case {
    const char* file;
    size_t events;
    int skipped;
  };
  for (const Case& test :
       {Case{"sheffield-term-dates.ics", 585, 0}, Case{"sheffield-school-holidays.ics", 45, 0},
        Case{"tayside-primary-2026-27.ics", 19, 1}}) {
    INFO(test.file);
    ParsedCalendar calendar = ParseFile(test.file);
    CHECK(calendar.events.size() == test.events);
    CHECK(calendar.events_skipped == test.skipped);
    CHECK(calendar.warnings.empty());
  }
  ParsedCalendar tayside = ParseFile("tayside-primary-2026-27.ics");
  const CalendarEvent* inset = FindEvent(tayside, "inservice-1@tayside-primary.example.org");
  REQUIRE(inset != nullptr);
  CHECK(inset->category == api::CATEGORY_IN_SERVICE_DAY);
  const CalendarEvent* club = FindEvent(tayside, "football-club@tayside-primary.example.org");
  REQUIRE(club != nullptr);
  CHECK(club->category == api::CATEGORY_EVENT);
}

}  // namespace
}  // namespace pp::calendar
