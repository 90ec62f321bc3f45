// Hostile HTTP against a running gateway. tests/faults/hostile_http.py sends
// path traversals on every route, oversized and endless requests, many
// Range parts and slow clients. It fails when any gets through, when the
// gateway's memory grows past a bound, or when a parent loading a page
// meanwhile is not served.
#include <catch2/catch.hpp>

#include "fault_harness.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

// Returns how many times `text` contains `word`.
int CountOf(const std::string& text, const std::string& word) {
  int count = 0;
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("gateway refuses hostile requests and keeps serving") {
  pp::e2e::Suite suite;
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");
  std::string session = browser.Cookie("pp_session");
  REQUIRE_FALSE(session.empty());

  // A short request deadline keeps the test short; the mechanism is the
  // same at the default of 10 seconds.
  pp::e2e::Process& gateway = suite.process("gateway");
  REQUIRE(gateway.Stop() == 0);
  suite.Restart("gateway", {{"PP_REQUEST_DEADLINE_SECONDS", "3"}});
  int cut_offs_before = CountOf(pp::ReadFile(suite.process("gateway").log()), "request_cut_off");

  // 150 slow clients are more than the gateway's 64 threads, so some wait
  // in its queue. Each must be closed within 15 seconds while a parent
  // loads the sign-in page twice a second.
  // The session is passed as --session=VALUE because a token may begin with
  // "-", which argparse would otherwise read as another option.
  constexpr int kSlowClients = 150;
  pp::e2e::CommandResult result = pp::e2e::RunCommand(
      {"/usr/bin/python3", PP_HOSTILE_HTTP, "--port", std::to_string(suite.HttpPort()), "--pid",
       std::to_string(suite.process("gateway").pid()), "--session=" + session, "--slow_clients",
       std::to_string(kSlowClients), "--slow_seconds", "15"});
  INFO("hostile_http.py printed:\n" << result.output << "\nlogs:\n" << suite.Logs());
  WARN(result.output);
  CHECK(result.exit_code == 0);
  CHECK(suite.process("gateway").running());
  CHECK(browser.Get("/").status == 200);

  // The request deadline closed the slow clients, not the per-read timeout:
  // the gateway logs a line for each client it cuts off. A few may have
  // been closed otherwise, so the bound is generous.
  int cut_offs =
      CountOf(pp::ReadFile(suite.process("gateway").log()), "request_cut_off") - cut_offs_before;
  CHECK(cut_offs >= kSlowClients / 2);
}
