// Crash at every write of link-verification while parents confirm security
// codes and a school decides their requests. After each restart the store
// must pass PRAGMA integrity_check, every acknowledged decision must still
// be recorded whole, and no security code may file a request twice.
//
// PP_FAULT_MAX_WRITE raises the highest write killed at (docs/reliability.md).
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fault_harness.h"
#include "link_fixture.h"
#include "parentsportal/link.grpc.pb.h"
#include "suite.h"

namespace {

namespace link = parentsportal::link::v1;
using pp::faults::Applicant;
using pp::faults::Attempt;
using pp::faults::Confirm;
using pp::faults::CrashAtEveryWrite;
using pp::faults::CrashFigures;
using pp::faults::Decide;
using pp::faults::DemoApplicants;
using pp::faults::FileRequests;
using pp::faults::FreshChannel;
using pp::faults::kSchool;
using pp::faults::LinkedChildren;
using pp::faults::LoadDemoRoster;
using pp::faults::PrepareContext;
using pp::faults::QueryRows;
using pp::faults::StartAndSendCode;

}  // namespace

TEST_CASE("link decisions are whole after a crash") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  LoadDemoRoster(suite, token);
  std::vector<Applicant> applicants = DemoApplicants();
  REQUIRE(applicants.size() >= 60);
  applicants.resize(60);
  std::vector<std::pair<std::string, std::string>> pending = FileRequests(suite, applicants);
  std::map<std::string, std::string> account_of(pending.begin(), pending.end());

  size_t next_request = 0;
  // Each acknowledged decision: request id to true for approve.
  std::map<std::string, bool> acknowledged;
  // The decision cut off by the kill, retried after the restart.
  std::optional<std::pair<std::string, bool>> in_flight;

  auto load = [&](int n) {
    auto stub = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
    int count = 0;
    for (int i = 0; i < n && next_request < pending.size(); ++i) {
      const std::string& request_id = pending[next_request].first;
      // Approvals and rejections alternate, so kills land in both.
      bool approve = next_request % 2 == 0;
      ++next_request;
      if (!Decide(*stub, token, request_id, approve, 5, false).ok()) {
        in_flight.emplace(request_id, approve);
        return count;
      }
      acknowledged[request_id] = approve;
      ++count;
    }
    return count;
  };

  auto check = [&] {
    // No request is half-decided: the state, the child id that makes the
    // link, and the decision in the history agree.
    std::vector<std::string> rows =
        QueryRows(store,
                  "SELECT r.request_id, r.state, r.child_id IS NOT NULL, r.decided_at IS NOT NULL, "
                  "(SELECT COUNT(*) FROM link_events e WHERE e.request_id = r.request_id AND "
                  "e.action = 'approved'), "
                  "(SELECT COUNT(*) FROM link_events e WHERE e.request_id = r.request_id AND "
                  "e.action = 'rejected') FROM link_requests r");
    REQUIRE(rows.size() == pending.size());
    std::map<std::string, std::string> state_of;
    for (const std::string& row : rows) {
      INFO("request id|state|has child id|has decided_at|approved events|rejected events: " << row);
      std::vector<std::string> fields;
      std::stringstream columns(row);
      for (std::string field; std::getline(columns, field, '|');) fields.push_back(field);
      REQUIRE(fields.size() == 6);
      state_of[fields[0]] = fields[1];
      if (fields[1] == "APPROVED") {
        CHECK(fields.at(2) == "1");
        CHECK(fields.at(3) == "1");
        CHECK(fields.at(4) == "1");
        CHECK(fields.at(5) == "0");
      } else if (fields[1] == "REJECTED") {
        CHECK(fields.at(2) == "0");
        CHECK(fields.at(3) == "1");
        CHECK(fields.at(4) == "0");
        CHECK(fields.at(5) == "1");
      } else {
        CHECK(fields[1] == "PENDING");
        CHECK(fields.at(2) == "0");
        CHECK(fields.at(3) == "0");
        CHECK(fields.at(4) == "0");
        CHECK(fields.at(5) == "0");
      }
    }

    // Every acknowledged decision is still there.
    for (const auto& [request_id, approve] : acknowledged) {
      INFO("acknowledged decision on " << request_id);
      CHECK(state_of[request_id] == (approve ? "APPROVED" : "REJECTED"));
    }

    // The decision cut off by the kill was stored whole or not at all: the
    // school's retry either decides it now or finds it already decided.
    if (in_flight.has_value()) {
      const auto& [request_id, approve] = *in_flight;
      auto stub = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
      grpc::Status retried = Decide(*stub, token, request_id, approve, 10, true);
      INFO("retried decision on " << request_id << ": " << retried.error_message());
      if (state_of[request_id] == "PENDING") {
        CHECK(retried.ok());
      } else {
        CHECK(retried.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
        CHECK(state_of[request_id] == (approve ? "APPROVED" : "REJECTED"));
      }
      acknowledged[request_id] = approve;
      in_flight.reset();
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check);
  WARN("link-verification decisions: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);

  // ListLinks returns one child to each approved parent and none to a
  // rejected one.
  for (const auto& [request_id, approve] : acknowledged) {
    INFO("account of request " << request_id);
    CHECK(LinkedChildren(suite, account_of[request_id]) == (approve ? 1 : 0));
  }
}

TEST_CASE("link security code files one request through crashes") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  LoadDemoRoster(suite, token);
  std::vector<Applicant> applicants = DemoApplicants();
  size_t next_applicant = 0;
  // Applicant index to the attempt whose code was confirmed, and whether
  // the confirmation was acknowledged.
  std::map<size_t, std::pair<Attempt, bool>> confirmed_codes;
  std::vector<size_t> to_check;

  auto load = [&](int n) {
    auto stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
    int count = 0;
    while (count < n && next_applicant < applicants.size()) {
      size_t index = next_applicant++;
      const Applicant& applicant = applicants[index];
      Attempt attempt;
      int started = StartAndSendCode(suite, *stub, applicant, attempt);
      count += started;
      if (started < 2) return count;

      link::ConfirmCodeResponse confirmed;
      bool ok = Confirm(*stub, applicant.account_id, attempt, 5, false, &confirmed).ok();
      confirmed_codes[index] = {attempt, ok};
      to_check.push_back(index);
      if (!ok) return count;
      ++count;
    }
    return count;
  };

  auto check = [&] {
    auto stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
    for (size_t index : to_check) {
      const auto& [attempt, acknowledged] = confirmed_codes[index];
      const std::string& account_id = applicants[index].account_id;
      INFO("code of " << account_id << ", confirmation acknowledged: " << acknowledged);
      std::vector<std::string> filed =
          QueryRows(store, "SELECT COUNT(*) FROM link_requests WHERE account_id = ?", {account_id});
      REQUIRE(filed.size() == 1);
      CHECK((filed[0] == "0" || filed[0] == "1"));
      if (acknowledged) CHECK(filed[0] == "1");

      // A filed request used up the code. A kill before the request was
      // stored left the code unused with its wrong tries unchanged.
      std::vector<std::string> code_state =
          QueryRows(store, "SELECT used, wrong_tries FROM link_attempts WHERE attempt_id = ?",
                    {attempt.attempt_id});
      REQUIRE(code_state.size() == 1);
      CHECK(code_state[0] == (filed[0] == "1" ? "1|0" : "0|0"));

      // The same code again: rejected when a request was filed with it.
      // When the kill came first, the code still works exactly once.
      link::ConfirmCodeResponse again;
      grpc::Status second = Confirm(*stub, account_id, attempt, 10, true, &again);
      INFO("second confirmation: " << second.error_message());
      if (filed[0] == "1") {
        CHECK_FALSE(second.ok());
        CHECK(second.error_code() != grpc::StatusCode::UNAVAILABLE);
      } else {
        CHECK(second.ok());
        link::ConfirmCodeResponse third;
        grpc::Status third_status = Confirm(*stub, account_id, attempt, 10, true, &third);
        INFO("third confirmation: " << third_status.error_message());
        CHECK_FALSE(third_status.ok());
      }
      CHECK(QueryRows(store, "SELECT COUNT(*) FROM link_requests WHERE account_id = ?",
                      {account_id}) == std::vector<std::string>{"1"});
    }
    to_check.clear();
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check);
  WARN("link-verification codes: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}
