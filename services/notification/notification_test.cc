#include <catch2/catch.hpp>

#include "test_fixture.h"

namespace pp::notification {

using testing::Email;
using testing::Fixture;
using testing::Sms;

TEST_CASE("send stores an email and returns before delivery") {
  Fixture f;
  absl::StatusOr<SendResult> result = f.service->Send(Email("register:acc-1"));
  REQUIRE(result.ok());
  CHECK(result->message_id == "msg-000000000001");
  CHECK_FALSE(result->duplicate);
  CHECK(f.sender.attempts == 0);
  CHECK(f.service->GetMessage(result->message_id)->state == DeliveryState::kQueued);

  REQUIRE(f.service->DeliverDue().ok());
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].recipient == "Parent@example.com");
  CHECK(f.sender.delivered[0].subject == "Welcome");

  absl::StatusOr<MessageStatus> status = f.service->GetMessage(result->message_id);
  REQUIRE(status.ok());
  CHECK(status->state == DeliveryState::kSent);
  CHECK(status->channel == Channel::kEmail);
  CHECK(status->attempts == 1);
  CHECK(status->created_at == f.clock.Now());
}

TEST_CASE("send wakes the delivery hook") {
  Fixture f;
  int wakes = 0;
  f.service->SetStoredHook([&] { ++wakes; });
  REQUIRE(f.service->Send(Email("k1")).ok());
  REQUIRE(f.service->Send(Email("k1")).ok());
  CHECK(wakes == 1);
}

TEST_CASE("send normalises a text message's number") {
  Fixture f;
  REQUIRE(f.service->Send(Sms("code:1")).ok());
  REQUIRE(f.service->DeliverDue().ok());
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].recipient == "+447294053474");
  CHECK(f.sender.delivered[0].channel == Channel::kSms);
}

TEST_CASE("repeated idempotency key queues nothing again") {
  Fixture f;
  absl::StatusOr<SendResult> first = f.service->Send(Email("register:acc-1"));
  REQUIRE(first.ok());
  SendRequest again = Email("register:acc-1");
  again.body = "A different body";
  absl::StatusOr<SendResult> second = f.service->Send(again);
  REQUIRE(second.ok());
  CHECK(second->message_id == first->message_id);
  CHECK(second->duplicate);
  REQUIRE(f.service->DeliverDue().ok());
  CHECK(f.sender.attempts == 1);

  // Also after delivery.
  absl::StatusOr<SendResult> third = f.service->Send(again);
  REQUIRE(third.ok());
  CHECK(third->duplicate);
  REQUIRE(f.service->DeliverDue().ok());
  CHECK(f.sender.attempts == 1);

  absl::StatusOr<SendResult> other = f.service->Send(Email("register:acc-2"));
  REQUIRE(other.ok());
  CHECK(other->message_id == "msg-000000000002");
}

TEST_CASE("failed message is queued again by its key") {
  Fixture f;
  f.sender.script.push_back(absl::InvalidArgumentError("recipient rejected"));
  REQUIRE(f.service->Send(Email("register:acc-1")).ok());
  REQUIRE(f.service->DeliverDue().ok());
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kFailed);

  absl::StatusOr<SendResult> retry = f.service->Send(Email("register:acc-1"));
  REQUIRE(retry.ok());
  CHECK(retry->message_id == "msg-000000000001");
  CHECK_FALSE(retry->duplicate);
  REQUIRE(f.service->DeliverDue().ok());
  CHECK(f.sender.attempts == 2);
  REQUIRE(f.sender.delivered.size() == 1);
  CHECK(f.sender.delivered[0].body == Email("").body);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kSent);
}

TEST_CASE("sent message body is cleared from the outbox") {
  Fixture f;
  REQUIRE(f.service->Send(Email("register:acc-1")).ok());
  REQUIRE(f.service->DeliverDue().ok());
  absl::StatusOr<OutboxMessage> row = f.store->Find(1);
  REQUIRE(row.ok());
  CHECK(row->body.empty());
  CHECK(row->state == DeliveryState::kSent);
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
  SendRequest kind_with_body = Email("k");
  kind_with_body.kind = MessageKind::kOneTimePassword;
  SendRequest kind_without_data = Email("k");
  kind_without_data.subject.clear();
  kind_without_data.body.clear();
  kind_without_data.kind = MessageKind::kOneTimePassword;
  SendRequest bad_fallback = Sms("k");
  bad_fallback.fallback_email = "nobody";
  SendRequest email_fallback = Email("k");
  email_fallback.fallback_email = "parent@example.com";

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
      {"kind with a body", kind_with_body, "subject and body"},
      {"kind without its data", kind_without_data, "template_data"},
      {"invalid fallback address", bad_fallback, "fallback_email:"},
      {"fallback on an email", email_fallback, "fallback_email"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Fixture f;
    absl::StatusOr<SendResult> result = f.service->Send(c.request);
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(result.status().message()).rfind(c.message_start, 0) == 0);
    REQUIRE(f.service->DeliverDue().ok());
    CHECK(f.sender.attempts == 0);
  }
}

TEST_CASE("kind renders its template into the message") {
  Fixture f;
  SendRequest request = Email("otp:1");
  request.subject.clear();
  request.body.clear();
  request.kind = MessageKind::kOneTimePassword;
  request.template_data = {{"parent_name", "Siobhán Ó Ceallaigh"},
                           {"one_time_password", "ABCDEFGHJKLM"},
                           {"expires_at", "2026-12-05T12:00:00Z"}};
  REQUIRE(f.service->Send(request).ok());
  REQUIRE(f.service->DeliverDue().ok());
  REQUIRE(f.sender.delivered.size() == 1);
  const OutboxMessage& sent = f.sender.delivered[0];
  CHECK(sent.kind == MessageKind::kOneTimePassword);
  CHECK(sent.subject == "Your Parents Portal account");
  CHECK(sent.body.find("Hello Siobhán Ó Ceallaigh,") != std::string::npos);
  CHECK(sent.body.find("One-time password: ABCDEFGHJKLM") != std::string::npos);
  CHECK(sent.body.find("until Saturday 5 December 2026, 12:00") != std::string::npos);
  CHECK(sent.html_body.find("<bdi>Siobhán Ó Ceallaigh</bdi>") != std::string::npos);
}

TEST_CASE("a stored message reads back with its kind") {
  Fixture f;
  SendRequest request = Email("reset:1");
  request.subject.clear();
  request.body.clear();
  request.kind = MessageKind::kPasswordReset;
  request.template_data = {{"parent_name", "Ann Lee"},
                           {"one_time_password", "ABCDEFGHJKLM"},
                           {"expires_at", "2026-12-05T12:00:00Z"}};
  absl::StatusOr<SendResult> sent = f.service->Send(request);
  REQUIRE(sent.ok());
  absl::StatusOr<MessageStatus> stored = f.service->GetMessage(sent->message_id);
  REQUIRE(stored.ok());
  CHECK(stored->kind == MessageKind::kPasswordReset);
}

TEST_CASE("unknown message id is not found") {
  Fixture f;
  CHECK(f.service->GetMessage("msg-000000000009").status().code() == absl::StatusCode::kNotFound);
  CHECK(f.service->GetMessage("../etc/passwd").status().code() == absl::StatusCode::kNotFound);
  CHECK(f.service->GetMessage("").status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace pp::notification
