// Hostile HTTP against a running gateway. tests/faults/hostile_http.py sends
// path traversals on every route, oversized and endless requests, many
// Range parts and slow clients. It fails when any gets through, when the
// gateway's memory grows past a bound, or when a parent loading a page
// meanwhile is not served.
#include <catch2/catch.hpp>

#include "fault_harness.h"
#include "suite.h"
#include "web_session.h"

TEST_CASE("gateway refuses hostile requests and keeps serving") {
  pp::e2e::Suite suite;
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");
  std::string session = browser.Cookie("pp_session");
  REQUIRE_FALSE(session.empty());

  // The gateway serves 64 connections at once and cannot cut off a client
  // that trickles its headers. 48 slow clients leave room for parents, but
  // a few hundred do not (docs/reliability.md).
  pp::e2e::CommandResult result = pp::e2e::RunCommand(
      {"/usr/bin/python3", PP_HOSTILE_HTTP, "--port", std::to_string(suite.HttpPort()), "--pid",
       std::to_string(suite.process("gateway").pid()), "--session", session, "--slow_clients",
       "48"});
  INFO("hostile_http.py printed:\n" << result.output << "\nlogs:\n" << suite.Logs());
  WARN(result.output);
  CHECK(result.exit_code == 0);
  CHECK(suite.process("gateway").running());
  CHECK(browser.Get("/").status == 200);
}
