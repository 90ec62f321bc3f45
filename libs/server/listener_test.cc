// A second listener on an address already in use fails at start, for gRPC,
// HTTP and /metrics alike, so that a second copy of a binary cannot share
// the first one's port and serve part of its requests.
#include <httplib.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/metrics.h"
#include "server/server.h"

TEST_CASE("second gRPC server on a taken port fails") {
  int port = 0;
  auto first = pp::StartGrpcServer({"127.0.0.1:0", {}}, &port);
  REQUIRE(first.ok());
  REQUIRE(port > 0);

  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto second = pp::StartGrpcServer({address, {}});
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
  CHECK(second.status().message() ==
        "cannot listen on " + address + ": the address is in use or not local");
  (*first)->Shutdown();
}

TEST_CASE("second HTTP server on a taken port fails") {
  httplib::Server first;
  first.set_socket_options(pp::SetExclusiveListenerOptions);
  const int port = first.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);

  httplib::Server second;
  second.set_socket_options(pp::SetExclusiveListenerOptions);
  CHECK_FALSE(second.bind_to_port("127.0.0.1", port));
}

TEST_CASE("second metrics exposer on a taken port fails") {
  auto first = pp::Metrics::Start("127.0.0.1:0");
  REQUIRE(first.ok());
  auto second = pp::Metrics::Start(absl::StrCat("127.0.0.1:", (*first)->port()));
  CHECK(second.status().code() == absl::StatusCode::kUnavailable);
}
