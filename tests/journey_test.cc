// The parent's whole journey across the six binaries, over HTTP and gRPC:
// register, sign in with the emailed one-time password, change it, link to
// a child with a security code sent to the contact details the school holds,
// the school approves with schoolctl, the home page shows the child and the
// school's events, and the payments hand-off completes and forgets the
// parent's and child's details.
#include <grpcpp/client_context.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "parentsportal/payments.grpc.pb.h"
#include "server/server.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

namespace payments = parentsportal::payments::v1;
using pp::e2e::Capture;
using pp::e2e::FindInOutbox;
using pp::e2e::Page;

constexpr char kSchool[] = "5300011";
constexpr char kOtherSchool[] = "5300028";

// Returns every text value held in any table of the SQLite file at `path`.
std::string AllStoredText(const std::string& path) {
  sqlite3* db = nullptr;
  std::string text;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open " + path;
  }
  std::vector<std::string> tables;
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1, &statement,
                     nullptr);
  while (sqlite3_step(statement) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  for (const std::string& table : tables) {
    std::string sql = "SELECT * FROM \"" + table + "\"";
    sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
    while (sqlite3_step(statement) == SQLITE_ROW) {
      for (int column = 0; column < sqlite3_column_count(statement); ++column) {
        const unsigned char* value = sqlite3_column_text(statement, column);
        if (value != nullptr) text += std::string(reinterpret_cast<const char*>(value)) + "\n";
      }
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return text;
}

// A one-event calendar a week from today, so that the home page, which
// shows the coming weeks, has something to show whatever today is.
std::string CalendarWithEventNextWeek(const std::string& summary) {
  absl::Time next_week = absl::Now() + absl::Hours(24 * 7);
  std::string day = absl::FormatTime("%Y%m%d", next_week, absl::UTCTimeZone());
  std::string after = absl::FormatTime("%Y%m%d", next_week + absl::Hours(24), absl::UTCTimeZone());
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Journey test//EN\r\n"
         "BEGIN:VEVENT\r\nUID:sports-day@journey.test\r\nDTSTAMP:20260101T000000Z\r\n"
         "DTSTART;VALUE=DATE:" +
         day + "\r\nDTEND;VALUE=DATE:" + after +
         "\r\n"
         "SUMMARY:" +
         summary + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
}

}  // namespace

TEST_CASE("last log lines of an empty log") {
  CHECK(pp::e2e::LastLines("", 15).empty());
  CHECK(pp::e2e::LastLines("one\ntwo\nthree\n", 2) == "two\nthree\n");
  CHECK(pp::e2e::LastLines("one\ntwo\n", 15) == "one\ntwo\n");
}

TEST_CASE("parent journey from registration to payment") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  INFO("service logs:\n" << suite.Logs());
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());

  // The school gets its token and loads its roster and calendar.
  pp::e2e::CommandResult issued =
      suite.Schoolctl({"admin", "issue-token", "--school", kSchool, "--operator_token_file",
                       suite.DataDir("identity") + "/operator-token"});
  REQUIRE(issued.exit_code == 0);
  std::string token = issued.output.substr(0, issued.output.find('\n'));
  REQUIRE(token.size() >= 32);

  pp::e2e::CommandResult synced =
      suite.Schoolctl({"--school", kSchool, "sync-roster", std::string(PP_DEMO_DIR) + "/pupils.csv",
                       std::string(PP_DEMO_DIR) + "/contacts.csv"},
                      token);
  INFO("sync-roster printed:\n" << synced.output);
  REQUIRE(synced.exit_code == 0);
  CHECK(synced.output.find("pupils loaded: 200") != std::string::npos);

  files.WriteFile("school.ics", CalendarWithEventNextWeek("Sports day"));
  pp::e2e::CommandResult imported =
      suite.Schoolctl({"--school", kSchool, "import-calendar", files.Path("school.ics")}, token);
  REQUIRE(imported.exit_code == 0);
  CHECK(imported.output.find("events imported: 1") != std::string::npos);

  // Karen Taylor, mother of Noah McDonald in the demo roster, registers with
  // an address the school does not hold.
  REQUIRE(browser.Get("/register").status == 200);
  Page registered = browser.Post("/register", {{"forename", "Karen"},
                                               {"surname", "Taylor"},
                                               {"email", "karen.taylor@example.net"},
                                               {"postcode", "PH3 2QY"},
                                               {"gender", "female"},
                                               {"date_of_birth", "1984-03-09"}});
  REQUIRE(registered.status == 303);
  CHECK(registered.location.rfind("/sign-in", 0) == 0);

  std::string one_time_password =
      FindInOutbox(suite.OutboxDir(), "karen.taylor@example.net", "One-time password: (\\S+)");
  REQUIRE_FALSE(one_time_password.empty());

  // The one-time password signs in but must be changed first.
  REQUIRE(browser.Get("/sign-in").status == 200);
  Page signed_in = browser.Post(
      "/sign-in", {{"username", "karen.taylor@example.net"}, {"password", one_time_password}});
  REQUIRE(signed_in.status == 303);
  CHECK(signed_in.location == "/change-password");
  CHECK(browser.Get("/").status == 303);

  REQUIRE(browser.Get("/change-password").status == 200);
  Page changed = browser.Post("/change-password", {{"current_password", one_time_password},
                                                   {"new_password", "a long new passphrase"}});
  REQUIRE(changed.status == 303);
  REQUIRE(browser.Get("/").status == 200);

  // A mismatch reads the same generic message; the right details go on.
  REQUIRE(browser.Get("/link").status == 200);
  std::map<std::string, std::string> child = {{"child_forename", "Noah"},
                                              {"child_surname", "McDonald"},
                                              {"child_date_of_birth", "2020-10-02"},
                                              {"stage", "P3"},
                                              {"postcode", "PH3 2QY"}};
  Page mismatch = browser.Post("/link", child);
  CHECK(mismatch.status == 422);
  CHECK(mismatch.body.find("did not match the school") != std::string::npos);

  child["child_date_of_birth"] = "2020-10-01";
  Page matched = browser.Post("/link", child);
  REQUIRE(matched.status == 303);
  CHECK(matched.location == "/link/code");

  // The code goes to the email address the school holds.
  Page channels = browser.Get("/link/code");
  REQUIRE(channels.status == 200);
  CHECK(channels.body.find("value=\"email\"") != std::string::npos);
  Page sent = browser.Post("/link/code", {{"channel", "email"}});
  REQUIRE(sent.status == 303);
  REQUIRE(browser.Get(sent.location).status == 200);
  std::string code =
      FindInOutbox(suite.OutboxDir(), "karen.taylor72@example.com", "Security code: ([0-9]{6})");
  REQUIRE(code.size() == 6);
  CHECK(FindInOutbox(suite.OutboxDir(), "karen.taylor@example.net", "Security code: ([0-9]{6})",
                     absl::ZeroDuration())
            .empty());

  Page confirmed = browser.Post("/link/code", {{"code", code}});
  REQUIRE(confirmed.status == 303);

  // The school lists the request, rejects other tokens, and approves it.
  pp::e2e::CommandResult pending =
      suite.Schoolctl({"--school", kSchool, "requests", "--state", "pending"}, token);
  REQUIRE(pending.exit_code == 0);
  std::string request_id = pending.output.substr(0, pending.output.find('\t'));
  REQUIRE_FALSE(request_id.empty());
  CHECK(pending.output.find("0700000001") != std::string::npos);

  CHECK(suite.Schoolctl({"--school", kSchool, "requests"}, "not-a-token").exit_code == 1);
  CHECK(suite.Schoolctl({"--school", kOtherSchool, "requests"}, token).exit_code == 1);

  pp::e2e::CommandResult approved =
      suite.Schoolctl({"--school", kSchool, "decide", request_id, "approve"}, token);
  INFO("decide printed:\n" << approved.output);
  REQUIRE(approved.exit_code == 0);
  CHECK(approved.output.find("approved") != std::string::npos);

  // The home page shows the child and the school's events.
  Page home = browser.Get("/");
  REQUIRE(home.status == 200);
  CHECK(home.body.find("Noah") != std::string::npos);
  CHECK(home.body.find("Sports day") != std::string::npos);
  std::string child_id = Capture(home.body, "/children/([A-Za-z0-9_-]+)");
  REQUIRE_FALSE(child_id.empty());

  Page child_page = browser.Get("/children/" + child_id);
  REQUIRE(child_page.status == 200);
  CHECK(child_page.body.find("Tayside Primary School") != std::string::npos);

  // The month view and the calendar feeds. A calendar app fetches a feed
  // without cookies, and a revoked address stops working.
  Page month = browser.Get("/children/" + child_id + "/calendar");
  REQUIRE(month.status == 200);
  CHECK(month.body.find("aria-current=\"date\"") != std::string::npos);
  REQUIRE(browser.Post("/calendar/feed/replace", {}).status == 303);
  Page with_feed = browser.Get("/");
  std::string feed_path =
      Capture(with_feed.body, "<code>http://[^/<]+(/calendar/[A-Za-z0-9_-]{43}\\.ics)</code>");
  REQUIRE_FALSE(feed_path.empty());
  httplib::Client calendar_app("127.0.0.1", suite.HttpPort());
  httplib::Result feed = calendar_app.Get(feed_path);
  REQUIRE(feed);
  CHECK(feed->status == 200);
  CHECK(feed->get_header_value("Content-Type") == "text/calendar; charset=utf-8");
  CHECK(feed->body.rfind("BEGIN:VCALENDAR\r\n", 0) == 0);
  CHECK(feed->body.find("Sports day") != std::string::npos);
  CHECK(feed->body.find("Christmas Day") != std::string::npos);
  httplib::Result unchanged =
      calendar_app.Get(feed_path, {{"If-None-Match", feed->get_header_value("ETag")}});
  REQUIRE(unchanged);
  CHECK(unchanged->status == 304);
  CHECK(unchanged->body.empty());
  httplib::Result school_feed =
      calendar_app.Get(std::string("/schools/") + kSchool + "/calendar.ics");
  REQUIRE(school_feed);
  CHECK(school_feed->status == 200);
  CHECK(school_feed->body.find("Sports day") != std::string::npos);
  REQUIRE(browser.Post("/calendar/feed/revoke", {}).status == 303);
  httplib::Result revoked = calendar_app.Get(feed_path);
  REQUIRE(revoked);
  CHECK(revoked->status == 404);

  // The payments hand-off reaches the provider, completes, and deletes the personal data.
  Page handoff = browser.Post("/services/payments", {{"child", child_id}, {"service", "trips"}});
  REQUIRE(handoff.status == 200);
  std::string handoff_token = Capture(handoff.body, "name=\"token\" value=\"([^\"]+)\"");
  REQUIRE_FALSE(handoff_token.empty());
  std::string provider_origin = "http://127.0.0.1:" + std::to_string(suite.ProviderPort());
  CHECK(handoff.body.find(provider_origin + "/pay") != std::string::npos);

  // An independent JWT library accepts the assertion against the published keys.
  std::string portal_origin = "http://127.0.0.1:" + std::to_string(suite.HttpPort());
  pp::e2e::CommandResult verified = pp::e2e::RunCommand(
      {"/usr/bin/python3", PP_PYJWT_CHECK, portal_origin + "/.well-known/jwks.json", handoff_token,
       provider_origin, portal_origin});
  INFO("PyJWT printed: " << verified.output);
  CHECK(verified.exit_code == 0);

  httplib::Client provider("127.0.0.1", suite.ProviderPort());
  auto redeemed = provider.Post("/pay", httplib::Params{{"token", handoff_token}});
  REQUIRE(redeemed);
  REQUIRE(redeemed->status == 200);
  CHECK(redeemed->body.find("0700000001") != std::string::npos);
  CHECK(redeemed->body.find("Noah") == std::string::npos);
  std::string handoff_id = Capture(redeemed->body, "name=\"handoff_id\" value=\"([^\"]+)\"");
  REQUIRE_FALSE(handoff_id.empty());

  auto replayed = provider.Post("/pay", httplib::Params{{"token", handoff_token}});
  REQUIRE(replayed);
  CHECK(replayed->status == 400);

  auto completed = provider.Post("/pay/complete", httplib::Params{{"handoff_id", handoff_id}});
  REQUIRE(completed);
  CHECK(completed->status == 303);

  auto payments_stub =
      payments::Handoff::NewStub(pp::MakeChannel(suite.Address("payments-handoff")));
  grpc::ClientContext context;
  pp::SetDeadline(context, absl::Seconds(5));
  payments::GetStatusRequest status_request;
  status_request.set_handoff_id(handoff_id);
  payments::HandoffStatus status;
  REQUIRE(payments_stub->GetStatus(&context, status_request, &status).ok());
  CHECK(status.state() == payments::COMPLETED);
  CHECK_FALSE(status.holds_personal_data());

  std::string stored = AllStoredText(suite.DataDir("payments-handoff") + "/payments-handoff.db");
  CHECK(stored.find("Noah") == std::string::npos);
  CHECK(stored.find("Karen") == std::string::npos);
  CHECK(stored.find("karen.taylor@example.net") == std::string::npos);
  std::string db = suite.DataDir("payments-handoff") + "/payments-handoff.db";
  CHECK(pp::ReadFile(db).find("0700000001") == std::string::npos);
  CHECK(pp::ReadFile(db + "-wal").find("0700000001") == std::string::npos);

  Page receipts = browser.Get("/services/payments/receipts");
  REQUIRE(receipts.status == 200);
  CHECK(receipts.body.find("Sandbox payments") != std::string::npos);
  CHECK(receipts.body.find("Completed (paid)") != std::string::npos);

  // The account page lists the messages notification sent for this
  // account, such as the one-time password, and offers the choices.
  Page account = browser.Get("/account");
  REQUIRE(account.status == 200);
  CHECK(account.body.find(">One-time password</dt>") != std::string::npos);
  CHECK(account.body.find("cannot be shown right now") == std::string::npos);
  CHECK(account.body.find("action=\"/account/preferences\"") != std::string::npos);

  // The school ends the link, which needs a reason for the history. The
  // parent's next page no longer offers the child, although the gateway
  // kept the page's links.
  CHECK(suite.Schoolctl({"--school", kSchool, "revoke", request_id}, token).exit_code == 2);
  pp::e2e::CommandResult revoked_link = suite.Schoolctl(
      {"--school", kSchool, "revoke", request_id, "--reason", "Court order"}, token);
  INFO("revoke printed:\n" << revoked_link.output);
  REQUIRE(revoked_link.exit_code == 0);
  CHECK(revoked_link.output.find("ended") != std::string::npos);
  Page after_revoke = browser.Get("/");
  REQUIRE(after_revoke.status == 200);
  CHECK(after_revoke.body.find("/children/" + child_id) == std::string::npos);
  CHECK(after_revoke.body.find("Ended") != std::string::npos);
  CHECK(browser.Get("/children/" + child_id).status == 404);

  // Signing out ends the session.
  REQUIRE(browser.Get("/").status == 200);
  CHECK(browser.Post("/sign-out", {}).status == 303);
  CHECK(browser.Get("/").body.find("Noah") == std::string::npos);

  // Every binary drains and exits cleanly on SIGTERM.
  CHECK(suite.StopAll().empty());
}

TEST_CASE("roster sync reports a malformed row and loads the rest") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  INFO("service logs:\n" << suite.Logs());
  pp::e2e::CommandResult issued =
      suite.Schoolctl({"admin", "issue-token", "--school", kSchool, "--operator_token_file",
                       suite.DataDir("identity") + "/operator-token"});
  REQUIRE(issued.exit_code == 0);
  std::string token = issued.output.substr(0, issued.output.find('\n'));

  std::string header =
      "seed_code,school_name,pupil_ref,forename,preferred_forename,surname,date_of_birth,stage,"
      "address_line1,address_line2,town,postcode\r\n";
  files.WriteFile("pupils.csv",
                  "\xEF\xBB\xBF" + header +
                      "5300011,Tayside Primary School,P1,Noah,,McDonald,01/10/2020,P3,1 Road,,"
                      "Perth,PH3 2QY\r\n"
                      "5300011,Tayside Primary School,P2,Ava,,Ross,31/02/2019,P4,2 Road,,"
                      "Perth,PH3 2QY\r\n"
                      "5300011,Tayside Primary School,P3,Isla,,Ní Bhriain,05/05/2018,P5,3 Road,,"
                      "Perth,PH3 2QY\r\n");
  files.WriteFile("contacts.csv",
                  "seed_code,pupil_ref,contact_ref,title,forename,surname,relationship,"
                  "parental_responsibility,lives_with_pupil,email,mobile,address_line1,"
                  "address_line2,town,postcode,priority\r\n"
                  "5300011,P1,C1,Mrs,Karen,McDonald,Mother,Y,Y,karen@example.com,07294 053474,"
                  "1 Road,,Perth,PH3 2QY,1\r\n");

  pp::e2e::CommandResult synced = suite.Schoolctl(
      {"--school", kSchool, "sync-roster", files.Path("pupils.csv"), files.Path("contacts.csv")},
      token);
  INFO("sync-roster printed:\n" << synced.output);
  CHECK(synced.exit_code == 3);
  CHECK(synced.output.find("pupils loaded: 2") != std::string::npos);
  CHECK(synced.output.find("pupils.csv row 3: ") != std::string::npos);
}
