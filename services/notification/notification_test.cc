#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "absl/time/time.h"
#include "notification_service.h"
#include "testing/temp_dir.h"

namespace pp::notification {
namespace {

// A sender that records what it is given and fails while `failing` is set.
class RecordingSender : public Sender {
 public:
  absl::Status Deliver(const OutboxMessage& message) override {
    ++attempts;
    if (failing) return absl::InternalError("disk full");
    delivered.push_back(message);
    return absl::OkStatus();
  }

  bool failing = false;
  int attempts = 0;
  std::vector<OutboxMessage> delivered;
};

struct Fixture {
  Fixture() : clock(absl::FromUnixSeconds(1796400000)) {
    auto opened = NotificationStore::Open(dir.Path("data"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    service = std::make_unique<NotificationService>(*store, clock, sender, nullptr);
  }

  pp::TempDir dir;
  pp::FakeClock clock;
  RecordingSender sender;
  std::unique_ptr<NotificationStore> store;
  std::unique_ptr<NotificationService> service;
};

SendRequest Email(std::string key) {
  SendRequest request;
  request.channel = Channel::kEmail;
  request.to = "Parent@Example.COM";
  request.subject = "Welcome";
  request.body = "Hello.\nOne-time password: ABCDEFGHJKLM\n";
  request.idempotency_key = std::move(key);
  return request;
}

SendRequest Sms(std::string key) {
  SendRequest request;
  request.channel = Channel::kSms;
  request.to = "(07294) 053-474";
  request.body = "Your code is 123456";
  request.idempotency_key = std::move(key);
  return request;
}

}  // namespace

TEST_CASE("send stores and delivers an email") {
  Fixture f;
  absl::StatusOr<SendResult> result = f.service->Send(Email("register:acc-1"));
  REQUIRE(result.ok());
  CHECK(result->message_id == "msg-000000000001");
  CHECK_FALSE(result->duplicate);
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].recipient == "Parent@example.com");
  CHECK(f.sender.delivered[0].subject == "Welcome");

  absl::StatusOr<MessageStatus> status = f.service->GetMessage(result->message_id);
  REQUIRE(status.ok());
  CHECK(status->state == DeliveryState::kSent);
  CHECK(status->channel == Channel::kEmail);
  CHECK(status->created_at == f.clock.Now());
}

TEST_CASE("send normalises a text message's number") {
  Fixture f;
  absl::StatusOr<SendResult> result = f.service->Send(Sms("code:1"));
  REQUIRE(result.ok());
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].recipient == "+447294053474");
  CHECK(f.sender.delivered[0].channel == Channel::kSms);
}

TEST_CASE("repeated idempotency key sends nothing again") {
  Fixture f;
  absl::StatusOr<SendResult> first = f.service->Send(Email("register:acc-1"));
  REQUIRE(first.ok());
  SendRequest again = Email("register:acc-1");
  again.body = "A different body";
  absl::StatusOr<SendResult> second = f.service->Send(again);
  REQUIRE(second.ok());
  CHECK(second->message_id == first->message_id);
  CHECK(second->duplicate);
  CHECK(f.sender.attempts == 1);

  absl::StatusOr<SendResult> other = f.service->Send(Email("register:acc-2"));
  REQUIRE(other.ok());
  CHECK(other->message_id == "msg-000000000002");
  CHECK(f.sender.attempts == 2);
}

TEST_CASE("failed delivery is recorded and retried by key") {
  Fixture f;
  f.sender.failing = true;
  absl::StatusOr<SendResult> first = f.service->Send(Email("register:acc-1"));
  CHECK(first.status().code() == absl::StatusCode::kUnavailable);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kFailed);

  f.sender.failing = false;
  absl::StatusOr<SendResult> retry = f.service->Send(Email("register:acc-1"));
  REQUIRE(retry.ok());
  CHECK(retry->message_id == "msg-000000000001");
  CHECK_FALSE(retry->duplicate);
  CHECK(f.sender.attempts == 2);
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].body == Email("").body);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kSent);
}

TEST_CASE("sent message body is cleared from the outbox") {
  Fixture f;
  REQUIRE(f.service->Send(Email("register:acc-1")).ok());
  absl::StatusOr<OutboxMessage> row = f.store->Find(1);
  REQUIRE(row.ok());
  CHECK(row->body.empty());
  CHECK(row->state == DeliveryState::kSent);
}

TEST_CASE("queued messages are delivered at start") {
  Fixture f;
  OutboxMessage left;
  left.idempotency_key = "left-behind";
  left.channel = Channel::kSms;
  left.recipient = "+447294053474";
  left.body = "Your code is 123456";
  left.created_at = f.clock.Now();
  REQUIRE(f.store->InsertOrFind(left).ok());

  REQUIRE(f.service->DeliverQueued().ok());
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].idempotency_key == "left-behind");
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kSent);
}

TEST_CASE("invalid send requests are rejected") {
  struct Case {
    const char* name;
    SendRequest request;
    const char* message_start;
  };
  SendRequest no_key = Email("");
  SendRequest no_channel = Email("k");
  no_channel.channel = Channel::kUnspecified;
  SendRequest bad_email = Email("k");
  bad_email.to = "parent at example.com";
  SendRequest no_subject = Email("k");
  no_subject.subject = "  ";
  SendRequest two_line_subject = Email("k");
  two_line_subject.subject = "Hello\r\nBcc: someone@example.com";
  SendRequest no_body = Email("k");
  no_body.body = " \n ";
  SendRequest bad_mobile = Sms("k");
  bad_mobile.to = "0131 496 0000";
  SendRequest long_sms = Sms("k");
  long_sms.body = std::string(460, 'a');
  SendRequest binary_body = Email("k");
  binary_body.body = std::string("a\0b", 3);
  SendRequest sms_subject = Sms("k");
  sms_subject.subject = "Hi";

  const Case cases[] = {
      {"missing key", no_key, "idempotency_key"},
      {"missing channel", no_channel, "channel"},
      {"bad email", bad_email, "to:"},
      {"missing subject", no_subject, "subject"},
      {"subject with a line break", two_line_subject, "subject"},
      {"blank body", no_body, "body"},
      {"landline", bad_mobile, "to:"},
      {"long text message", long_sms, "body"},
      {"control characters", binary_body, "body"},
      {"text message with a subject", sms_subject, "subject"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Fixture f;
    absl::StatusOr<SendResult> result = f.service->Send(c.request);
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(result.status().message()).rfind(c.message_start, 0) == 0);
    CHECK(f.sender.attempts == 0);
  }
}

TEST_CASE("unknown message id is not found") {
  Fixture f;
  CHECK(f.service->GetMessage("msg-000000000009").status().code() == absl::StatusCode::kNotFound);
  CHECK(f.service->GetMessage("../etc/passwd").status().code() == absl::StatusCode::kNotFound);
  CHECK(f.service->GetMessage("").status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace pp::notification
