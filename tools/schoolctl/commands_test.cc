// requests and near-misses against a stand-in for link-verification: an
// empty list prints a sentence.
#include "commands.h"

#include <grpcpp/grpcpp.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "parentsportal/link.grpc.pb.h"
#include "server/server.h"

namespace pp::schoolctl {
namespace {

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

TEST_CASE("requests with none says so") {
  NoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Connection connection;
  connection.link_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = "5300011";

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

TEST_CASE("near-misses with none says so") {
  NoRequests service;
  int port = 0;
  auto server = StartGrpcServer({"127.0.0.1:0", {&service}}, &port);
  REQUIRE(server.ok());
  Connection connection;
  connection.link_address = "127.0.0.1:" + std::to_string(port);
  connection.token = "school-token";
  connection.seed_code = "5300011";

  std::ostringstream out;
  REQUIRE(ListNearMisses(connection, out).ok());
  CHECK(out.str() == "No near misses.\n");
}

}  // namespace
}  // namespace pp::schoolctl
