// requests, near-misses and admin issue-token against stand-ins for
// link-verification and identity. An empty list prints a sentence, and the
// error for a rejected operator token names its file and identity's address.
#include "commands.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "server/server.h"

namespace pp::schoolctl {
namespace {

namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;

// A link-verification with no link request in any state and no near miss.
class NoRequests final : public link::SchoolRecords::Service {
 public:
  grpc::Status ListLinkRequests(grpc::ServerContext* /*context*/,
                                const link::ListLinkRequestsRequest* /*request*/,
                                link::ListLinkRequestsResponse* /*response*/) override {
    return grpc::Status::OK;
  }
  grpc::Status ListMatchFailures(grpc::ServerContext* /*context*/,
                                 const link::ListMatchFailuresRequest* /*request*/,
                                 link::ListMatchFailuresResponse* /*response*/) override {
    return grpc::Status::OK;
  }
};

// A link-verification with one pending request and one ended by the school.
class TwoRequests final : public link::SchoolRecords::Service {
 public:
  grpc::Status ListLinkRequests(grpc::ServerContext* /*context*/,
                                const link::ListLinkRequestsRequest* /*request*/,
                                link::ListLinkRequestsResponse* response) override {
    link::LinkRequest* pending = response->add_requests();
    pending->set_request_id("req-1");
    pending->set_state(link::PENDING);
    pending->set_pupil_ref("P1");
    pending->set_pupil_name("Noah McDonald");
    pending->set_contact_ref("C1");
    pending->set_contact_name("Karen Taylor");
    pending->set_created_at("2026-10-01T09:00:00Z");
    pending->set_decide_by("2026-10-08T23:59:59Z");
    link::LinkRequest* ended = response->add_requests();
    *ended = *pending;
    ended->set_request_id("req-2");
    ended->set_state(link::ENDED);
    ended->set_decided_at("2026-10-03T14:30:00Z");
    ended->set_decided_by("Mrs Brown");
    ended->set_reason("Court order\nseen today");
    AddEvent(*ended, "2026-10-01T09:00:00Z", "requested", "parent", "");
    AddEvent(*ended, "2026-10-02T10:15:00Z", "approved", "Mr Grant", "Known to the office");
    AddEvent(*ended, "2026-10-03T14:30:00Z", "revoked", "Mrs Brown", "Court order\nseen today");
    return grpc::Status::OK;
  }

 private:
  static void AddEvent(link::LinkRequest& request, const char* at, const char* action,
                       const char* actor, const char* reason) {
    link::LinkEvent* event = request.add_history();
    event->set_at(at);
    event->set_action(action);
    event->set_actor(actor);
    event->set_reason(reason);
  }
};

// An identity that rejects every operator token as identity does a wrong one.
class WrongOperatorToken final : public identity::Identity::Service {
 public:
  grpc::Status IssueSchoolToken(grpc::ServerContext* /*context*/,
                                const identity::IssueSchoolTokenRequest* /*request*/,
                                identity::IssueSchoolTokenResponse* /*response*/) override {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the operator token was not accepted");
  }
};

// Returns school 5300011's connection to link-verification on `port`.
Connection SchoolConnection(int port) {
  Connection connection;
  connection.link_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = "5300011";
  return connection;
}

TEST_CASE("requests with none says so") {
  NoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Connection connection = SchoolConnection(port);

  const struct {
    std::string state;
    std::string output;
  } cases[] = {
      {"pending", "No pending requests.\n"},
      {"approved", "No approved requests.\n"},
      {"Rejected", "No rejected requests.\n"},
      {"all", "No requests.\n"},
  };
  for (const auto& c : cases) {
    INFO("state " << c.state);
    std::ostringstream out;
    REQUIRE(ListRequests(connection, c.state, out).ok());
    CHECK(out.str() == c.output);
  }
}

TEST_CASE("requests show who closed one and why") {
  TwoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());

  std::ostringstream out;
  REQUIRE(ListRequests(SchoolConnection(port), "all", out).ok());
  const std::string common =
      "\tpupil P1 Noah McDonald\tcontact C1 Karen Taylor\trequested 2026-10-01T09:00:00Z"
      "\tdecide by 2026-10-08T23:59:59Z";
  CHECK(out.str() == "req-1\tpending" + common + "\n" + "req-2\tended" + common +
                         "\tclosed 2026-10-03T14:30:00Z by Mrs Brown\treason Court order\\nseen "
                         "today\n");
}

TEST_CASE("history shows every event of a request") {
  TwoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());

  std::ostringstream out;
  REQUIRE(ShowHistory(SchoolConnection(port), "req-2", out).ok());
  CHECK(out.str() ==
        "req-2\tended\tpupil P1 Noah McDonald\tcontact C1 Karen Taylor\trequested "
        "2026-10-01T09:00:00Z\tdecide by 2026-10-08T23:59:59Z\tclosed 2026-10-03T14:30:00Z by "
        "Mrs Brown\treason Court order\\nseen today\n"
        "\t2026-10-01T09:00:00Z\trequested\tby parent\n"
        "\t2026-10-02T10:15:00Z\tapproved\tby Mr Grant\treason Known to the office\n"
        "\t2026-10-03T14:30:00Z\trevoked\tby Mrs Brown\treason Court order\\nseen today\n");

  std::ostringstream missing;
  absl::Status status = ShowHistory(SchoolConnection(port), "req-9", missing);
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK(status.message() ==
        "school 5300011 has no link request req-9; schoolctl requests --state all lists them");
  CHECK(missing.str().empty());
}

TEST_CASE("near-misses with none says so") {
  NoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Connection connection = SchoolConnection(port);

  std::ostringstream out;
  REQUIRE(ListNearMisses(connection, out).ok());
  CHECK(out.str() == "No near misses.\n");
}

TEST_CASE("rejected operator token names its file") {
  WrongOperatorToken service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Connection connection;
  connection.identity_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "not-the-operator-token";
  connection.seed_code = "5300011";

  std::ostringstream out;
  absl::Status issued = IssueToken(connection, "/tmp/other/operator-token", out);
  CHECK(issued.code() == absl::StatusCode::kUnauthenticated);
  CHECK(issued.message() == "identity at " + connection.identity_address +
                                " rejected the operator token in /tmp/other/operator-token: the "
                                "operator token was not accepted. Check that the file is the "
                                "operator-token file in the data folder of the identity service "
                                "at that address");
  CHECK(out.str().empty());
}

}  // namespace
}  // namespace pp::schoolctl
