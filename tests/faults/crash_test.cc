// Crash at every write: each service with a store is killed with SIGKILL at
// its 1st, 2nd, ... 30th SQLite write while a client keeps sending it work,
// then started again. Its store must pass PRAGMA integrity_check, and every
// request it acknowledged must still be there, whole.
//
// PP_FAULT_MAX_WRITE raises the highest write killed at, for longer runs by
// hand (docs/reliability.md).
#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "fault_harness.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/notification.grpc.pb.h"
#include "parentsportal/payments.grpc.pb.h"
#include "suite.h"
#include "testing/temp_dir.h"
#include "web_session.h"

namespace {

namespace calendar = parentsportal::calendar::v1;
namespace identity = parentsportal::identity::v1;
namespace notification = parentsportal::notification::v1;
namespace payments = parentsportal::payments::v1;
using pp::faults::CrashAtEveryWrite;
using pp::faults::CrashFigures;
using pp::faults::FreshChannel;
using pp::faults::PrepareContext;
using pp::faults::QueryRows;

constexpr char kSchool[] = "5300011";

// A calendar of `count` all-day events in the school year, each UID naming
// the import it came from, so that a half-applied import shows as a mix.
std::string CalendarOf(int import_number, int count) {
  std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Fault tests//EN\r\n";
  for (int i = 0; i < count; ++i) {
    std::string day = std::to_string(10 + i);
    ics += "BEGIN:VEVENT\r\nUID:import-" + std::to_string(import_number) + "-event-" +
           std::to_string(i) +
           "@faults.test\r\nDTSTAMP:20260101T000000Z\r\n"
           "DTSTART;VALUE=DATE:202610" +
           day + "\r\nSUMMARY:Event " + std::to_string(i) + "\r\nEND:VEVENT\r\n";
  }
  return ics + "END:VCALENDAR\r\n";
}

std::set<std::string> UidsOf(int import_number, int count) {
  std::set<std::string> uids;
  for (int i = 0; i < count; ++i) {
    uids.insert("import-" + std::to_string(import_number) + "-event-" + std::to_string(i) +
                "@faults.test");
  }
  return uids;
}

// Copies the first `limit` pupils of kSchool in the demo roster, and their
// contacts, into `folder`, leaving out the first `leave_out` of them.
// Returns the pupils written. A small roster keeps each sync to a few
// writes, so that syncs are acknowledged between kills.
int WriteRoster(const std::string& folder, int leave_out, int limit) {
  std::filesystem::create_directories(folder);
  std::set<std::string> left_out;
  std::set<std::string> kept_refs;
  int kept = 0;
  for (const std::string name : {"pupils.csv", "contacts.csv"}) {
    std::ifstream in(std::string(PP_DEMO_DIR) + "/" + name);
    std::ofstream out(folder + "/" + name);
    std::string line;
    std::getline(in, line);
    out << line << "\n";
    while (std::getline(in, line)) {
      std::vector<std::string> fields;
      std::stringstream row(line);
      for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
      if (fields.size() < 3 || fields[0] != kSchool) continue;
      // pupil_ref is the third column of pupils.csv and the second of contacts.csv.
      bool is_pupil = name == "pupils.csv";
      const std::string& pupil_ref = is_pupil ? fields[2] : fields[1];
      if (is_pupil && static_cast<int>(left_out.size()) < leave_out) {
        left_out.insert(pupil_ref);
      } else if (is_pupil && kept < limit - leave_out) {
        kept_refs.insert(pupil_ref);
        ++kept;
      }
      if (kept_refs.count(pupil_ref) == 0) continue;
      out << line << "\n";
    }
  }
  return kept;
}

}  // namespace

TEST_CASE("notification keeps every acknowledged message through crashes") {
  pp::e2e::Suite suite;
  std::string store = suite.DataDir("notification") + "/notification.db";
  // Every message acknowledged, by idempotency key, with its id.
  std::map<std::string, std::string> acknowledged;
  std::vector<std::string> in_flight;

  auto load = [&](int n) {
    auto stub = notification::Notifications::NewStub(FreshChannel(suite.Address("notification")));
    int count = 0;
    for (int i = 0; i < 10 + n; ++i) {
      notification::SendRequest request;
      request.set_channel(notification::EMAIL);
      request.set_to("parent-" + std::to_string(n) + "-" + std::to_string(i) + "@example.org");
      request.set_subject("School trip");
      request.set_body("The trip leaves at nine.");
      request.set_idempotency_key("crash-" + std::to_string(n) + "-" + std::to_string(i));
      notification::SendResponse response;
      grpc::ClientContext context;
      PrepareContext(context, 5, false);
      if (!stub->Send(&context, request, &response).ok()) {
        in_flight.push_back(request.idempotency_key());
        return count;
      }
      acknowledged[request.idempotency_key()] = response.message_id();
      ++count;
    }
    return count;
  };

  auto check = [&] {
    auto stub = notification::Notifications::NewStub(FreshChannel(suite.Address("notification")));
    for (const auto& [key, message_id] : acknowledged) {
      INFO("message " << message_id << " with key " << key);
      notification::GetMessageRequest request;
      request.set_message_id(message_id);
      notification::Message message;
      grpc::ClientContext context;
      PrepareContext(context, 10, true);
      grpc::Status status = stub->GetMessage(&context, request, &message);
      REQUIRE(status.error_code() == grpc::StatusCode::OK);
      CHECK(message.state() != notification::FAILED);
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "notification", store, load, check);
  WARN("notification: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);

  // Sending an acknowledged key again returns the same message, so a
  // client's retry after a crash never sends twice.
  auto stub = notification::Notifications::NewStub(FreshChannel(suite.Address("notification")));
  for (const auto& [key, message_id] : acknowledged) {
    notification::SendRequest request;
    request.set_channel(notification::EMAIL);
    request.set_to("retry@example.org");
    request.set_subject("School trip");
    request.set_body("The trip leaves at nine.");
    request.set_idempotency_key(key);
    notification::SendResponse response;
    grpc::ClientContext context;
    PrepareContext(context, 10, true);
    REQUIRE(stub->Send(&context, request, &response).ok());
    CHECK(response.duplicate());
    CHECK(response.message_id() == message_id);
  }

  // Every acknowledged message reaches the outbox folder, crashes or not.
  std::set<std::string> missing;
  for (int attempt = 0; attempt < 300; ++attempt) {
    missing.clear();
    for (const auto& [key, message_id] : acknowledged) {
      if (!std::filesystem::exists(suite.OutboxDir() + "/" + message_id + ".eml")) {
        missing.insert(message_id);
      }
    }
    if (missing.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO("first missing: " << (missing.empty() ? "" : *missing.begin()));
  CHECK(missing.empty());
}

TEST_CASE("calendar import is whole or absent after a crash") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("calendar") + "/calendar.db";
  int import_number = 0;
  // The last import acknowledged, and the one that was running at the kill
  // (either may be what the store holds).
  std::pair<int, int> last_acknowledged{-1, 0};
  std::pair<int, int> in_flight{-1, 0};

  auto load = [&](int n) {
    auto stub = calendar::SchoolCalendar::NewStub(FreshChannel(suite.Address("calendar")));
    int count = 0;
    for (int i = 0; i < 6 + n; ++i) {
      ++import_number;
      int events = 1 + import_number % 7;
      calendar::ImportCalendarRequest request;
      request.set_seed_code(kSchool);
      request.set_ics(CalendarOf(import_number, events));
      // Each import removes every event of the one before, which `check`
      // has settled after a kill, so it confirms their number.
      if (last_acknowledged.first >= 0)
        request.set_confirm_events_removed(last_acknowledged.second);
      calendar::ImportCalendarSummary summary;
      grpc::ClientContext context;
      PrepareContext(context, 5, false);
      context.AddMetadata("authorization", "Bearer " + token);
      in_flight = {import_number, events};
      grpc::Status status = stub->ImportCalendar(&context, request, &summary);
      if (!status.ok()) return count;
      REQUIRE(summary.events_imported() == events);
      last_acknowledged = in_flight;
      in_flight = {-1, 0};
      ++count;
    }
    return count;
  };

  auto check = [&] {
    auto stub = calendar::SchoolCalendar::NewStub(FreshChannel(suite.Address("calendar")));
    calendar::ListEventsRequest request;
    request.set_seed_code(kSchool);
    request.set_from("2026-09-01");
    request.set_to("2027-06-30");
    calendar::ListEventsResponse response;
    grpc::ClientContext context;
    PrepareContext(context, 10, true);
    context.AddMetadata("authorization", "Bearer " + token);
    grpc::Status status = stub->ListEvents(&context, request, &response);
    INFO("ListEvents: " << status.error_message());
    REQUIRE(status.ok());
    std::set<std::string> uids;
    for (const calendar::Event& event : response.events()) uids.insert(event.uid());

    bool is_acknowledged = last_acknowledged.first >= 0 &&
                           uids == UidsOf(last_acknowledged.first, last_acknowledged.second);
    bool is_in_flight = in_flight.first >= 0 && uids == UidsOf(in_flight.first, in_flight.second);
    bool nothing_yet = last_acknowledged.first < 0 && uids.empty();
    INFO("events held: " << uids.size() << ", last acknowledged import " << last_acknowledged.first
                         << ", running import " << in_flight.first);
    CHECK((is_acknowledged || is_in_flight || nothing_yet));
    if (is_in_flight) last_acknowledged = in_flight;
    in_flight = {-1, 0};
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "calendar", store, load, check);
  WARN("calendar: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}

TEST_CASE("identity keeps every acknowledged registration through crashes") {
  pp::e2e::Suite suite;
  std::string store = suite.DataDir("identity") + "/identity.db";
  std::vector<std::string> acknowledged;
  std::vector<std::string> in_flight;

  auto load = [&](int n) {
    auto stub = identity::Identity::NewStub(FreshChannel(suite.Address("identity")));
    int count = 0;
    for (int i = 0; i < 5 + n; ++i) {
      identity::RegisterRequest request;
      request.set_forename("Eilidh");
      request.set_surname("MacLeod");
      request.set_email("parent-" + std::to_string(n) + "-" + std::to_string(i) + "@example.org");
      request.set_postcode("PH3 2QY");
      request.set_gender("female");
      request.set_date_of_birth("1984-11-03");
      identity::RegisterResponse response;
      grpc::ClientContext context;
      PrepareContext(context, 5, false);
      if (!stub->Register(&context, request, &response).ok()) {
        in_flight.push_back(request.email());
        return count;
      }
      acknowledged.push_back(request.email());
      ++count;
    }
    return count;
  };

  auto check = [&] {
    for (const std::string& email : acknowledged) {
      INFO("registration of " << email);
      CHECK(QueryRows(store, "SELECT password_sent FROM accounts WHERE email = ?", {email}) ==
            std::vector<std::string>{"1"});
    }
    // A parent whose registration was cut off can register again.
    auto stub = identity::Identity::NewStub(FreshChannel(suite.Address("identity")));
    for (const std::string& email : in_flight) {
      identity::RegisterRequest request;
      request.set_forename("Eilidh");
      request.set_surname("MacLeod");
      request.set_email(email);
      request.set_postcode("PH3 2QY");
      request.set_gender("female");
      request.set_date_of_birth("1984-11-03");
      identity::RegisterResponse response;
      grpc::ClientContext context;
      PrepareContext(context, 10, true);
      grpc::Status status = stub->Register(&context, request, &response);
      INFO("registering " << email << " again: " << status.error_message());
      CHECK(status.ok());
    }
    in_flight.clear();
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "identity", store, load, check);
  WARN("identity: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}

TEST_CASE("roster sync is whole or absent after a crash") {
  pp::e2e::Suite suite;
  pp::TempDir files;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  // Two rosters in turn: twenty pupils, and the same less five.
  std::vector<std::string> folders = {files.Path("whole"), files.Path("fewer")};
  std::vector<int> pupils = {WriteRoster(folders[0], 0, 20), WriteRoster(folders[1], 5, 20)};
  REQUIRE(pupils[0] == pupils[1] + 5);
  int sync_number = 0;
  int last_acknowledged = -1;
  int in_flight = -1;

  auto load = [&](int n) {
    int count = 0;
    for (int i = 0; i < 3 + n; ++i) {
      int roster = sync_number++ % 2;
      in_flight = roster;
      pp::e2e::CommandResult synced =
          suite.Schoolctl({"--school", kSchool, "sync-roster", folders[roster] + "/pupils.csv",
                           folders[roster] + "/contacts.csv"},
                          token);
      if (synced.exit_code != 0) return count;
      last_acknowledged = roster;
      in_flight = -1;
      ++count;
    }
    return count;
  };

  auto check = [&] {
    std::vector<std::string> current = QueryRows(
        store, "SELECT COUNT(*) FROM pupils WHERE seed_code = ? AND left_at IS NULL", {kSchool});
    std::vector<std::string> contacts =
        QueryRows(store,
                  "SELECT COUNT(*) FROM contacts WHERE pupil_id IN "
                  "(SELECT id FROM pupils WHERE seed_code = ? AND left_at IS NULL)",
                  {kSchool});
    REQUIRE(current.size() == 1);
    int held = std::stoi(current[0]);
    INFO("pupils held: " << held << ", contacts: " << contacts[0] << ", last acknowledged roster "
                         << last_acknowledged << ", running roster " << in_flight);
    bool is_acknowledged = last_acknowledged >= 0 && held == pupils[last_acknowledged];
    bool is_in_flight = in_flight >= 0 && held == pupils[in_flight];
    bool nothing_yet = last_acknowledged < 0 && held == 0;
    CHECK((is_acknowledged || is_in_flight || nothing_yet));
    if (is_in_flight && !is_acknowledged) last_acknowledged = in_flight;
    in_flight = -1;
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check);
  WARN("link-verification: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}

TEST_CASE("payments keeps acknowledged hand-offs and completions through crashes") {
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  pp::faults::LoadDemoRoster(suite, token);
  pp::e2e::WebSession karen("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, karen, "karen.taylor@example.net", "a long new passphrase");
  std::string child_id = pp::faults::LinkNoah(suite, karen, token);
  std::vector<std::string> account =
      QueryRows(suite.DataDir("identity") + "/identity.db",
                "SELECT account_id FROM accounts WHERE email = ?", {"karen.taylor@example.net"});
  REQUIRE(account.size() == 1);

  std::string store = suite.DataDir("payments-handoff") + "/payments-handoff.db";
  std::set<std::string> created;
  std::set<std::string> completed;
  int event_number = 0;

  auto load = [&](int n) {
    auto stub = payments::Handoff::NewStub(FreshChannel(suite.Address("payments-handoff")));
    int count = 0;
    for (int i = 0; i < 4 + n; ++i) {
      payments::CreateRequest create;
      create.set_account_id(account[0]);
      create.set_child_id(child_id);
      create.set_service("trips");
      payments::CreateResponse handoff;
      grpc::ClientContext create_context;
      PrepareContext(create_context, 5, false);
      if (!stub->Create(&create_context, create, &handoff).ok()) return count;
      created.insert(handoff.handoff_id());
      ++count;

      // The provider reports the payment; its callback is acknowledged once
      // the completion is stored.
      ++event_number;
      std::string body = "{\"event_id\":\"evt-crash-" + std::to_string(event_number) +
                         "\",\"handoff_id\":\"" + handoff.handoff_id() +
                         "\",\"outcome\":\"paid\",\"provider_reference\":\"ref-" +
                         std::to_string(event_number) + "\"}";
      std::string timestamp = std::to_string(std::time(nullptr));
      payments::CallbackRequest callback;
      callback.set_provider_id("sandbox");
      callback.set_timestamp(timestamp);
      callback.set_signature(pp::faults::SignCallback(timestamp, body));
      callback.set_body(body);
      payments::CallbackResponse answer;
      grpc::ClientContext callback_context;
      PrepareContext(callback_context, 5, false);
      if (!stub->HandleCallback(&callback_context, callback, &answer).ok()) return count;
      REQUIRE(answer.state() == payments::COMPLETED);
      completed.insert(handoff.handoff_id());
      ++count;
    }
    return count;
  };

  auto check = [&] {
    auto stub = payments::Handoff::NewStub(FreshChannel(suite.Address("payments-handoff")));
    for (const std::string& handoff_id : created) {
      INFO("hand-off " << handoff_id);
      payments::GetStatusRequest request;
      request.set_handoff_id(handoff_id);
      payments::HandoffStatus status;
      grpc::ClientContext context;
      PrepareContext(context, 10, true);
      REQUIRE(stub->GetStatus(&context, request, &status).ok());
      if (completed.count(handoff_id) > 0) {
        CHECK(status.state() == payments::COMPLETED);
        CHECK(status.outcome() == "paid");
        // A completion forgets the parent's and child's details with it.
        CHECK_FALSE(status.holds_personal_data());
      } else {
        CHECK((status.state() == payments::CREATED || status.state() == payments::COMPLETED));
      }
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "payments-handoff", store, load, check);
  WARN("payments-handoff: " << figures.Summary());
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
}
