// Working days against the real calendar service. Link-verification and
// calendar each serve gRPC on a loopback port, with a store in a temporary
// folder. The school's own in-service day and a Scottish bank holiday both
// move a request's expected-by date and its reminder.
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <memory>

#include "bank_holidays.h"
#include "calendar_days.h"
#include "calendar_grpc.h"
#include "calendar_service.h"
#include "calendar_store.h"
#include "deadline_sweep.h"
#include "feed_service.h"
#include "link_grpc.h"
#include "link_store.h"
#include "school_days.h"
#include "school_reminders.h"
#include "server/server.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
namespace api = parentsportal::calendar::v1;
using testing::kBalhousie;
using testing::kTayside;

// Tayside's calendar: Tuesday 1 December 2026 is an in-service day.
constexpr char kTaysideCalendar[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Working days test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:inset@tayside.test\r\nDTSTAMP:20260601T090000Z\r\n"
    "DTSTART;VALUE=DATE:20261201\r\nDTEND;VALUE=DATE:20261202\r\n"
    "SUMMARY:In-service day\r\nCATEGORIES:In-service day\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

// The same calendar after the school closes on Thursday 3 December as well.
constexpr char kTaysideCalendarWithClosure[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Working days test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:inset@tayside.test\r\nDTSTAMP:20260601T090000Z\r\n"
    "DTSTART;VALUE=DATE:20261201\r\nDTEND;VALUE=DATE:20261202\r\n"
    "SUMMARY:In-service day\r\nCATEGORIES:In-service day\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:closure@tayside.test\r\nDTSTAMP:20261127T090000Z\r\n"
    "DTSTART;VALUE=DATE:20261203\r\nDTEND;VALUE=DATE:20261204\r\n"
    "SUMMARY:School closed (heating failure)\r\nCATEGORIES:Holiday\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

template <typename T>
std::unique_ptr<T> OrFail(absl::StatusOr<std::unique_ptr<T>> opened) {
  INFO(opened.status().ToString());
  REQUIRE(opened.ok());
  return *std::move(opened);
}

absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

// The calendar service as its binary wires it, on a loopback port.
struct CalendarServer {
  CalendarServer(Clock& clock, SchoolAuthenticator& authenticator)
      : store(OrFail(calendar::CalendarStore::Open(dir.Path("calendar")))),
        service(*store, clock),
        school_days(*store, calendar::ScottishBankHolidays()),
        feeds(*store, clock, calendar::ScottishBankHolidays()),
        calendar_grpc(service, school_days, feeds, pool),
        school_grpc(service, authenticator, pool),
        server(OrFail(StartGrpcServer({"127.0.0.1:0", {&calendar_grpc, &school_grpc}}, &port))),
        channel(MakeChannel("127.0.0.1:" + std::to_string(port))) {}

  TempDir dir;
  WorkPool pool{2};
  std::unique_ptr<calendar::CalendarStore> store;
  calendar::CalendarService service;
  calendar::SchoolDays school_days;
  calendar::FeedService feeds;
  calendar::CalendarGrpc calendar_grpc;
  calendar::SchoolCalendarGrpc school_grpc;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
};

// link-verification with school days from the calendar service, on its
// own loopback port.
struct LinkServer {
  LinkServer(Clock& clock, SchoolAuthenticator& authenticator,
             std::shared_ptr<grpc::Channel> calendar_channel)
      : metrics(registry),
        store(OrFail(OpenLinkStore(dir.Path("link")))),
        // No cache, so that a calendar imported again is seen at once.
        school_days(calendar_channel, absl::ZeroDuration()),
        links(*store, clock, notifier, school_days, metrics, London(), "test code key"),
        records(*store, clock, notifier, school_days, metrics, London()),
        reminders(*store, clock, notifier, school_days, metrics, London()),
        deadlines(*store, clock, school_days, London()),
        start_writes(*store, pool.Submitter()),
        links_grpc(links, pool, start_writes, absl::ZeroDuration()),
        records_grpc(records, authenticator, pool),
        server(OrFail(StartGrpcServer({"127.0.0.1:0", {&links_grpc, &records_grpc}}, &port))),
        channel(MakeChannel("127.0.0.1:" + std::to_string(port))),
        links_stub(v1::Links::NewStub(channel)),
        records_stub(v1::SchoolRecords::NewStub(channel)) {}

  TempDir dir;
  prometheus::Registry registry;
  LinkMetrics metrics;
  testing::FakeNotifier notifier;
  WorkPool pool{2};
  std::unique_ptr<Store> store;
  CalendarSchoolDays school_days;
  LinkService links;
  SchoolRecordsService records;
  GroupedWriter start_writes;
  SchoolReminders reminders;
  DeadlineSweep deadlines;
  LinksGrpc links_grpc;
  SchoolRecordsGrpc records_grpc;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::Links::Stub> links_stub;
  std::unique_ptr<v1::SchoolRecords::Stub> records_stub;
};

void Authorize(grpc::ClientContext& context, const std::string& token) {
  SetDeadline(context, absl::Seconds(10));
  context.AddMetadata("authorization", "Bearer " + token);
}

// Replaces Tayside's calendar with the .ics document `ics`.
void ImportCalendar(CalendarServer& calendar, const std::string& ics) {
  grpc::ClientContext context;
  Authorize(context, "tayside-token");
  api::ImportCalendarRequest request;
  request.set_seed_code(kTayside);
  request.set_ics(ics);
  api::ImportCalendarSummary summary;
  grpc::Status status =
      api::SchoolCalendar::NewStub(calendar.channel)->ImportCalendar(&context, request, &summary);
  INFO(status.error_message());
  REQUIRE(status.ok());
}

// Returns the expected-by date the parent sees for their one request.
std::string ExpectedBy(LinkServer& link, const std::string& account_id) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  v1::ListLinksRequest request;
  request.set_account_id(account_id);
  v1::ListLinksResponse listed;
  REQUIRE(link.links_stub->ListLinks(&context, request, &listed).ok());
  REQUIRE(listed.requests_size() == 1);
  return listed.requests(0).expected_by();
}

void SyncOverGrpc(LinkServer& link, const std::string& token,
                  const std::vector<v1::RosterRecord>& rows) {
  grpc::ClientContext context;
  Authorize(context, token);
  v1::SyncRosterSummary summary;
  auto writer = link.records_stub->SyncRoster(&context, &summary);
  for (const v1::RosterRecord& row : rows) REQUIRE(writer->Write(row));
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  INFO(status.error_message());
  REQUIRE(status.ok());
}

// Runs steps 1 and 2 over gRPC and returns the parent's expected-by date.
std::string ExpectedByAfterLinking(LinkServer& link, const v1::StartLinkRequest& start) {
  const std::string& account_id = start.parent().account_id();
  v1::StartLinkResponse started;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    grpc::Status status = link.links_stub->StartLink(&context, start, &started);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::SendCodeRequest request;
    request.set_account_id(account_id);
    request.set_attempt_id(started.attempt_id());
    request.set_channel(started.channels(0).channel());
    v1::SendCodeResponse response;
    REQUIRE(link.links_stub->SendCode(&context, request, &response).ok());
  }
  std::string code;
  for (const auto& message : link.notifier.sent()) {
    if (!testing::CodeFromMessage(message).empty()) code = testing::CodeFromMessage(message);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::ConfirmCodeRequest request;
    request.set_account_id(account_id);
    request.set_attempt_id(started.attempt_id());
    request.set_code(code);
    v1::ConfirmCodeResponse response;
    grpc::Status status = link.links_stub->ConfirmCode(&context, request, &response);
    INFO(status.error_message());
    REQUIRE(status.ok());
  }
  return ExpectedBy(link, account_id);
}

TEST_CASE("expected-by skips school and bank holidays") {
  // Thursday 26 November 2026, 10:00. Monday 30 November is St Andrew's Day.
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 11, 26, 10, 0, 0), London()));
  testing::FakeAuthenticator authenticator;
  CalendarServer calendar(clock, authenticator);
  LinkServer link(clock, authenticator, calendar.channel);
  ImportCalendar(calendar, kTaysideCalendar);
  SyncOverGrpc(link, "tayside-token", testing::TaysideRows());
  SyncOverGrpc(link, "balhousie-token", testing::BalhousieRows());

  // Tayside's five school days: Friday 27 November, then Wednesday 2 to
  // Monday 7 December, past the bank holiday and the in-service day.
  CHECK(ExpectedByAfterLinking(link, testing::KarenForNoah()) == "2026-12-07");

  // Balhousie has no calendar of its own, so only the bank holiday counts.
  v1::StartLinkRequest mairi;
  mairi.mutable_parent()->set_account_id("acc-mairi");
  mairi.mutable_parent()->set_forename("Màiri");
  mairi.mutable_parent()->set_surname("Campbell");
  mairi.mutable_parent()->set_email("mairi@example.net");
  mairi.mutable_parent()->set_postcode("KY13 9RR");
  mairi.set_child_forename("Rab");
  mairi.set_child_surname("Campbell");
  mairi.set_child_date_of_birth("2010-09-09");
  mairi.set_stage("S6");
  mairi.set_postcode("KY13 9RR");
  CHECK(ExpectedByAfterLinking(link, mairi) == "2026-12-04");

  // Tayside closes on Thursday 3 December too, after the request was made:
  // the next sweep gives the school that day back.
  ImportCalendar(calendar, kTaysideCalendarWithClosure);
  absl::StatusOr<int> moved = link.deadlines.ExtendDeadlines();
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(ExpectedBy(link, "acc-karen") == "2026-12-08");
  CHECK(ExpectedBy(link, "acc-mairi") == "2026-12-04");

  // The reminder follows the same days. On Wednesday 2 December Balhousie's
  // request is three school days old (27 November, 1 and 2 December) and
  // Tayside's only two. Tayside is closed on Thursday, so its turn comes on
  // Friday.
  for (const char* seed_code : {kTayside, kBalhousie}) {
    v1::SetSchoolContactRequest request;
    request.set_email(std::string("office.") + seed_code + "@example.org");
    REQUIRE(link.records.SetSchoolContact(seed_code, request).ok());
  }
  auto reminded_schools = [&link]() {
    std::vector<std::string> schools;
    for (const auto& message : link.notifier.sent()) {
      if (message.kind() == parentsportal::notification::v1::SCHOOL_REMINDER) {
        schools.push_back(message.to());
      }
    }
    return schools;
  };
  clock.Advance(absl::Hours(24 * 6));
  REQUIRE(link.reminders.Sweep().ok());
  CHECK(reminded_schools() == std::vector<std::string>{"office.5300028@example.org"});
  clock.Advance(absl::Hours(24));
  REQUIRE(link.reminders.Sweep().ok());
  CHECK(reminded_schools() == std::vector<std::string>{"office.5300028@example.org"});
  clock.Advance(absl::Hours(24));
  REQUIRE(link.reminders.Sweep().ok());
  CHECK(reminded_schools() ==
        std::vector<std::string>{"office.5300028@example.org", "office.5300011@example.org"});
}

}  // namespace
}  // namespace pp::link
