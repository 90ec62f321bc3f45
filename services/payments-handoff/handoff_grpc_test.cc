#include "handoff_grpc.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::payments {
namespace {

class GrpcFixture {
 public:
  GrpcFixture() : clock_(absl::FromUnixSeconds(1780272000)), pool_(2) {
    auto store = HandoffStore::Open(dir_.Path("data"));
    REQUIRE(store.ok());
    store_ = std::move(*store);
    HandoffOptions options;
    options.provider_url = "http://127.0.0.1:9999/pay";
    auto service = HandoffService::Load(*store_, clock_, options);
    REQUIRE(service.ok());
    service_ = std::move(*service);
    grpc_ = std::make_unique<HandoffGrpc>(*service_, pool_);

    int port = 0;
    auto server = StartGrpcServer({"127.0.0.1:0", {grpc_.get()}}, &port);
    REQUIRE(server.ok());
    server_ = std::move(*server);
    stub_ = api::Handoff::NewStub(MakeChannel("127.0.0.1:" + std::to_string(port)));
  }

  ~GrpcFixture() { DrainAndStop(*server_, absl::Seconds(1)); }

  api::Handoff::Stub& stub() { return *stub_; }

 private:
  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<HandoffStore> store_;
  std::unique_ptr<HandoffService> service_;
  WorkPool pool_;
  std::unique_ptr<HandoffGrpc> grpc_;
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
  create.set_account_id("account-17");
  create.set_parent_name("Mòrag NicDhòmhnaill");
  create.set_parent_email("morag@example.org");
  create.set_seed_code("5300011");
  create.set_school_name("Tayside Primary School");
  create.set_child_id("child-42");
  create.set_child_name("Eilidh NicDhòmhnaill");
  create.set_stage("P5");
  api::CreateResponse created;
  REQUIRE(fixture.stub().Create(Context().get(), create, &created).ok());
  CHECK(created.provider_url() == "http://127.0.0.1:9999/pay");

  api::RedeemRequest redeem;
  redeem.set_token(created.token());
  api::RedeemResponse redeemed;
  REQUIRE(fixture.stub().Redeem(Context().get(), redeem, &redeemed).ok());
  CHECK(redeemed.child_name() == "Eilidh NicDhòmhnaill");
  grpc::Status again = fixture.stub().Redeem(Context().get(), redeem, &redeemed);
  CHECK(again.error_code() == grpc::StatusCode::FAILED_PRECONDITION);

  api::CompleteRequest complete;
  complete.set_handoff_id(created.handoff_id());
  complete.set_outcome("paid");
  complete.set_provider_reference("provider-77");
  api::HandoffStatus completed;
  REQUIRE(fixture.stub().Complete(Context().get(), complete, &completed).ok());
  CHECK(completed.state() == api::COMPLETED);

  api::GetStatusRequest get;
  get.set_handoff_id(created.handoff_id());
  api::HandoffStatus status;
  REQUIRE(fixture.stub().GetStatus(Context().get(), get, &status).ok());
  CHECK(status.state() == api::COMPLETED);
  CHECK(status.provider_reference() == "provider-77");
  CHECK_FALSE(status.holds_personal_data());
}

TEST_CASE("bad requests over gRPC get their codes") {
  GrpcFixture fixture;

  api::CreateRequest create;
  api::CreateResponse created;
  grpc::Status invalid = fixture.stub().Create(Context().get(), create, &created);
  CHECK(invalid.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(invalid.error_message() == "`account_id` is missing");

  api::RedeemRequest redeem;
  redeem.set_token("AAAA.AAAA");
  api::RedeemResponse redeemed;
  CHECK(fixture.stub().Redeem(Context().get(), redeem, &redeemed).error_code() ==
        grpc::StatusCode::UNAUTHENTICATED);

  api::GetStatusRequest get;
  get.set_handoff_id("no-such-handoff");
  api::HandoffStatus status;
  CHECK(fixture.stub().GetStatus(Context().get(), get, &status).error_code() ==
        grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace pp::payments
