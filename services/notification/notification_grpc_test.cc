#include "notification_grpc.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::notification {

namespace v1 = parentsportal::notification::v1;

TEST_CASE("notification gRPC sends and reports a message") {
  pp::TempDir dir;
  pp::FakeClock clock(absl::FromUnixSeconds(1796400000));
  auto store = NotificationStore::Open(dir.Path("data"));
  REQUIRE(store.ok());
  FileSender sender(dir.Path("outbox"), "Parents Portal <no-reply@parentsportal.localhost>");
  pp::WorkPool pool(2);
  NotificationService service(**store, clock, sender, nullptr);
  NotificationsGrpc grpc_service(service, pool);

  int port = 0;
  auto server = pp::StartGrpcServer({"127.0.0.1:0", {&grpc_service}, nullptr}, &port);
  REQUIRE(server.ok());
  auto stub = v1::Notifications::NewStub(pp::MakeChannel(absl::StrCat("127.0.0.1:", port)));

  v1::SendRequest request;
  request.set_channel(v1::SMS);
  request.set_to("+44 7294 053474");
  request.set_body("Your code is 482913");
  request.set_idempotency_key("link-code:1");
  v1::SendResponse response;
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    grpc::Status status = stub->Send(&context, request, &response);
    REQUIRE(status.ok());
  }
  CHECK(response.message_id() == "msg-000000000001");
  CHECK_FALSE(response.duplicate());
  REQUIRE(*service.DeliverDue() == 1);
  CHECK(pp::ReadFile(dir.Path("outbox/msg-000000000001.sms")) ==
        "To: +447294053474\n\nYour code is 482913\n");

  v1::GetMessageRequest get;
  get.set_message_id(response.message_id());
  v1::Message message;
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    REQUIRE(stub->GetMessage(&context, get, &message).ok());
  }
  CHECK(message.state() == v1::SENT);
  CHECK(message.channel() == v1::SMS);
  CHECK(message.created_at() == "2026-12-04T16:00:00+00:00");
  CHECK(message.attempts() == 1);

  v1::RecordReceiptRequest receipt;
  receipt.set_message_id(response.message_id());
  receipt.set_status("permanent-failure");
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    REQUIRE(stub->RecordReceipt(&context, receipt, &message).ok());
  }
  CHECK(message.state() == v1::FAILED);
  CHECK(message.failure_reason() == "the provider reported permanent-failure");

  request.set_to("not a number");
  request.set_idempotency_key("link-code:2");
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    grpc::Status status = stub->Send(&context, request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  }

  v1::Preferences preferences;
  preferences.set_account_id("acc-1");
  v1::KindPreference* approved = preferences.add_kinds();
  approved->set_kind(v1::LINK_APPROVED);
  approved->set_sms(true);
  v1::Preferences stored;
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    REQUIRE(stub->SetPreferences(&context, preferences, &stored).ok());
  }
  CHECK(stored.kinds_size() == 4);
  approved->set_kind(v1::SECURITY_CODE);
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    CHECK(stub->SetPreferences(&context, preferences, &stored).error_code() ==
          grpc::StatusCode::INVALID_ARGUMENT);
  }

  v1::ListMessagesRequest list;
  list.set_account_id("acc-1");
  v1::ListMessagesResponse listed;
  {
    grpc::ClientContext context;
    pp::SetDeadline(context, absl::Seconds(5));
    REQUIRE(stub->ListMessages(&context, list, &listed).ok());
  }
  CHECK(listed.messages_size() == 0);

  pp::DrainAndStop(**server, absl::Seconds(1));
}

}  // namespace pp::notification
