// The receipts route over a real notification service on loopback gRPC.
#include "gateway/notify_receipts.h"

#include <catch2/catch.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "notification_grpc.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::gateway {
namespace {

constexpr char kToken[] = "receipt-token-for-tests";

// A notification service with one sent text, and the gateway route in front.
struct Servers {
  Servers() : clock(absl::FromUnixSeconds(1796400000)) {
    auto opened = notification::NotificationStore::Open(dir.Path("notification"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    sender = std::make_unique<notification::FileSender>(dir.Path("outbox"), "Portal <n@p.example>");
    service = std::make_unique<notification::NotificationService>(*store, clock, *sender, nullptr);
    grpc_service = std::make_unique<notification::NotificationsGrpc>(*service, pool);
    int grpc_port = 0;
    auto started = StartGrpcServer({"127.0.0.1:0", {grpc_service.get()}, nullptr}, &grpc_port);
    REQUIRE(started.ok());
    grpc_server = std::move(*started);
    recorder =
        std::make_unique<GrpcReceiptRecorder>(MakeChannel(absl::StrCat("127.0.0.1:", grpc_port)));

    notification::SendRequest text;
    text.channel = notification::Channel::kSms;
    text.to = "07294 053474";
    text.body = "Your code is 482913";
    text.idempotency_key = "code:1";
    REQUIRE(service->Send(text).ok());
    REQUIRE(*service->DeliverDue() == 1);

    RegisterNotifyReceipts(http, kToken, *recorder);
    http_port = http.bind_to_any_port("127.0.0.1");
    serving = std::thread([this] { http.listen_after_bind(); });
  }
  ~Servers() {
    http.stop();
    serving.join();
    if (grpc_server) DrainAndStop(*grpc_server, absl::Seconds(1));
  }

  httplib::Result Post(const std::string& body, const std::string& token = kToken) {
    httplib::Client client("127.0.0.1", http_port);
    return client.Post(kNotifyReceiptsPath, {{"Authorization", "Bearer " + token}}, body,
                       "application/json");
  }

  pp::TempDir dir;
  FakeClock clock;
  WorkPool pool{2};
  std::unique_ptr<notification::NotificationStore> store;
  std::unique_ptr<notification::FileSender> sender;
  std::unique_ptr<notification::NotificationService> service;
  std::unique_ptr<notification::NotificationsGrpc> grpc_service;
  std::unique_ptr<grpc::Server> grpc_server;
  std::unique_ptr<GrpcReceiptRecorder> recorder;
  httplib::Server http;
  int http_port = 0;
  std::thread serving;
};

}  // namespace

TEST_CASE("receipt marks the message failed") {
  Servers s;
  httplib::Result result =
      s.Post(R"({"id": "740e5834", "reference": "msg-000000000001", "to": "+447294053474",)"
             R"( "status": "permanent-failure", "notification_type": "sms"})");
  REQUIRE(result);
  CHECK(result->status == 204);
  CHECK(s.service->GetMessage("msg-000000000001")->state == notification::DeliveryState::kFailed);
}

TEST_CASE("receipts are checked before recording") {
  Servers s;
  const std::string delivered = R"({"reference":"msg-000000000001","status":"delivered"})";
  CHECK(s.Post(delivered, "wrong-token")->status == 401);
  CHECK(s.Post(R"({"status":"delivered"})")->status == 400);
  CHECK(s.Post(R"({"reference":"msg-000000000001","status":"opened"})")->status == 400);
  CHECK(s.Post(R"({"reference":"msg-000000000099","status":"delivered"})")->status == 404);
  CHECK(s.service->GetMessage("msg-000000000001")->state == notification::DeliveryState::kSent);

  DrainAndStop(*s.grpc_server, absl::Seconds(1));
  s.grpc_server = nullptr;
  CHECK(s.Post(delivered)->status == 503);
}

TEST_CASE("json string fields are read") {
  CHECK(JsonStringField(R"({"status" : "delivered"})", "status") == "delivered");
  CHECK(JsonStringField(R"({"status": 3})", "status").empty());
  CHECK(JsonStringField(R"({"status": "a\"b"})", "status").empty());
  CHECK(JsonStringField(R"({})", "status").empty());
}

}  // namespace pp::gateway
