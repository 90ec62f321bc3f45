// Dependencies down: with the gateway running, each service in turn is
// stopped, or frozen so that it accepts connections and never answers. The
// parent's pages that need it must answer 503 with Retry-After and a page
// saying the service is unavailable, within the gateway's deadlines, and
// must work again by themselves once the service is back.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "fault_harness.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

using pp::e2e::Page;

// A page a parent asks for, and the service it cannot be served without.
struct Dependency {
  std::string service;
  std::string method;
  std::string path;
  std::map<std::string, std::string> form;
  // True when the gateway serves the page from memory while the service is frozen.
  bool kept_while_frozen = false;
};

Page Ask(pp::e2e::WebSession& browser, const Dependency& dependency) {
  if (dependency.method == "GET") return browser.Get(dependency.path);
  return browser.Post(dependency.path, dependency.form);
}

void RequireUnavailablePage(const Page& page) {
  INFO("status " << page.status << ", body:\n" << page.body.substr(0, 600));
  // WebSession gives status 0 when the gateway did not answer within its
  // 20-second read timeout: a hang.
  REQUIRE(page.status != 0);
  CHECK(page.status == 503);
  CHECK_FALSE(page.retry_after.empty());
  CHECK(page.body.find("service is unavailable") != std::string::npos);
}

// Asks until the page is served normally again, for up to a minute, and
// returns the attempts it took (0 when it never recovered). A form that
// reaches the service again is answered with 303 (matched) or 422 (no
// match), never 503.
int WaitForRecovery(pp::e2e::WebSession& browser, const Dependency& dependency) {
  for (int attempt = 1; attempt <= 120; ++attempt) {
    Page page = Ask(browser, dependency);
    if (page.status == 200 || page.status == 303 || page.status == 422) return attempt;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return 0;
}

}  // namespace

TEST_CASE("gateway shows 503 while a service is down and recovers") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  pp::e2e::CommandResult issued =
      suite.Schoolctl({"admin", "issue-token", "--school", "5300011", "--operator_token_file",
                       suite.DataDir("identity") + "/operator-token"});
  REQUIRE(issued.exit_code == 0);
  files.WriteFile("school.ics",
                  "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fault tests//EN\r\n"
                  "BEGIN:VEVENT\r\nUID:open-day@faults.test\r\nDTSTAMP:20260101T000000Z\r\n"
                  "DTSTART;VALUE=DATE:20261010\r\nSUMMARY:Open day\r\nEND:VEVENT\r\n"
                  "END:VCALENDAR\r\n");
  REQUIRE(suite
              .Schoolctl({"--school", "5300011", "import-calendar", files.Path("school.ics")},
                         issued.output.substr(0, issued.output.find('\n')))
              .exit_code == 0);
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");
  pp::e2e::WebSession visitor("127.0.0.1", suite.HttpPort());

  // The home page still opens without calendar because it leaves the
  // events out, so the school's published feed tests calendar. It also
  // opens without identity while the gateway keeps the last confirmed
  // session (a few seconds), so the account page, which requests the
  // sign-in history from identity, tests identity. A frozen
  // link-verification keeps its watch stream open, so the home page opens
  // with the links the gateway kept, until the stream's keepalive pings go
  // unacknowledged (a ping after 10 s without data, then 5 s to
  // acknowledge it) and the gateway drops them. Nothing can change them
  // meanwhile, because only link-verification writes its store. A stopped
  // one ends the stream at once.
  const std::vector<Dependency> dependencies = {
      {"identity", "GET", "/account", {}},
      {"link-verification", "GET", "/", {}, true},
      {"link-verification",
       "POST",
       "/link",
       {{"child_forename", "Noah"},
        {"child_surname", "McDonald"},
        {"child_date_of_birth", "2020-10-01"},
        {"stage", "P3"},
        {"postcode", "PH3 2QY"}}},
      {"calendar", "GET", "/schools/5300011/calendar.ics", {}},
      {"payments-handoff", "GET", "/services/payments/receipts", {}},
  };
  for (const Dependency& dependency : dependencies) {
    INFO(dependency.method << " " << dependency.path << " without " << dependency.service);
    REQUIRE(WaitForRecovery(browser, dependency) == 1);

    // Stopped: connections are refused.
    REQUIRE(suite.process(dependency.service).Stop() == 0);
    RequireUnavailablePage(Ask(browser, dependency));
    suite.Restart(dependency.service);
    int attempts = WaitForRecovery(browser, dependency);
    CHECK(attempts > 0);
    WARN(dependency.service << " stopped: " << dependency.path << " served again after " << attempts
                            << " attempts");

    // Frozen: connections are accepted and never answered, so only the
    // gateway's deadlines end the request.
    REQUIRE(suite.process(dependency.service).Freeze());
    if (dependency.kept_while_frozen) {
      CHECK(Ask(browser, dependency).status == 200);
      // The gateway notices the frozen service from its watch stream, as
      // it would a network fault that cut the connection silently.
      auto frozen_at = std::chrono::steady_clock::now();
      Page page = Ask(browser, dependency);
      while (page.status == 200 &&
             std::chrono::steady_clock::now() - frozen_at < std::chrono::seconds(40)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        page = Ask(browser, dependency);
      }
      RequireUnavailablePage(page);
      WARN(dependency.service << " frozen: kept " << dependency.path << " dropped after "
                              << std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::steady_clock::now() - frozen_at)
                                     .count()
                              << " s");
    } else {
      RequireUnavailablePage(Ask(browser, dependency));
    }
    suite.process(dependency.service).Thaw();
    attempts = WaitForRecovery(browser, dependency);
    CHECK(attempts > 0);
    WARN(dependency.service << " frozen: " << dependency.path << " served again after " << attempts
                            << " attempts");
  }

  // Registering needs notification behind identity: without it the parent
  // is told to try again, and no account is left half-made.
  REQUIRE(suite.process("notification").Stop() == 0);
  REQUIRE(visitor.Get("/register").status == 200);
  Page registered = visitor.Post("/register", {{"forename", "Fiona"},
                                               {"surname", "Stewart"},
                                               {"email", "fiona.stewart@example.net"},
                                               {"postcode", "PH2 1EW"},
                                               {"gender", "female"},
                                               {"date_of_birth", "1980-05-17"}});
  RequireUnavailablePage(registered);
  suite.Restart("notification");
  bool recovered = false;
  for (int attempt = 0; attempt < 60 && !recovered; ++attempt) {
    REQUIRE(visitor.Get("/register").status == 200);
    Page again = visitor.Post("/register", {{"forename", "Fiona"},
                                            {"surname", "Stewart"},
                                            {"email", "fiona.stewart@example.net"},
                                            {"postcode", "PH2 1EW"},
                                            {"gender", "female"},
                                            {"date_of_birth", "1980-05-17"}});
    recovered = again.status == 303;
    if (!recovered) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  CHECK(recovered);
  CHECK_FALSE(
      pp::faults::FindInOutbox(suite, "fiona.stewart@example.net", "One-time password: (\\S+)")
          .empty());
}
