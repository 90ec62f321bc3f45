// Crash at every write of link-verification while links end and the school
// sets its contact address, and while the reminder sweep emails the school
// about waiting requests. After each restart the store must pass PRAGMA
// integrity_check, nothing may be half-applied, every acknowledged change
// must stay, and each waiting request must get exactly one reminder.
//
// PP_FAULT_MAX_WRITE raises the highest write killed at (docs/reliability.md).
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "fault_harness.h"
#include "link_fixture.h"
#include "parentsportal/link.grpc.pb.h"
#include "suite.h"

namespace {

namespace link = parentsportal::link::v1;
using pp::faults::CrashAtEveryWrite;
using pp::faults::CrashFigures;
using pp::faults::ExecSql;
using pp::faults::FreshChannel;
using pp::faults::kSchool;
using pp::faults::PrepareContext;
using pp::faults::QueryRows;

// StartLink returns after a fixed delay (750 ms by default), so that its
// timing reveals nothing. The tests file their requests without the delay.
const std::map<std::string, std::string> kNoStartDelay = {{"PP_START_LINK_MS", "0"}};

std::vector<std::string> SplitRow(const std::string& row) {
  std::vector<std::string> fields;
  std::stringstream columns(row);
  for (std::string field; std::getline(columns, field, '|');) fields.push_back(field);
  if (!row.empty() && row.back() == '|') fields.push_back("");
  return fields;
}

void RestartLinks(pp::e2e::Suite& suite, const std::map<std::string, std::string>& env) {
  pp::e2e::Process& running = suite.process("link-verification");
  REQUIRE(running.Stop() == 0);
  suite.Restart("link-verification", env);
}

// An approved link, as the parent and the school know it.
struct ApprovedLink {
  std::string request_id;
  std::string account_id;
  std::string child_id;
};

// Files and approves a request for each of the first `count` demo
// applicants.
std::vector<ApprovedLink> ApproveLinks(const pp::e2e::Suite& suite, const std::string& token,
                                       size_t count) {
  std::vector<pp::faults::Applicant> applicants = pp::faults::DemoApplicants();
  REQUIRE(applicants.size() >= count);
  applicants.resize(count);
  auto records = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
  auto links = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
  std::vector<ApprovedLink> approved;
  for (const auto& [request_id, account_id] : pp::faults::FileRequests(suite, applicants)) {
    REQUIRE(pp::faults::Decide(*records, token, request_id, true, 10, true).ok());
    link::ListLinksRequest request;
    request.set_account_id(account_id);
    link::ListLinksResponse response;
    grpc::ClientContext context;
    PrepareContext(context, 10, true);
    REQUIRE(links->ListLinks(&context, request, &response).ok());
    REQUIRE(response.children_size() == 1);
    approved.push_back({request_id, account_id, response.children(0).child_id()});
  }
  return approved;
}

grpc::Status Unlink(link::Links::Stub& stub, const ApprovedLink& approved, int seconds,
                    bool wait_for_ready) {
  link::UnlinkRequest request;
  request.set_account_id(approved.account_id);
  request.set_child_id(approved.child_id);
  request.set_reason("linked by mistake");
  link::UnlinkResponse response;
  grpc::ClientContext context;
  PrepareContext(context, seconds, wait_for_ready);
  return stub.Unlink(&context, request, &response);
}

grpc::Status Revoke(link::SchoolRecords::Stub& stub, const std::string& token,
                    const ApprovedLink& approved, int seconds, bool wait_for_ready) {
  link::RevokeLinkRequest request;
  request.set_request_id(approved.request_id);
  request.set_revoked_by("Ms Reid");
  request.set_reason("court order received");
  link::LinkRequest response;
  grpc::ClientContext context;
  PrepareContext(context, seconds, wait_for_ready);
  context.AddMetadata("authorization", "Bearer " + token);
  return stub.RevokeLink(&context, request, &response);
}

grpc::Status SetContact(link::SchoolRecords::Stub& stub, const std::string& token,
                        const std::string& email, int seconds, bool wait_for_ready) {
  link::SetSchoolContactRequest request;
  request.set_email(email);
  link::SchoolContact response;
  grpc::ClientContext context;
  PrepareContext(context, seconds, wait_for_ready);
  context.AddMetadata("authorization", "Bearer " + token);
  return stub.SetSchoolContact(&context, request, &response);
}

// Returns the school's stored contact address, or "" when it has none.
std::string StoredContact(const std::string& store) {
  std::vector<std::string> rows =
      QueryRows(store, "SELECT email FROM school_contacts WHERE seed_code = ?", {kSchool});
  REQUIRE(rows.size() <= 1);
  return rows.empty() ? "" : rows[0];
}

// True once the process has exited (a zombie not yet waited for counts).
bool HasExited(const pp::e2e::Process& process) {
  std::ifstream stat("/proc/" + std::to_string(process.pid()) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t name_end = text.rfind(')');
  if (name_end == std::string::npos || name_end + 2 >= text.size()) return true;
  char state = text[name_end + 2];
  return state == 'Z' || state == 'X';
}

// Returns, for each copied request named in a school reminder, the number
// of reminders that name it. Notification holds non-urgent messages in its
// quiet hours (21:00 to 07:00 UK time) and clears a message's body once it
// is sent, so a held reminder is read in its store and a sent one in its
// file in the outbox folder.
std::map<std::string, int> Reminders(const std::string& notification_store,
                                     const std::string& outbox) {
  std::map<std::string, int> counts;
  for (const std::string& row : QueryRows(
           notification_store, "SELECT id, body FROM outbox WHERE kind = 'school_reminder'")) {
    const size_t separator = row.find('|');
    std::string text = row.substr(separator + 1);
    if (text.empty()) {
      const std::string path = outbox + "/" +
                               absl::StrFormat("msg-%012d", std::stoll(row.substr(0, separator))) +
                               ".eml";
      std::ifstream file(path, std::ios::binary);
      std::ostringstream contents;
      contents << file.rdbuf();
      text = contents.str();
    }
    std::string request_id = pp::e2e::Capture(text, "Request: (waiting-[0-9]+)");
    if (!request_id.empty()) ++counts[request_id];
  }
  return counts;
}

}  // namespace

TEST_CASE("unlink, revoke and contact survive crashes") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  pp::faults::LoadDemoRoster(suite, token);
  RestartLinks(suite, kNoStartDelay);
  std::vector<ApprovedLink> approved = ApproveLinks(suite, token, 60);

  // The calls go round: a parent unlinks, the school revokes a link, the
  // school sets its contact address (every fourth time removing it).
  enum class Call { kUnlink, kRevoke, kSetContact };
  int next_call = 0;
  size_t next_link = 0;
  int contacts_set = 0;
  // Link index to the call that ended it, for each acknowledged end.
  std::map<size_t, Call> ended;
  std::optional<std::pair<size_t, Call>> end_in_flight;
  // The contact address as last acknowledged ("" for none), and the one
  // being set at the kill.
  std::string contact;
  std::optional<std::string> contact_in_flight;

  auto load = [&](int n) {
    auto links = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
    auto records = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
    int count = 0;
    for (int i = 0; i < n; ++i) {
      Call call = static_cast<Call>(next_call++ % 3);
      if (call != Call::kSetContact && next_link == approved.size()) call = Call::kSetContact;
      if (call == Call::kSetContact) {
        ++contacts_set;
        std::string email = contacts_set % 4 == 0
                                ? ""
                                : "office-" + std::to_string(contacts_set) + "@school.example";
        if (!SetContact(*records, token, email, 5, false).ok()) {
          contact_in_flight = email;
          return count;
        }
        contact = email;
      } else {
        size_t index = next_link++;
        grpc::Status status = call == Call::kUnlink
                                  ? Unlink(*links, approved[index], 5, false)
                                  : Revoke(*records, token, approved[index], 5, false);
        if (!status.ok()) {
          end_in_flight.emplace(index, call);
          return count;
        }
        ended[index] = call;
      }
      ++count;
    }
    return count;
  };

  auto check = [&] {
    // Each request is approved, or ended whole by one party: the state, who
    // ended it and the one event in its history agree.
    std::vector<std::string> rows =
        QueryRows(store,
                  "SELECT r.request_id, r.state, r.decided_by, "
                  "(SELECT COUNT(*) FROM link_events e WHERE e.request_id = r.request_id AND "
                  "e.action = 'approved'), "
                  "(SELECT COUNT(*) FROM link_events e WHERE e.request_id = r.request_id AND "
                  "e.action = 'unlinked'), "
                  "(SELECT COUNT(*) FROM link_events e WHERE e.request_id = r.request_id AND "
                  "e.action = 'revoked') FROM link_requests r");
    REQUIRE(rows.size() == approved.size());
    std::map<std::string, std::string> state_of;
    for (const std::string& row : rows) {
      INFO("request id|state|decided by|approved|unlinked|revoked events: " << row);
      std::vector<std::string> fields = SplitRow(row);
      REQUIRE(fields.size() == 6);
      CHECK(fields[3] == "1");
      if (fields[1] == "APPROVED") {
        CHECK(fields[4] == "0");
        CHECK(fields[5] == "0");
        state_of[fields[0]] = "approved";
      } else {
        REQUIRE(fields[1] == "ENDED");
        bool by_parent = fields[2] == "parent";
        CHECK(fields[4] == (by_parent ? "1" : "0"));
        CHECK(fields[5] == (by_parent ? "0" : "1"));
        state_of[fields[0]] = by_parent ? "unlinked" : "revoked";
      }
    }

    // Every acknowledged end stays done, by the party that asked.
    for (const auto& [index, call] : ended) {
      INFO("acknowledged end of " << approved[index].request_id);
      CHECK(state_of[approved[index].request_id] ==
            (call == Call::kUnlink ? "unlinked" : "revoked"));
    }

    // The end cut off by the kill was stored whole or not at all: the retry
    // either ends the link now or finds it already ended.
    if (end_in_flight.has_value()) {
      const auto& [index, call] = *end_in_flight;
      const ApprovedLink& cut_off = approved[index];
      auto links = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
      auto records = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
      grpc::Status retried = call == Call::kUnlink ? Unlink(*links, cut_off, 10, true)
                                                   : Revoke(*records, token, cut_off, 10, true);
      INFO("retried end of " << cut_off.request_id << ": " << retried.error_message());
      if (state_of[cut_off.request_id] == "approved") {
        CHECK(retried.ok());
      } else {
        CHECK(state_of[cut_off.request_id] == (call == Call::kUnlink ? "unlinked" : "revoked"));
        CHECK(retried.error_code() == (call == Call::kUnlink
                                           ? grpc::StatusCode::NOT_FOUND
                                           : grpc::StatusCode::FAILED_PRECONDITION));
      }
      ended[index] = call;
      end_in_flight.reset();
    }

    // The contact address is the last acknowledged one, or the one being
    // set at the kill, never anything else.
    std::string stored = StoredContact(store);
    INFO("stored contact \"" << stored << "\", acknowledged \"" << contact << "\"");
    if (contact_in_flight.has_value()) {
      INFO("contact being set at the kill \"" << *contact_in_flight << "\"");
      CHECK((stored == contact || stored == *contact_in_flight));
      auto records = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
      REQUIRE(SetContact(*records, token, *contact_in_flight, 10, true).ok());
      contact = *contact_in_flight;
      contact_in_flight.reset();
      CHECK(StoredContact(store) == contact);
    } else {
      CHECK(stored == contact);
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check);
  WARN("link-verification ends and contact: " << figures.Summary() << ", " << ended.size()
                                              << " links ended, " << contacts_set
                                              << " contact changes");
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);

  // ListLinks no longer returns the child to a parent whose link ended.
  for (size_t index = 0; index < approved.size(); ++index) {
    INFO("account " << approved[index].account_id);
    CHECK(pp::faults::LinkedChildren(suite, approved[index].account_id) ==
          (ended.count(index) > 0 ? 0 : 1));
  }
}

TEST_CASE("school reminders sent once through crashes") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  std::string notification_store = suite.DataDir("notification") + "/notification.db";
  pp::faults::LoadDemoRoster(suite, token);
  RestartLinks(suite, kNoStartDelay);

  std::vector<pp::faults::Applicant> applicants = pp::faults::DemoApplicants();
  REQUIRE(applicants.size() >= 4);
  applicants.resize(4);
  std::vector<std::pair<std::string, std::string>> filed =
      pp::faults::FileRequests(suite, applicants);
  auto records = link::SchoolRecords::NewStub(FreshChannel(suite.Address("link-verification")));
  REQUIRE(SetContact(*records, token, "office@school.example", 10, true).ok());

  // A reminder is due 3 school working days after a request, and the
  // service reads the system clock. So each run copies filed requests in
  // the store as requests made 8 days ago, which the sweep (every second)
  // then finds due.
  const std::map<std::string, std::string> env = {{"PP_SWEEP_INTERVAL_SECONDS", "1"}};
  std::vector<std::string> waiting;
  int reminded_in_runs = 0;

  auto reminded = [&](const std::string& request_id) {
    return QueryRows(store,
                     "SELECT COUNT(*) FROM link_requests WHERE request_id = ? AND "
                     "reminder_sent_at IS NOT NULL",
                     {request_id}) == std::vector<std::string>{"1"};
  };

  auto load = [&](int n) {
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    std::vector<std::string> added;
    // Each mark writes at least once, so n + 3 reminders reach write n.
    for (int i = 0; i < n + 3; ++i) {
      std::string request_id = "waiting-" + std::to_string(waiting.size());
      const std::string& source = filed[waiting.size() % filed.size()].first;
      std::string error = ExecSql(
          store,
          "INSERT INTO link_requests(request_id, account_id, pupil_id, contact_ref, contact_name, "
          "state, created_at, decide_by, parent_email) SELECT ?, account_id, pupil_id, "
          "contact_ref, contact_name, 'PENDING', ?, ?, parent_email FROM link_requests "
          "WHERE request_id = ?",
          {request_id, std::to_string(now - 8 * 86400), std::to_string(now + 14 * 86400), source});
      REQUIRE(error.empty());
      waiting.push_back(request_id);
      added.push_back(request_id);
    }

    // The sweep reminds the school of each, unless the kill comes first.
    const pp::e2e::Process& service = suite.process("link-verification");
    int marked = 0;
    for (int waited = 0; waited < 20000 && !HasExited(service); waited += 50) {
      marked = 0;
      for (const std::string& request_id : added) marked += reminded(request_id) ? 1 : 0;
      if (marked == static_cast<int>(added.size())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    reminded_in_runs += marked;
    return marked;
  };

  auto check = [&] {
    // The restarted service's first sweep reminds the school of every
    // request the kill cut off.
    for (const std::string& request_id : waiting) {
      bool marked = false;
      for (int waited = 0; waited < 20000 && !marked; waited += 50) {
        marked = reminded(request_id);
        if (!marked) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      INFO("request " << request_id);
      CHECK(marked);
    }

    // The notification store contains exactly one reminder about each
    // request, under the request's key.
    CHECK(QueryRows(notification_store,
                    "SELECT COUNT(*) FROM outbox WHERE idempotency_key LIKE 'school-reminder/%'") ==
          std::vector<std::string>{std::to_string(waiting.size())});
    std::map<std::string, int> reminders_by_request =
        Reminders(notification_store, suite.OutboxDir());
    CHECK(reminders_by_request.size() == waiting.size());
    for (const std::string& request_id : waiting) {
      INFO("reminders held about " << request_id);
      CHECK(reminders_by_request[request_id] == 1);
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check, env);
  WARN("link-verification reminders: " << figures.Summary() << ", " << waiting.size()
                                       << " requests due, " << reminded_in_runs
                                       << " reminded before the kill");
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}
