#include "calendar_grpc.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::calendar {
namespace {

const char kTayside[] = "5300011";
const char kOtherSchool[] = "5300012";

// Maps tokens from a fixed table. "identity-down" behaves as if identity were
// unreachable.
class FakeAuthenticator : public SchoolAuthenticator {
 public:
  absl::StatusOr<std::string> SchoolForToken(std::string_view token) override {
    if (token == "identity-down") return absl::UnavailableError("identity is down");
    auto it = schools_.find(std::string(token));
    if (it == schools_.end()) return absl::UnauthenticatedError("unknown school token");
    return it->second;
  }

 private:
  std::map<std::string, std::string> schools_ = {{"tayside-token", kTayside},
                                                 {"other-token", kOtherSchool}};
};

class GrpcFixture {
 public:
  GrpcFixture() : clock_(absl::FromUnixSeconds(1780272000)), pool_(2) {
    auto store = CalendarStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    store_->PublishChangesTo(&changes_);
    service_ = std::make_unique<CalendarService>(*store_, clock_);
    school_days_ = std::make_unique<SchoolDays>(*store_, ScottishBankHolidays());
    feeds_ = std::make_unique<FeedService>(*store_, clock_, ScottishBankHolidays());
    calendar_ = std::make_unique<CalendarGrpc>(*service_, *school_days_, *feeds_, pool_, &changes_);
    school_calendar_ = std::make_unique<SchoolCalendarGrpc>(*service_, authenticator_, pool_);

    int port = 0;
    auto server =
        StartGrpcServer({"127.0.0.1:0", {calendar_.get(), school_calendar_.get()}}, &port);
    REQUIRE(server.ok());
    server_ = std::move(*server);
    auto channel = MakeChannel("127.0.0.1:" + std::to_string(port));
    calendar_stub_ = api::Calendar::NewStub(channel);
    school_stub_ = api::SchoolCalendar::NewStub(channel);
  }

  ~GrpcFixture() {
    changes_.Close();
    DrainAndStop(*server_, absl::Seconds(1));
  }

  grpc::Status Import(const std::string& token, const std::string& seed_code,
                      api::ImportCalendarSummary* summary, int confirm_events_removed = 0) {
    return ImportDocument(
        token, seed_code,
        ReadFile(std::string(PP_CALENDAR_TESTDATA) + "/tayside-primary-2026-27.ics"), summary,
        confirm_events_removed);
  }

  grpc::Status ImportDocument(const std::string& token, const std::string& seed_code,
                              const std::string& ics, api::ImportCalendarSummary* summary,
                              int confirm_events_removed = 0) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    api::ImportCalendarRequest request;
    request.set_seed_code(seed_code);
    request.set_ics(ics);
    request.set_confirm_events_removed(confirm_events_removed);
    return school_stub_->ImportCalendar(&context, request, summary);
  }

  // The home calendar of account-1 for October at Tayside, as the gateway requests it.
  api::HomeCalendar Home() {
    api::HomeCalendarRequest request;
    request.set_account_id("account-1");
    api::ListEventsRequest october = October();
    october.set_max_events(10);
    *request.add_schools() = october;
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    api::HomeCalendar home;
    grpc::Status status = calendar_stub_->GetHomeCalendar(&context, request, &home);
    REQUIRE(status.ok());
    REQUIRE(home.schools_size() == 1);
    return home;
  }

  // Calls ReplaceFeedToken or RevokeFeedToken for account-1.
  api::FeedToken ChangeFeedToken(bool replace) {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    api::FeedTokenRequest request;
    request.set_account_id("account-1");
    api::FeedToken token;
    grpc::Status status = replace ? calendar_stub_->ReplaceFeedToken(&context, request, &token)
                                  : calendar_stub_->RevokeFeedToken(&context, request, &token);
    REQUIRE(status.ok());
    return token;
  }

  api::ListEventsRequest October() {
    api::ListEventsRequest request;
    request.set_seed_code(kTayside);
    request.set_from("2026-10-01");
    request.set_to("2026-11-01");
    return request;
  }

  api::Calendar::Stub& calendar_stub() { return *calendar_stub_; }
  api::SchoolCalendar::Stub& school_stub() { return *school_stub_; }
  CalendarStore& store() { return *store_; }
  std::string DataDir() { return dir_.Path("data"); }

 private:
  TempDir dir_;
  FakeClock clock_;
  FakeAuthenticator authenticator_;
  ChangeFeed changes_;
  std::unique_ptr<CalendarStore> store_;
  std::unique_ptr<CalendarService> service_;
  std::unique_ptr<SchoolDays> school_days_;
  std::unique_ptr<FeedService> feeds_;
  WorkPool pool_;
  std::unique_ptr<CalendarGrpc> calendar_;
  std::unique_ptr<SchoolCalendarGrpc> school_calendar_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::Calendar::Stub> calendar_stub_;
  std::unique_ptr<api::SchoolCalendar::Stub> school_stub_;
};

TEST_CASE("school import over gRPC checks the token") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;

  CHECK(fixture.Import("", kTayside, &summary).error_code() == grpc::StatusCode::UNAUTHENTICATED);
  CHECK(fixture.Import("forged-token", kTayside, &summary).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
  CHECK(fixture.Import("other-token", kTayside, &summary).error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(fixture.Import("identity-down", kTayside, &summary).error_code() ==
        grpc::StatusCode::UNAVAILABLE);

  grpc::Status status = fixture.Import("tayside-token", kTayside, &summary);
  REQUIRE(status.ok());
  CHECK(summary.events_imported() == 19);
  CHECK(summary.events_skipped() == 1);
}

TEST_CASE("parents list imported events over gRPC") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.Import("tayside-token", kTayside, &summary).ok());

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  api::ListEventsResponse response;
  grpc::Status status = fixture.calendar_stub().ListEvents(&context, fixture.October(), &response);
  REQUIRE(status.ok());
  REQUIRE(response.events_size() == 6);
  CHECK(response.events(0).uid() == "football-club@tayside-primary.example.org");
  CHECK(response.events(0).start() == "2026-10-06T14:15:00+00:00");
}

TEST_CASE("home calendar lists each school and the feed token") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.Import("tayside-token", kTayside, &summary).ok());

  grpc::ClientContext token_context;
  SetDeadline(token_context, absl::Seconds(10));
  api::FeedTokenRequest token_request;
  token_request.set_account_id("account-1");
  api::FeedToken issued;
  REQUIRE(fixture.calendar_stub().ReplaceFeedToken(&token_context, token_request, &issued).ok());

  api::HomeCalendarRequest request;
  request.set_account_id("account-1");
  *request.add_schools() = fixture.October();
  api::ListEventsRequest other = fixture.October();
  other.set_seed_code(kOtherSchool);
  *request.add_schools() = other;
  api::ListEventsRequest limited = fixture.October();
  limited.set_max_events(2);
  *request.add_schools() = limited;

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  api::HomeCalendar home;
  REQUIRE(fixture.calendar_stub().GetHomeCalendar(&context, request, &home).ok());
  REQUIRE(home.schools_size() == 3);
  CHECK(home.schools(0).events_size() == 6);
  CHECK(home.schools(0).events(0).uid() == "football-club@tayside-primary.example.org");
  CHECK(home.schools(1).events_size() == 0);
  CHECK(home.schools(2).events_size() == 2);
  CHECK(home.feed_token().token() == issued.token());
}

// A calendar of one event on 14 October 2026.
const char kOneEvent[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:fair@tayside-primary.example.org\r\nDTSTAMP:20260601T090000Z\r\n"
    "DTSTART;VALUE=DATE:20261014\r\nDTEND;VALUE=DATE:20261015\r\nSUMMARY:Book fair\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

TEST_CASE("home calendar shows an import at once") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.ImportDocument("tayside-token", kTayside, kOneEvent, &summary).ok());
  // The second call is served from memory.
  for (int call = 0; call < 2; ++call) {
    api::HomeCalendar home = fixture.Home();
    REQUIRE(home.schools(0).events_size() == 1);
    CHECK(home.schools(0).events(0).summary() == "Book fair");
  }

  // Each import removes every event stored before it, so each confirms it.
  REQUIRE(fixture.Import("tayside-token", kTayside, &summary, 1).ok());
  api::HomeCalendar replaced = fixture.Home();
  REQUIRE(replaced.schools(0).events_size() == 6);
  CHECK(replaced.schools(0).events(0).uid() == "football-club@tayside-primary.example.org");

  REQUIRE(fixture.ImportDocument("tayside-token", kTayside, kOneEvent, &summary, 19).ok());
  api::HomeCalendar again = fixture.Home();
  REQUIRE(again.schools(0).events_size() == 1);
  CHECK(again.schools(0).events(0).summary() == "Book fair");
}

TEST_CASE("home calendar shows a new or revoked feed token at once") {
  GrpcFixture fixture;
  CHECK(fixture.Home().feed_token().token().empty());
  CHECK(fixture.Home().feed_token().token().empty());

  api::FeedToken issued = fixture.ChangeFeedToken(true);
  REQUIRE_FALSE(issued.token().empty());
  CHECK(fixture.Home().feed_token().token() == issued.token());
  CHECK(fixture.Home().feed_token().token() == issued.token());

  api::FeedToken replaced = fixture.ChangeFeedToken(true);
  REQUIRE(replaced.token() != issued.token());
  CHECK(fixture.Home().feed_token().token() == replaced.token());

  fixture.ChangeFeedToken(false);
  CHECK(fixture.Home().feed_token().token().empty());
}

TEST_CASE("watch stream reports tokens, imports and other writers") {
  GrpcFixture fixture;
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(20));
  std::unique_ptr<grpc::ClientReader<parentsportal::changes::v1::AccountsChanged>> reader =
      fixture.calendar_stub().WatchHomeCalendars(&context,
                                                 parentsportal::changes::v1::WatchRequest());
  parentsportal::changes::v1::AccountsChanged change;
  REQUIRE(reader->Read(&change));
  CHECK(change.all_accounts());

  fixture.ChangeFeedToken(true);
  REQUIRE(reader->Read(&change));
  CHECK_FALSE(change.all_accounts());
  REQUIRE(change.account_ids_size() == 1);
  CHECK(change.account_ids(0) == "account-1");

  // A school's new calendar changes every parent's home page.
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.ImportDocument("tayside-token", kTayside, kOneEvent, &summary).ok());
  REQUIRE(reader->Read(&change));
  CHECK(change.all_accounts());

  // A refused import changes nothing, so it reports nothing.
  CHECK_FALSE(fixture.ImportDocument("other-token", kTayside, kOneEvent, &summary).ok());
  fixture.ChangeFeedToken(false);
  REQUIRE(reader->Read(&change));
  CHECK_FALSE(change.all_accounts());

  // An operator's repair through a second connection to calendar.db drops
  // the token the home calendar kept in memory, at calendar's next
  // transaction (main runs one every 2 s).
  api::FeedToken token = fixture.ChangeFeedToken(true);
  REQUIRE(reader->Read(&change));
  REQUIRE(fixture.Home().feed_token().token() == token.token());
  absl::StatusOr<std::unique_ptr<CalendarStore>> other = CalendarStore::Open(fixture.DataDir());
  REQUIRE(other.ok());
  REQUIRE((*other)->DeleteFeedToken("account-1").ok());
  REQUIRE(fixture.store().NoticeOtherWriters().ok());
  REQUIRE(reader->Read(&change));
  CHECK(change.all_accounts());
  CHECK(fixture.Home().feed_token().token().empty());

  context.TryCancel();
  while (reader->Read(&change)) {
  }
  reader->Finish().IgnoreError();
}

TEST_CASE("home calendar fails on one bad school") {
  GrpcFixture fixture;
  api::HomeCalendarRequest request;
  request.set_account_id("account-1");
  *request.add_schools() = fixture.October();
  api::ListEventsRequest backwards = fixture.October();
  backwards.set_to("2026-09-01");
  *request.add_schools() = backwards;

  grpc::ClientContext context;
  api::HomeCalendar home;
  grpc::Status status = fixture.calendar_stub().GetHomeCalendar(&context, request, &home);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);

  api::HomeCalendarRequest crowded;
  crowded.set_account_id("account-1");
  for (int i = 0; i < 21; ++i) *crowded.add_schools() = fixture.October();
  grpc::ClientContext crowded_context;
  CHECK(fixture.calendar_stub().GetHomeCalendar(&crowded_context, crowded, &home).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_CASE("school list over gRPC checks the token") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.Import("tayside-token", kTayside, &summary).ok());

  grpc::ClientContext denied_context;
  denied_context.AddMetadata("authorization", "Bearer other-token");
  api::ListEventsResponse denied;
  CHECK(
      fixture.school_stub().ListEvents(&denied_context, fixture.October(), &denied).error_code() ==
      grpc::StatusCode::PERMISSION_DENIED);
  CHECK(denied.events_size() == 0);

  grpc::ClientContext allowed_context;
  allowed_context.AddMetadata("authorization", "Bearer tayside-token");
  api::ListEventsResponse allowed;
  REQUIRE(fixture.school_stub().ListEvents(&allowed_context, fixture.October(), &allowed).ok());
  CHECK(allowed.events_size() == 6);
}

TEST_CASE("bad list request over gRPC is INVALID_ARGUMENT") {
  GrpcFixture fixture;
  api::ListEventsRequest request = fixture.October();
  request.set_to("2026-09-01");
  grpc::ClientContext context;
  api::ListEventsResponse response;
  grpc::Status status = fixture.calendar_stub().ListEvents(&context, request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(status.error_message() ==
        "`to` (2026-09-01) must be after `from` (2026-10-01); the range is [from, to)");
}

TEST_CASE("school days over gRPC") {
  GrpcFixture fixture;
  api::ImportCalendarSummary summary;
  REQUIRE(fixture.Import("tayside-token", kTayside, &summary).ok());

  // Friday 9 October 2026, then the October holiday (12-16 October).
  grpc::ClientContext add_context;
  SetDeadline(add_context, absl::Seconds(10));
  api::AddSchoolDaysRequest add;
  add.set_seed_code(kTayside);
  add.set_date("2026-10-09");
  add.set_days(1);
  api::AddSchoolDaysResponse added;
  REQUIRE(fixture.calendar_stub().AddSchoolDays(&add_context, add, &added).ok());
  CHECK(added.date() == "2026-10-19");

  grpc::ClientContext day_context;
  SetDeadline(day_context, absl::Seconds(10));
  api::IsSchoolDayRequest is_day;
  is_day.set_seed_code(kTayside);
  is_day.set_date("2026-10-13");
  api::IsSchoolDayResponse answer;
  REQUIRE(fixture.calendar_stub().IsSchoolDay(&day_context, is_day, &answer).ok());
  CHECK_FALSE(answer.school_day());
  CHECK(answer.reason() == "holiday: October holiday");

  grpc::ClientContext bad_context;
  SetDeadline(bad_context, absl::Seconds(10));
  add.set_days(-1);
  CHECK(fixture.calendar_stub().AddSchoolDays(&bad_context, add, &added).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace pp::calendar
