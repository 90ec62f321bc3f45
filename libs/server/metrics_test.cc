#include "server/metrics.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>
#include <httplib.h>

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <vector>

#include "server/server.h"

namespace {

// Calls a method by its path with an empty request and returns the status.
grpc::Status CallByPath(grpc::GenericStub& stub, const std::string& path) {
  grpc::ClientContext context;
  pp::SetDeadline(context, absl::Seconds(5));
  // An empty message: every field of the health request left at its default.
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  return done.get_future().get();
}

// A collectable with one gauge sample.
class OneGauge : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "pp_test_gauge";
    family.help = "A gauge for the test.";
    family.type = prometheus::MetricType::Gauge;
    prometheus::ClientMetric metric;
    metric.gauge.value = 7;
    family.metric.push_back(metric);
    return {family};
  }
};

}  // namespace

TEST_CASE("metrics keep an added collectable alive") {
  auto metrics = pp::Metrics::Start("127.0.0.1:0");
  REQUIRE(metrics.ok());
  // The caller keeps no pointer, as the services' main functions do not.
  (*metrics)->AddCollectable(std::make_shared<OneGauge>());

  httplib::Client client("127.0.0.1", (*metrics)->port());
  auto scraped = client.Get("/metrics");
  REQUIRE(scraped);
  INFO(scraped->body);
  CHECK(scraped->body.find("pp_test_gauge 7") != std::string::npos);
}

TEST_CASE("metrics count RPCs with bounded labels") {
  auto metrics = pp::Metrics::Start("127.0.0.1:0");
  REQUIRE(metrics.ok());
  int port = 0;
  auto server = pp::StartGrpcServer({"127.0.0.1:0", {}, metrics->get()}, &port);
  REQUIRE(server.ok());
  grpc::GenericStub stub(pp::MakeChannel("127.0.0.1:" + std::to_string(port)));

  CHECK(CallByPath(stub, "/grpc.health.v1.Health/Check").ok());
  CHECK(CallByPath(stub, "/made.up.Service/Anything").error_code() ==
        grpc::StatusCode::UNIMPLEMENTED);
  CHECK(CallByPath(stub, "/made.up.Service/SomethingElse").error_code() ==
        grpc::StatusCode::UNIMPLEMENTED);

  httplib::Client client("127.0.0.1", (*metrics)->port());
  auto scraped = client.Get("/metrics");
  REQUIRE(scraped);
  const std::string& text = scraped->body;
  INFO(text);
  CHECK(text.find("grpc_server_started_total{grpc_method=\"Check\",grpc_service=\"grpc.health.v1."
                  "Health\",grpc_type=\"unary\"} 1") != std::string::npos);
  CHECK(text.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\"") !=
        std::string::npos);
  // gRPC hands a method it does not serve to its generic handler, a stream.
  CHECK(text.find("grpc_server_handled_total{grpc_code=\"Unimplemented\",grpc_method=\"unknown\","
                  "grpc_service=\"unknown\",grpc_type=\"bidi_stream\"} 2") != std::string::npos);
  CHECK(text.find("made.up") == std::string::npos);
  CHECK(text.find("grpc_server_handling_seconds_bucket") != std::string::npos);
  pp::DrainAndStop(**server, absl::Seconds(1));
}
