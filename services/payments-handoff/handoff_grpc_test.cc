#include "handoff_grpc.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "handoff_test_support.h"
#include "server/server.h"

namespace pp::payments {
namespace {

class GrpcFixture : public testing::ServiceFixture {
 public:
  GrpcFixture() : pool_(2), grpc_(service(), pool_) {
    int port = 0;
    auto server = StartGrpcServer({"127.0.0.1:0", {&grpc_}}, &port);
    REQUIRE(server.ok());
    server_ = std::move(*server);
    stub_ = api::Handoff::NewStub(MakeChannel("127.0.0.1:" + std::to_string(port)));
  }
  ~GrpcFixture() { DrainAndStop(*server_, absl::Seconds(1)); }

  api::Handoff::Stub& stub() { return *stub_; }

 private:
  WorkPool pool_;
  HandoffGrpc grpc_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<api::Handoff::Stub> stub_;
};

// A client context with the deadline every call carries.
std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  SetDeadline(*context, absl::Seconds(10));
  return context;
}

TEST_CASE("hand-off runs its course over gRPC") {
  GrpcFixture fixture;

  api::CreateRequest create;
  create.set_account_id(testing::kAccount);
  create.set_child_id(testing::kChild);
  create.set_service("trips");
  api::CreateResponse created;
  REQUIRE(fixture.stub().Create(Context().get(), create, &created).ok());

  api::JsonWebKeySet keys;
  REQUIRE(fixture.stub().GetJwks(Context().get(), api::GetJwksRequest(), &keys).ok());
  REQUIRE(keys.keys_size() == 1);
  CHECK(keys.keys(0).alg() == "EdDSA");

  api::CallbackResponse answer;
  grpc::Status status = fixture.stub().HandleCallback(
      Context().get(),
      testing::SignedCallback(testing::EventBody("evt-1", created.handoff_id()),
                              fixture.clock.Now()),
      &answer);
  REQUIRE(status.ok());
  CHECK(answer.state() == api::COMPLETED);

  api::GetStatusRequest get;
  get.set_handoff_id(created.handoff_id());
  api::HandoffStatus handoff;
  REQUIRE(fixture.stub().GetStatus(Context().get(), get, &handoff).ok());
  CHECK(handoff.state() == api::COMPLETED);
  CHECK_FALSE(handoff.holds_personal_data());
}

TEST_CASE("unauthenticated callback keeps its code over gRPC") {
  GrpcFixture fixture;
  api::CallbackRequest request = testing::SignedCallback("{}", fixture.clock.Now());
  request.set_signature("v1=00");
  api::CallbackResponse answer;
  CHECK(fixture.stub().HandleCallback(Context().get(), request, &answer).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);
}

TEST_CASE("deprecated Redeem is unimplemented") {
  GrpcFixture fixture;
  api::RedeemRequest request;
  request.set_token("x");
  api::RedeemResponse response;
  CHECK(fixture.stub().Redeem(Context().get(), request, &response).error_code() ==
        grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace pp::payments
