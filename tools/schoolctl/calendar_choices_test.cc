// import-calendar's category choices: parsing them, and sending them to a
// real calendar service over gRPC on loopback. Also the checks of the file
// that keep import-calendar from sending one the service would reject.
#include "calendar_choices.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "calendar_grpc.h"
#include "calendar_service.h"
#include "commands.h"
#include "ics_parser.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::schoolctl {
namespace {

namespace api = parentsportal::calendar::v1;

const char kSchool[] = "5300011";

// Accepts one token, for kSchool.
class OneSchoolAuthenticator : public SchoolAuthenticator {
 public:
  absl::StatusOr<std::string> SchoolForToken(std::string_view token) override {
    if (token == "school-token") return std::string(kSchool);
    return absl::UnauthenticatedError("unknown school token");
  }
};

// Three all-day events: one with the school's own label, one with a
// built-in label, and one without CATEGORIES.
const char kCalendar[] =
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Test School//EN\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:staff-day@test\r\n"
    "DTSTAMP:20260801T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261019\r\n"
    "DTEND;VALUE=DATE:20261020\r\n"
    "SUMMARY:Staff training\r\n"
    "CATEGORIES:Staff Day\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:holiday@test\r\n"
    "DTSTAMP:20260801T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261020\r\n"
    "DTEND;VALUE=DATE:20261024\r\n"
    "SUMMARY:October break\r\n"
    "CATEGORIES:Holiday\r\n"
    "END:VEVENT\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:plain@test\r\n"
    "DTSTAMP:20260801T000000Z\r\n"
    "DTSTART;VALUE=DATE:20261027\r\n"
    "DTEND;VALUE=DATE:20261028\r\n"
    "SUMMARY:Library closed\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n";

}  // namespace

TEST_CASE("category names in their spellings") {
  struct Case {
    const char* name;
    api::Category category;
  };
  const Case cases[] = {
      {"term_dates", api::CATEGORY_TERM_DATES},
      {"Term dates", api::CATEGORY_TERM_DATES},
      {"holiday", api::CATEGORY_HOLIDAY},
      {"Holidays", api::CATEGORY_HOLIDAY},
      {"in_service_day", api::CATEGORY_IN_SERVICE_DAY},
      {"inservice", api::CATEGORY_IN_SERVICE_DAY},
      {"In-service days", api::CATEGORY_IN_SERVICE_DAY},
      {"INSET", api::CATEGORY_IN_SERVICE_DAY},
      {"parents_night", api::CATEGORY_PARENTS_NIGHT},
      {"Parents' evening", api::CATEGORY_PARENTS_NIGHT},
      {"deadline", api::CATEGORY_DEADLINE},
      {"event", api::CATEGORY_EVENT},
      {"events", api::CATEGORY_EVENT},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    absl::StatusOr<api::Category> parsed = ParseCategory(c.name);
    REQUIRE(parsed.ok());
    CHECK(*parsed == c.category);
  }

  absl::StatusOr<api::Category> unknown = ParseCategory("party");
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(unknown.status().message() ==
        "unknown category \"party\": use term_dates, holiday, in_service_day, parents_night, "
        "deadline or event");
  CHECK_FALSE(ParseCategory("").ok());
  CHECK_FALSE(ParseCategory("s").ok());
}

TEST_CASE("category map parses labels and kinds") {
  absl::StatusOr<CalendarChoices> choices = ParseCalendarChoices(
      "Staff Day=inservice, Parents Evening = parents_night,Fees due=deadline", "events");
  REQUIRE(choices.ok());
  CHECK(choices->category_map ==
        std::map<std::string, api::Category>{{"Staff Day", api::CATEGORY_IN_SERVICE_DAY},
                                             {"Parents Evening", api::CATEGORY_PARENTS_NIGHT},
                                             {"Fees due", api::CATEGORY_DEADLINE}});
  CHECK(choices->default_category == api::CATEGORY_EVENT);

  absl::StatusOr<CalendarChoices> none = ParseCalendarChoices("", "");
  REQUIRE(none.ok());
  CHECK(none->category_map.empty());
  CHECK(none->default_category == api::CATEGORY_UNSPECIFIED);
}

TEST_CASE("category map rejects bad entries") {
  struct Case {
    const char* map;
    const char* fallback;
    const char* message;
  };
  const Case cases[] = {
      {"Staff Day", "",
       "--category-map entry \"Staff Day\" needs the form LABEL=CATEGORY, such as \"Staff "
       "Day=in_service_day\""},
      {"=holiday", "", "--category-map entry \"=holiday\" has no label before \"=\""},
      {"Staff Day=inservice,staff day=holiday", "",
       "--category-map names the label \"staff day\" more than once"},
      {"Staff Day=party", "",
       "--category-map entry \"Staff Day=party\": unknown category \"party\": use term_dates, "
       "holiday, in_service_day, parents_night, deadline or event"},
      {"Staff Day=holiday=event", "",
       "--category-map entry \"Staff Day=holiday=event\": unknown category \"holiday=event\": "
       "use term_dates, holiday, in_service_day, parents_night, deadline or event"},
      {"", "party",
       "--default-category: unknown category \"party\": use term_dates, holiday, "
       "in_service_day, parents_night, deadline or event"},
      // "Café" in Windows-1252.
      {"Caf\xE9=holiday", "",
       "--category-map has a label that is not UTF-8; set the terminal to UTF-8 and type the "
       "label again"},
  };
  for (const Case& c : cases) {
    INFO(c.map << " / " << c.fallback);
    absl::StatusOr<CalendarChoices> choices = ParseCalendarChoices(c.map, c.fallback);
    CHECK(choices.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(choices.status().message() == c.message);
  }
}

TEST_CASE("import-calendar sends the school's choices") {
  pp::TempDir dir;
  pp::FakeClock clock(absl::FromUnixSeconds(1780272000));
  auto store = calendar::CalendarStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  calendar::CalendarService service(**store, clock);
  OneSchoolAuthenticator authenticator;
  pp::WorkPool pool(2);
  calendar::SchoolCalendarGrpc school_calendar(service, authenticator, pool);
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&school_calendar}}, &port);
  REQUIRE(server.ok());

  std::string ics_path = dir.Path("calendar.ics");
  std::ofstream(ics_path, std::ios::binary) << kCalendar;
  Connection connection;
  connection.calendar_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = kSchool;
  absl::StatusOr<CalendarChoices> choices = ParseCalendarChoices("Staff Day=inservice", "deadline");
  REQUIRE(choices.ok());
  std::ostringstream out;
  absl::Status imported = ImportCalendar(connection, ics_path, *choices, out);
  REQUIRE(imported.message() == "");
  CHECK(out.str() ==
        "events imported: 3\nevents skipped: 0\n"
        "calendar replaced, counted by UID: 3 added, 0 changed, 0 removed, 0 unchanged\n");

  api::ListEventsRequest list;
  list.set_seed_code(kSchool);
  list.set_from("2026-10-01");
  list.set_to("2026-11-01");
  absl::StatusOr<api::ListEventsResponse> events = service.ListEvents(list);
  REQUIRE(events.ok());
  std::map<std::string, api::Category> kinds;
  for (const api::Event& event : events->events()) kinds[event.uid()] = event.category();
  CHECK(kinds ==
        std::map<std::string, api::Category>{{"staff-day@test", api::CATEGORY_IN_SERVICE_DAY},
                                             {"holiday@test", api::CATEGORY_HOLIDAY},
                                             {"plain@test", api::CATEGORY_DEADLINE}});
  // A second document without the library's closure replaces the first,
  // and the output counts the removed event.
  std::string shorter = kCalendar;
  const size_t plain = shorter.find("BEGIN:VEVENT\r\nUID:plain@test");
  shorter.erase(plain, shorter.find("END:VCALENDAR") - plain);
  std::ofstream(ics_path, std::ios::binary | std::ios::trunc) << shorter;
  out.str("");
  REQUIRE(ImportCalendar(connection, ics_path, *choices, out).message() == "");
  CHECK(out.str() ==
        "events imported: 2\nevents skipped: 0\n"
        "calendar replaced, counted by UID: 0 added, 0 changed, 1 removed, 2 unchanged\n");
  DrainAndStop(**server, absl::Seconds(1));
}

TEST_CASE("calendar file limit matches the service's") {
  CHECK(kMaxCalendarBytes == calendar::kMaxDocumentBytes);
}

TEST_CASE("import-calendar sends nothing for a file the service rejects") {
  pp::TempDir dir;
  pp::FakeClock clock(absl::FromUnixSeconds(1780272000));
  auto store = calendar::CalendarStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  calendar::CalendarService service(**store, clock);
  OneSchoolAuthenticator authenticator;
  pp::WorkPool pool(2);
  calendar::SchoolCalendarGrpc school_calendar(service, authenticator, pool);
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&school_calendar}}, &port);
  REQUIRE(server.ok());
  Connection connection;
  connection.calendar_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = kSchool;

  // Windows-1252 writes "é" as the single byte 0xE9, on the document's line 9.
  std::string windows_1252 = kCalendar;
  windows_1252.replace(windows_1252.find("Staff training"), 14, "Caf\xE9 training");
  const std::string windows_path = dir.Path("windows.ics");
  std::ofstream(windows_path, std::ios::binary) << windows_1252;

  // One byte over the limit, in a property the service would ignore.
  std::string oversized = kCalendar;
  oversized.insert(oversized.find("BEGIN:VEVENT"), "X-FILLER:\r\n");
  oversized.insert(oversized.find("X-FILLER:") + 9,
                   std::string(kMaxCalendarBytes + 1 - oversized.size(), 'a'));
  REQUIRE(oversized.size() == kMaxCalendarBytes + 1);
  const std::string oversized_path = dir.Path("oversized.ics");
  std::ofstream(oversized_path, std::ios::binary) << oversized;

  const CalendarChoices choices;
  std::ostringstream out;
  absl::Status imported = ImportCalendar(connection, windows_path, choices, out);
  CHECK(imported.code() == absl::StatusCode::kInvalidArgument);
  CHECK(imported.message() == "nothing was sent: " + windows_path +
                                  " is not UTF-8, as iCalendar requires (line 9 has the byte "
                                  "0xe9, which UTF-8 does not allow there); save the file as "
                                  "UTF-8 and import again");

  imported = ImportCalendar(connection, oversized_path, choices, out);
  CHECK(imported.code() == absl::StatusCode::kInvalidArgument);
  CHECK(imported.message() == "nothing was sent: " + oversized_path + " is 5242881 bytes, more " +
                                  "than the calendar service's limit of 5242880 bytes (5 MiB); " +
                                  "export fewer events, for example only this year's, and " +
                                  "import again");
  CHECK(out.str() == "");

  // Neither call reached the service, so the school has no calendar.
  api::ListEventsRequest list;
  list.set_seed_code(kSchool);
  list.set_from("2026-10-01");
  list.set_to("2026-11-01");
  absl::StatusOr<api::ListEventsResponse> events = service.ListEvents(list);
  REQUIRE(events.ok());
  CHECK(events->events_size() == 0);
  DrainAndStop(**server, absl::Seconds(1));
}

// A calendar service on loopback with a store in a temporary folder.
class CalendarServer {
 public:
  CalendarServer()
      : clock_(absl::FromUnixSeconds(1780272000)),
        store_(OpenStore(dir_)),
        service_(*store_, clock_),
        pool_(2),
        school_calendar_(service_, authenticator_, pool_) {
    int port = 0;
    auto server = StartGrpcServer({"127.0.0.1:0", {&school_calendar_}}, &port);
    REQUIRE(server.ok());
    server_ = std::move(*server);
    connection_.calendar_address = "127.0.0.1:" + std::to_string(port);
    connection_.token = "school-token";
    connection_.seed_code = kSchool;
  }
  ~CalendarServer() { DrainAndStop(*server_, absl::Seconds(1)); }

  pp::TempDir& dir() { return dir_; }
  Connection& connection() { return connection_; }

  int StoredEvents() {
    api::ListEventsRequest list;
    list.set_seed_code(kSchool);
    list.set_from("2026-10-01");
    list.set_to("2026-11-01");
    absl::StatusOr<api::ListEventsResponse> events = service_.ListEvents(list);
    REQUIRE(events.ok());
    return events->events_size();
  }

 private:
  static std::unique_ptr<calendar::CalendarStore> OpenStore(pp::TempDir& dir) {
    auto store = calendar::CalendarStore::Open(dir.Path("data"));
    REQUIRE(store.ok());
    return std::move(*store);
  }

  pp::TempDir dir_;
  pp::FakeClock clock_;
  std::unique_ptr<calendar::CalendarStore> store_;
  calendar::CalendarService service_;
  OneSchoolAuthenticator authenticator_;
  pp::WorkPool pool_;
  calendar::SchoolCalendarGrpc school_calendar_;
  std::unique_ptr<grpc::Server> server_;
  Connection connection_;
};

TEST_CASE("import-calendar names what is wrong with the file") {
  CalendarServer server;
  pp::TempDir& dir = server.dir();
  const std::string folder = dir.Path("exports");
  std::filesystem::create_directory(folder);
  const std::string missing = dir.Path("missing.ics");
  const std::string empty = dir.Path("empty.ics");
  std::ofstream(empty, std::ios::binary).flush();
  const std::string truncated = dir.Path("truncated.ics");
  std::string cut = kCalendar;
  cut.resize(cut.find("BEGIN:VEVENT\r\nUID:plain@test"));
  std::ofstream(truncated, std::ios::binary) << cut;

  struct Case {
    std::string path;
    absl::StatusCode code;
    std::string message;
  };
  const Case cases[] = {
      {folder, absl::StatusCode::kInvalidArgument,
       "cannot read " + folder + ": it is a folder, not a file; give the file's path"},
      {missing, absl::StatusCode::kNotFound,
       "cannot read " + missing + ": No such file or directory"},
      {empty, absl::StatusCode::kInvalidArgument,
       "nothing was sent: " + empty + " is empty (0 bytes); export the calendar again"},
      {truncated, absl::StatusCode::kInvalidArgument,
       "the document has BEGIN:VCALENDAR but no END:VCALENDAR, so it is incomplete, perhaps cut "
       "short while it was saved or copied; export the calendar again"},
  };
  for (const Case& test : cases) {
    INFO(test.path);
    std::ostringstream out;
    absl::Status imported = ImportCalendar(server.connection(), test.path, CalendarChoices{}, out);
    CHECK(imported.code() == test.code);
    CHECK(imported.message() == test.message);
    CHECK(out.str() == "");
  }
  CHECK(server.StoredEvents() == 0);
}

TEST_CASE("import-calendar sends the confirmed removal") {
  CalendarServer server;
  const std::string full = server.dir().Path("full.ics");
  std::ofstream(full, std::ios::binary) << kCalendar;
  std::ostringstream out;
  REQUIRE(ImportCalendar(server.connection(), full, CalendarChoices{}, out).message() == "");

  // A file of other events would remove all three stored ones.
  std::string other = kCalendar;
  const size_t first = other.find("BEGIN:VEVENT");
  other.erase(first, other.find("END:VCALENDAR") - first);
  other.insert(first,
               "BEGIN:VEVENT\r\nUID:term@test\r\nDTSTART;VALUE=DATE:20261005\r\n"
               "SUMMARY:Term starts\r\nEND:VEVENT\r\n");
  const std::string term = server.dir().Path("term.ics");
  std::ofstream(term, std::ios::binary) << other;
  out.str("");
  absl::Status refused = ImportCalendar(server.connection(), term, CalendarChoices{}, out);
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(refused.message().find("(schoolctl --confirm_events_removed 3)") != std::string::npos);
  CHECK(out.str() == "");
  CHECK(server.StoredEvents() == 3);

  server.connection().confirm_events_removed = 3;
  REQUIRE(ImportCalendar(server.connection(), term, CalendarChoices{}, out).message() == "");
  CHECK(out.str() ==
        "events imported: 1\nevents skipped: 0\n"
        "calendar replaced, counted by UID: 1 added, 0 changed, 3 removed, 0 unchanged\n"
        "warning: No event has a CATEGORIES label, so its one event was imported as an ordinary "
        "event, which does not mark a day the school is closed. If the document lists holidays, "
        "import it again with the default category holiday (schoolctl import-calendar "
        "--default-category holiday)\n");
  CHECK(server.StoredEvents() == 1);
}

}  // namespace pp::schoolctl
