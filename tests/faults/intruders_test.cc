// Intruders try a child they are not linked to, a school token for another
// school, a session cookie kept after sign-out or a password change, a form
// without the session's CSRF token, and a payment hand-off used twice.
// Every attempt must be rejected, and the gateway's access log must show it.
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <thread>

#include "fault_harness.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

using pp::e2e::Capture;
using pp::e2e::Page;

constexpr char kSchool[] = "5300011";
constexpr char kOtherSchool[] = "5300028";

// Returns the headers of a provider callback carrying `body`, signed with
// the sandbox provider's secret at now + `offset_seconds`.
httplib::Headers CallbackHeaders(const std::string& body, int offset_seconds) {
  std::string timestamp = std::to_string(std::time(nullptr) + offset_seconds);
  return {{"Payment-Provider", "sandbox"},
          {"Payment-Timestamp", timestamp},
          {"Payment-Signature", pp::faults::SignCallback(timestamp, body)}};
}

// Counts the gateway's access-log lines with status 403 or 404. The gateway
// logs a request after sending the response, so the count waits up to a
// second to reach `expected`.
int LoggedRefusals(pp::e2e::Suite& suite, int expected = 0) {
  int count = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::string log = pp::ReadFile(suite.process("gateway").log());
    count = 0;
    for (const std::string status : {"status=403", "status=404"}) {
      for (size_t at = log.find(status); at != std::string::npos; at = log.find(status, at + 1)) {
        ++count;
      }
    }
    if (count >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return count;
}

}  // namespace

TEST_CASE("parents cannot reach children they are not linked to") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  pp::faults::LoadDemoRoster(suite, token);
  pp::e2e::WebSession karen("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, karen, "karen.taylor@example.net", "a long new passphrase");
  std::string child_id = pp::faults::LinkNoah(suite, karen, token);

  // Another parent, signed in but linked to nobody, guesses ids: Noah's
  // real id, ids that look like it, and small numbers.
  pp::e2e::WebSession intruder("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, intruder, "mallory@example.net", "another long passphrase");
  std::vector<std::string> guesses = {
      child_id, "0700000001", "1", "0", "-1", "2", child_id.substr(0, child_id.size() - 1) + "A"};
  for (int i = 0; i < 40; ++i) guesses.push_back(std::to_string(i));
  int attempts = 0;
  int refusals_before = LoggedRefusals(suite);
  for (const std::string& guess : guesses) {
    INFO("guessed child id " << guess);
    Page child = intruder.Get("/children/" + guess);
    CHECK((child.status == 404 || child.status == 403));
    CHECK(child.body.find("Noah") == std::string::npos);
    Page month = intruder.Get("/children/" + guess + "/calendar");
    CHECK((month.status == 404 || month.status == 403));
    CHECK(month.body.find("Tayside") == std::string::npos);
    REQUIRE(intruder.Get("/").status == 200);
    Page paid = intruder.Post("/services/payments", {{"child", guess}, {"service", "trips"}});
    CHECK((paid.status == 404 || paid.status == 403));
    CHECK(paid.body.find("name=\"token\"") == std::string::npos);
    attempts += 3;
  }
  int refusals = LoggedRefusals(suite, refusals_before + attempts) - refusals_before;
  WARN("child ids guessed: " << attempts << " attempts, " << refusals << " refusals logged");
  CHECK(refusals == attempts);

  // Karen still sees her child: the refusals are about the intruder.
  CHECK(karen.Get("/children/" + child_id).status == 200);
}

TEST_CASE("school tokens work for their own school only") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string other_token = pp::faults::IssueToken(suite, kOtherSchool);
  files.WriteFile("pupils.csv",
                  "seed_code,school_name,pupil_ref,forename,preferred_forename,surname,"
                  "date_of_birth,stage,address_line1,address_line2,town,postcode\r\n"
                  "5300011,Tayside Primary School,P1,Noah,,McDonald,01/10/2020,P3,1 Road,,"
                  "Perth,PH3 2QY\r\n");
  files.WriteFile("contacts.csv",
                  "seed_code,pupil_ref,contact_ref,title,forename,surname,relationship,"
                  "parental_responsibility,lives_with_pupil,email,mobile,address_line1,"
                  "address_line2,town,postcode,priority\r\n"
                  "5300011,P1,C1,Mrs,Karen,McDonald,Mother,Y,Y,karen@example.com,07294 053474,"
                  "1 Road,,Perth,PH3 2QY,1\r\n");
  files.WriteFile("school.ics",
                  "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Intruder//EN\r\nBEGIN:VEVENT\r\n"
                  "UID:x@intruder.test\r\nDTSTAMP:20260101T000000Z\r\n"
                  "DTSTART;VALUE=DATE:20261010\r\nSUMMARY:School closed\r\nEND:VEVENT\r\n"
                  "END:VCALENDAR\r\n");

  // Each command run as kSchool with the other school's token, and as the
  // other school with kSchool's token.
  std::vector<std::vector<std::string>> commands = {
      {"sync-roster", files.Path("pupils.csv"), files.Path("contacts.csv")},
      {"requests"},
      {"requests", "--state", "pending"},
      {"decide", "1", "approve"},
      {"import-calendar", files.Path("school.ics")},
  };
  int attempts = 0;
  for (const auto& command : commands) {
    for (const auto& [school, wrong_token] : std::vector<std::pair<std::string, std::string>>{
             {kSchool, other_token}, {kOtherSchool, token}}) {
      std::vector<std::string> args = {"--school", school};
      args.insert(args.end(), command.begin(), command.end());
      pp::e2e::CommandResult result = suite.Schoolctl(args, wrong_token);
      INFO(command[0] << " for " << school << " printed: " << result.output);
      CHECK(result.exit_code != 0);
      ++attempts;
    }
  }
  WARN("school token used for another school: " << attempts << " attempts refused");

  // Nothing the refused commands carried was stored.
  pp::e2e::CommandResult events = suite.Schoolctl({"--school", kSchool, "requests"}, token);
  CHECK(events.exit_code == 0);
  httplib::Client calendar_app("127.0.0.1", suite.HttpPort());
  for (const std::string school : {kSchool, kOtherSchool}) {
    httplib::Result feed = calendar_app.Get("/schools/" + school + "/calendar.ics");
    REQUIRE(feed);
    CHECK(feed->body.find("School closed") == std::string::npos);
  }
}

TEST_CASE("old session cookies stop working") {
  pp::e2e::Suite suite;
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");

  // After sign-out, the cookie the browser had is refused.
  std::string signed_out = browser.Cookie("pp_session");
  REQUIRE_FALSE(signed_out.empty());
  REQUIRE(browser.Post("/sign-out", {}).status == 303);
  pp::e2e::WebSession replay("127.0.0.1", suite.HttpPort());
  replay.SetCookie("pp_session", signed_out);
  Page home = replay.Get("/");
  CHECK(home.status == 303);
  CHECK(home.location.rfind("/sign-in", 0) == 0);
  CHECK(replay.Get("/account").status == 303);

  // After a password change in one browser, a session from another browser
  // is refused.
  pp::e2e::WebSession laptop("127.0.0.1", suite.HttpPort());
  pp::e2e::WebSession phone("127.0.0.1", suite.HttpPort());
  for (pp::e2e::WebSession* device : {&laptop, &phone}) {
    REQUIRE(device->Get("/sign-in").status == 200);
    REQUIRE(device
                ->Post("/sign-in", {{"username", "karen.taylor@example.net"},
                                    {"password", "a long new passphrase"}})
                .status == 303);
    REQUIRE(device->Get("/").status == 200);
  }
  std::string phone_session = phone.Cookie("pp_session");
  REQUIRE(laptop.Get("/change-password").status == 200);
  REQUIRE(laptop
              .Post("/change-password", {{"current_password", "a long new passphrase"},
                                         {"new_password", "a different passphrase"}})
              .status == 303);
  CHECK(laptop.Get("/").status == 200);
  pp::e2e::WebSession stolen("127.0.0.1", suite.HttpPort());
  stolen.SetCookie("pp_session", phone_session);
  Page after_change = stolen.Get("/");
  CHECK(after_change.status == 303);
  CHECK(after_change.location.rfind("/sign-in", 0) == 0);
}

TEST_CASE("forms posted without the session's CSRF token are refused") {
  pp::e2e::Suite suite;
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");
  REQUIRE(browser.Get("/").status == 200);

  // A page on another site can make the browser post with its cookies but
  // cannot read the CSRF token: it sends none, or one it made up.
  const std::vector<std::string> forms = {"/sign-out",
                                          "/change-password",
                                          "/link",
                                          "/link/code",
                                          "/services/payments",
                                          "/calendar/feed/replace",
                                          "/calendar/feed/revoke"};
  int attempts = 0;
  for (const std::string& path : forms) {
    for (const std::string forged : {"", "forged-token"}) {
      INFO("POST " << path << " with CSRF token '" << forged << "'");
      Page page = browser.Post(path, {{"csrf_token", forged},
                                      {"current_password", "a long new passphrase"},
                                      {"new_password", "chosen by an attacker"},
                                      {"child", "1"}});
      CHECK(page.status == 403);
      ++attempts;
    }
  }
  WARN("forged form posts: " << attempts << " attempts refused");
  // The session survived: the forged sign-out did not sign the parent out,
  // and the password was not changed.
  CHECK(browser.Get("/").status == 200);
  pp::e2e::WebSession check("127.0.0.1", suite.HttpPort());
  REQUIRE(check.Get("/sign-in").status == 200);
  CHECK(check
            .Post("/sign-in",
                  {{"username", "karen.taylor@example.net"}, {"password", "a long new passphrase"}})
            .status == 303);
}

TEST_CASE("hand-off tokens and provider callbacks work once") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  pp::faults::LoadDemoRoster(suite, token);
  pp::e2e::WebSession karen("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, karen, "karen.taylor@example.net", "a long new passphrase");
  std::string child_id = pp::faults::LinkNoah(suite, karen, token);

  Page handoff = karen.Post("/services/payments", {{"child", child_id}, {"service", "trips"}});
  REQUIRE(handoff.status == 200);
  std::string handoff_token = Capture(handoff.body, "name=\"token\" value=\"([^\"]+)\"");
  REQUIRE_FALSE(handoff_token.empty());

  // The provider accepts the token once; a replay of it is refused.
  httplib::Client provider("127.0.0.1", suite.ProviderPort());
  auto accepted = provider.Post("/pay", httplib::Params{{"token", handoff_token}});
  REQUIRE(accepted);
  REQUIRE(accepted->status == 200);
  std::string handoff_id = Capture(accepted->body, "name=\"handoff_id\" value=\"([^\"]+)\"");
  REQUIRE_FALSE(handoff_id.empty());
  int attempts = 0;
  for (int replay = 0; replay < 3; ++replay) {
    auto replayed = provider.Post("/pay", httplib::Params{{"token", handoff_token}});
    REQUIRE(replayed);
    CHECK(replayed->status == 400);
    ++attempts;
  }

  // The portal applies a signed completion once: the same event again is
  // answered as a replay, and a later event cannot change the outcome.
  httplib::Client portal("127.0.0.1", suite.HttpPort());
  std::string paid = "{\"event_id\":\"evt-fault-1\",\"handoff_id\":\"" + handoff_id +
                     "\",\"outcome\":\"paid\",\"provider_reference\":\"ref-1\"}";
  auto first = portal.Post("/services/payments/callback", CallbackHeaders(paid, 0), paid,
                           "application/json");
  REQUIRE(first);
  INFO("first callback: " << first->body);
  REQUIRE(first->status == 200);
  CHECK(first->body.find("\"replayed\":false") != std::string::npos);
  for (int replay = 0; replay < 3; ++replay) {
    auto again = portal.Post("/services/payments/callback", CallbackHeaders(paid, 0), paid,
                             "application/json");
    REQUIRE(again);
    CHECK(again->body.find("\"replayed\":true") != std::string::npos);
    ++attempts;
  }
  std::string failed = "{\"event_id\":\"evt-fault-2\",\"handoff_id\":\"" + handoff_id +
                       "\",\"outcome\":\"failed\",\"provider_reference\":\"ref-2\"}";
  portal.Post("/services/payments/callback", CallbackHeaders(failed, 0), failed,
              "application/json");
  ++attempts;
  // A signed event from an hour ago, and one with a signature from another
  // secret, are refused outright.
  auto stale = portal.Post("/services/payments/callback", CallbackHeaders(failed, -3600), failed,
                           "application/json");
  REQUIRE(stale);
  CHECK(stale->status >= 400);
  CHECK(stale->status < 500);
  httplib::Headers forged = CallbackHeaders(failed, 0);
  forged.erase("Payment-Signature");
  forged.emplace("Payment-Signature", "v1=" + std::string(64, '0'));
  auto unsigned_event =
      portal.Post("/services/payments/callback", forged, failed, "application/json");
  REQUIRE(unsigned_event);
  CHECK(unsigned_event->status >= 400);
  CHECK(unsigned_event->status < 500);
  attempts += 2;

  Page receipts = karen.Get("/services/payments/receipts");
  REQUIRE(receipts.status == 200);
  CHECK(receipts.body.find("Completed (paid)") != std::string::npos);
  CHECK(receipts.body.find("failed") == std::string::npos);
  WARN("hand-off and callback replays: " << attempts << " attempts, none applied");
}
