// Cross-site request forgery with everything but the origin right: another
// site's page posts each of the portal's forms with the parent's cookies and
// a valid CSRF token, as it could if the token ever leaked. The gateway
// must reject every post by its Origin header, change nothing in any
// service's store, and log each rejection.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fault_harness.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

using pp::e2e::Capture;
using pp::e2e::Page;

constexpr char kSchool[] = "5300011";
constexpr char kPassword[] = "a long new passphrase";

// Returns how many times `text` contains `word`.
int CountOf(const std::string& text, const std::string& word) {
  int count = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    ++count;
  }
  return count;
}

// Posts forms as a page on another origin would make the parent's browser
// post them: with the browser's cookies and, unlike a real attacker, the
// session's valid CSRF token.
class ForeignSite {
 public:
  ForeignSite(const pp::e2e::Suite& suite, const pp::e2e::WebSession& browser,
              const std::string& csrf_token)
      : suite_(suite), browser_(browser), csrf_token_(csrf_token) {}

  // Posts `fields` to `path` once from each foreign origin and checks that
  // every post is rejected with 403 and sets no session cookie.
  void PostFromEachOrigin(const std::string& path, std::map<std::string, std::string> fields) {
    std::string port = std::to_string(suite_.HttpPort());
    // Another site, a sandboxed frame, another port and scheme of the same
    // host, and a host that merely starts with the portal's.
    const std::vector<std::string> origins = {"https://attacker.example", "null",
                                              "http://127.0.0.1:1", "https://127.0.0.1:" + port,
                                              "http://127.0.0.1:" + port + ".attacker.example"};
    fields["csrf_token"] = csrf_token_;
    for (const std::string& origin : origins) {
      INFO("POST " << path << " from Origin " << origin);
      httplib::Result result = Post(path, fields, origin);
      REQUIRE(result);
      CHECK(result->status == 403);
      CHECK(result->body.find("This form was sent from another site") != std::string::npos);
      for (const auto& [name, value] : result->headers) {
        if (name == "Set-Cookie") CHECK(value.find("pp_session=") != 0);
      }
      ++attempts_;
    }
  }

  // Posts `fields` to `path` with the token, the cookies and `origin`.
  httplib::Result Post(const std::string& path, const std::map<std::string, std::string>& fields,
                       const std::string& origin) {
    httplib::Client client("127.0.0.1", suite_.HttpPort());
    httplib::Headers headers = {{"Cookie", "pp_session=" + browser_.Cookie("pp_session") +
                                               "; pp_csrf=" + browser_.Cookie("pp_csrf")},
                                {"Origin", origin}};
    httplib::Params params(fields.begin(), fields.end());
    if (params.find("csrf_token") == params.end()) params.emplace("csrf_token", csrf_token_);
    return client.Post(path.c_str(), headers, params);
  }

  int attempts() const { return attempts_; }

 private:
  const pp::e2e::Suite& suite_;
  const pp::e2e::WebSession& browser_;
  const std::string csrf_token_;
  int attempts_ = 0;
};

// Returns every row of `table` in a service's store, to compare before and
// after the forged posts.
std::vector<std::string> Rows(const pp::e2e::Suite& suite, const std::string& service,
                              const std::string& table) {
  return pp::faults::QueryRows(suite.DataDir(service) + "/" + service + ".db",
                               "SELECT * FROM " + table);
}

// Returns how often the gateway's log contains `word`, waiting up to a
// second to reach `expected`, because the gateway logs after it responds.
int LoggedCount(pp::e2e::Suite& suite, const std::string& word, int expected) {
  int count = 0;
  for (int attempt = 0; attempt < 50; ++attempt) {
    count = CountOf(pp::ReadFile(suite.process("gateway").log()), word);
    if (count >= expected) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return count;
}

}  // namespace

TEST_CASE("cross-origin posts change nothing") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  pp::faults::LoadDemoRoster(suite, token);
  pp::e2e::WebSession karen("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, karen, "karen.taylor@example.net", kPassword);
  Page link_page = karen.Get("/link");
  REQUIRE(link_page.status == 200);
  std::string csrf_token = Capture(link_page.body, "name=\"csrf_token\" value=\"([^\"]+)\"");
  REQUIRE_FALSE(csrf_token.empty());
  ForeignSite attacker(suite, karen, csrf_token);
  int rejections_before = CountOf(pp::ReadFile(suite.process("gateway").log()), "origin_rejected");

  // Link request: the details match Noah, so a same-origin post would open
  // an attempt and count a start call.
  const std::map<std::string, std::string> noah = {{"child_forename", "Noah"},
                                                   {"child_surname", "McDonald"},
                                                   {"child_date_of_birth", "2020-10-01"},
                                                   {"stage", "P3"},
                                                   {"postcode", "PH3 2QY"}};
  attacker.PostFromEachOrigin("/link", noah);
  CHECK(Rows(suite, "link-verification", "link_attempts").empty());
  CHECK(Rows(suite, "link-verification", "start_calls").empty());

  // Code send and code check, on an attempt the parent opened herself.
  REQUIRE(karen.Post("/link", noah).status == 303);
  REQUIRE(karen.Get("/link/code").status == 200);
  attacker.PostFromEachOrigin("/link/code", {{"channel", "email"}});
  CHECK(Rows(suite, "link-verification", "code_sends").empty());
  Page sent = karen.Post("/link/code", {{"channel", "email"}});
  REQUIRE(sent.status == 303);
  REQUIRE(karen.Get(sent.location).status == 200);
  std::string code =
      pp::faults::FindInOutbox(suite, "karen.taylor72@example.com", "Security code: ([0-9]{6})");
  REQUIRE(code.size() == 6);
  attacker.PostFromEachOrigin("/link/code", {{"code", code}});
  CHECK(Rows(suite, "link-verification", "link_requests").empty());
  // The code was neither used nor counted as a wrong try: it still works.
  REQUIRE(karen.Post("/link/code", {{"code", code}}).status == 303);
  REQUIRE(Rows(suite, "link-verification", "link_requests").size() == 1);
  pp::e2e::CommandResult pending =
      suite.Schoolctl({"--school", kSchool, "requests", "--state", "pending"}, token);
  REQUIRE(pending.exit_code == 0);
  std::string request_id = pending.output.substr(0, pending.output.find('\t'));
  REQUIRE(
      suite.Schoolctl({"--school", kSchool, "decide", request_id, "approve"}, token).exit_code ==
      0);
  Page home = karen.Get("/");
  REQUIRE(home.status == 200);
  std::string child_id = Capture(home.body, "/children/([A-Za-z0-9_-]+)");
  REQUIRE_FALSE(child_id.empty());

  // Unlink and payments on the linked child.
  attacker.PostFromEachOrigin("/children/" + child_id + "/unlink", {});
  CHECK(karen.Get("/children/" + child_id).status == 200);
  attacker.PostFromEachOrigin("/services/payments", {{"child", child_id}, {"service", "trips"}});
  CHECK(Rows(suite, "payments-handoff", "handoffs").empty());

  // Message choices: every kind offered, switched to text messages.
  Page account = karen.Get("/account");
  REQUIRE(account.status == 200);
  std::map<std::string, std::string> choices;
  for (size_t at = account.body.find("name=\"kind-"); at != std::string::npos;
       at = account.body.find("name=\"kind-", at + 1)) {
    std::string name = Capture(account.body.substr(at), "name=\"(kind-[0-9]+)\"");
    choices[name] = "sms";
  }
  REQUIRE_FALSE(choices.empty());
  std::vector<std::string> preferences = Rows(suite, "notification", "preferences");
  attacker.PostFromEachOrigin("/account/preferences", choices);
  CHECK(Rows(suite, "notification", "preferences") == preferences);

  // Calendar feed address, password and session.
  std::vector<std::string> feeds = Rows(suite, "calendar", "feed_tokens");
  std::vector<std::string> accounts = Rows(suite, "identity", "accounts");
  size_t sessions = Rows(suite, "identity", "sessions").size();
  attacker.PostFromEachOrigin("/calendar/feed/replace", {});
  attacker.PostFromEachOrigin("/calendar/feed/revoke", {});
  CHECK(Rows(suite, "calendar", "feed_tokens") == feeds);
  attacker.PostFromEachOrigin("/change-password", {{"current_password", kPassword},
                                                   {"new_password", "chosen by the attacker"}});
  attacker.PostFromEachOrigin("/sign-out", {});
  CHECK(Rows(suite, "identity", "sessions").size() == sessions);

  // Signed-out forms: signing the parent in to the attacker's account,
  // registering, and asking for reminders.
  attacker.PostFromEachOrigin("/sign-in",
                              {{"username", "karen.taylor@example.net"}, {"password", kPassword}});
  attacker.PostFromEachOrigin("/register", {{"forename", "Mallory"},
                                            {"surname", "Attacker"},
                                            {"email", "mallory@example.net"},
                                            {"postcode", "PH3 2QY"}});
  attacker.PostFromEachOrigin("/forgot-username", {{"email", "karen.taylor@example.net"}});
  attacker.PostFromEachOrigin("/forgot-password", {{"username", "karen.taylor@example.net"}});
  // No session opened or ended, no account added, no password changed or
  // reset.
  CHECK(Rows(suite, "identity", "sessions").size() == sessions);
  CHECK(Rows(suite, "identity", "accounts") == accounts);
  CHECK(karen.Get("/").status == 200);
  pp::e2e::WebSession check("127.0.0.1", suite.HttpPort());
  REQUIRE(check.Get("/sign-in").status == 200);
  CHECK(check.Post("/sign-in", {{"username", "karen.taylor@example.net"}, {"password", kPassword}})
            .status == 303);

  // Every rejection is in the log.
  int expected = rejections_before + attacker.attempts();
  int logged = LoggedCount(suite, "origin_rejected", expected) - rejections_before;
  WARN("cross-origin posts with a valid CSRF token: "
       << attacker.attempts() << " attempts, all rejected, " << logged << " logged");
  CHECK(logged == attacker.attempts());

  // The token and cookies were valid: from the portal's own origin the same
  // sign-out succeeds.
  std::string own_origin = "http://127.0.0.1:" + std::to_string(suite.HttpPort());
  httplib::Result signed_out = attacker.Post("/sign-out", {}, own_origin);
  REQUIRE(signed_out);
  CHECK(signed_out->status == 303);
  CHECK(karen.Get("/").status == 303);
}
