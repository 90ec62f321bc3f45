#include <prometheus/registry.h>

#include <catch2/catch.hpp>

#include "absl/time/civil_time.h"
#include "test_fixture.h"

namespace pp::notification {

using testing::Email;
using testing::Fixture;
using testing::London;
using testing::Sms;

namespace {

absl::Time LondonTime(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), London());
}

SendRequest LinkApproved(std::string key) {
  SendRequest request;
  request.channel = Channel::kEmail;
  request.to = "parent@example.com";
  request.idempotency_key = std::move(key);
  request.kind = MessageKind::kLinkApproved;
  request.template_data = {
      {"parent_name", "Ann Smith"}, {"child_name", "Noah"}, {"school_name", "Hill Primary"}};
  return request;
}

// Returns pp_notification_oldest_queued_age_seconds, or -1 when absent.
double OldestAge(prometheus::Registry& registry) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != "pp_notification_oldest_queued_age_seconds") continue;
    if (!family.metric.empty()) return family.metric[0].gauge.value;
  }
  return -1;
}

}  // namespace

TEST_CASE("temporary failure is retried with growing delays") {
  Fixture f;
  for (int i = 0; i < 3; ++i) f.sender.script.push_back(absl::UnavailableError("server busy"));
  REQUIRE(f.service->Send(Email("k")).ok());
  absl::Time accepted = f.clock.Now();

  // With the jitter fixed at half, each delay is 3/4 of 30 s, 60 s, 120 s.
  std::vector<absl::Duration> expected = {absl::Seconds(22), absl::Seconds(45), absl::Seconds(90)};
  for (absl::Duration delay : expected) {
    REQUIRE(*f.service->DeliverDue() == 1);
    absl::StatusOr<OutboxMessage> row = f.store->Find(1);
    REQUIRE(row.ok());
    CHECK(row->state == DeliveryState::kTemporaryFailure);
    CHECK(row->failure_reason == "server busy");
    CHECK(row->next_attempt_at - f.clock.Now() == delay);

    // Not due a second early.
    f.clock.Advance(delay - absl::Seconds(1));
    CHECK(*f.service->DeliverDue() == 0);
    f.clock.Advance(absl::Seconds(1));
  }
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kSent);
  CHECK(f.sender.attempts == 4);
  CHECK(f.clock.Now() - accepted == absl::Seconds(22 + 45 + 90));
}

TEST_CASE("jitter spreads the retry delay") {
  for (double fraction : {0.0, 0.999}) {
    INFO("fraction " << fraction);
    Fixture f;
    f.policy.random = [fraction] { return fraction; };
    f.Restart();
    f.sender.script.push_back(absl::UnavailableError("busy"));
    REQUIRE(f.service->Send(Email("k")).ok());
    REQUIRE(*f.service->DeliverDue() == 1);
    absl::Duration delay = f.store->Find(1)->next_attempt_at - f.clock.Now();
    CHECK(delay >= absl::Seconds(15));
    CHECK(delay <= absl::Seconds(30));
    CHECK((fraction == 0.0 ? delay == absl::Seconds(15) : delay >= absl::Seconds(29)));
  }
}

TEST_CASE("message failing past the maximum age fails") {
  Fixture f;
  f.policy.max_age = absl::Minutes(2);
  f.Restart();
  for (int i = 0; i < 10; ++i) f.sender.script.push_back(absl::UnavailableError("down"));
  REQUIRE(f.service->Send(Email("k")).ok());
  for (int i = 0; i < 10; ++i) {
    f.service->DeliverDue().IgnoreError();
    f.clock.Advance(absl::Minutes(1));
  }
  absl::StatusOr<MessageStatus> status = f.service->GetMessage("msg-000000000001");
  REQUIRE(status.ok());
  CHECK(status->state == DeliveryState::kFailed);
  CHECK(status->failure_reason.find("delivery stopped") != std::string::npos);
  CHECK(f.sender.delivered.empty());
}

TEST_CASE("permanent failure is not retried") {
  Fixture f;
  f.sender.script.push_back(absl::InvalidArgumentError("550 no such user"));
  REQUIRE(f.service->Send(Email("k")).ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  f.clock.Advance(absl::Hours(2));
  CHECK(*f.service->DeliverDue() == 0);
  CHECK(f.sender.attempts == 1);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kFailed);
}

TEST_CASE("restart requeues only messages left sending") {
  Fixture f;
  for (int i = 1; i <= 3; ++i) REQUIRE(f.service->Send(Email(absl::StrCat("k", i))).ok());
  // A run claims two messages and dies before recording either.
  f.policy.batch_size = 2;
  f.Restart();
  REQUIRE(f.store->ClaimDue(f.clock.Now(), 2)->size() == 2);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kSending);

  f.Restart();
  REQUIRE(*f.service->RecoverInterrupted() == 2);
  f.policy.batch_size = 16;
  f.Restart();
  REQUIRE(*f.service->DeliverDue() == 3);
  CHECK(f.sender.delivered.size() == 3);
  for (int i = 1; i <= 3; ++i) {
    CHECK(f.service->GetMessage(MessageId(i))->state == DeliveryState::kSent);
  }
  CHECK(*f.service->RecoverInterrupted() == 0);
}

TEST_CASE("non-urgent message waits for the morning") {
  Fixture f(LondonTime(2026, 12, 4, 22, 30));
  REQUIRE(f.service->Send(LinkApproved("approved:1")).ok());
  REQUIRE(f.service->Send(Sms("code:1")).ok());

  // The security code goes at once; the approval waits.
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.sender.delivered[0].channel == Channel::kSms);
  CHECK(f.store->Find(1)->next_attempt_at == LondonTime(2026, 12, 5, 7, 0));

  f.clock.Advance(absl::Hours(8) + absl::Minutes(29));
  CHECK(*f.service->DeliverDue() == 0);
  f.clock.Advance(absl::Minutes(1));
  CHECK(*f.service->DeliverDue() == 1);
  CHECK(f.sender.delivered.back().kind == MessageKind::kLinkApproved);
}

TEST_CASE("quiet hours follow London time") {
  struct Case {
    absl::Time accepted;
    absl::Time due;
  };
  const Case cases[] = {
      {LondonTime(2026, 7, 1, 20, 59), LondonTime(2026, 7, 1, 20, 59)},
      {LondonTime(2026, 7, 1, 21, 0), LondonTime(2026, 7, 2, 7, 0)},
      {LondonTime(2026, 7, 2, 3, 15), LondonTime(2026, 7, 2, 7, 0)},
      {LondonTime(2026, 7, 2, 7, 0), LondonTime(2026, 7, 2, 7, 0)},
      // The night the clocks go back: 07:00 is still 07:00 local time.
      {LondonTime(2026, 10, 24, 23, 0), LondonTime(2026, 10, 25, 7, 0)},
  };
  for (const Case& c : cases) {
    INFO(absl::FormatTime(c.accepted, London()));
    Fixture f(c.accepted);
    REQUIRE(f.service->Send(LinkApproved("k")).ok());
    CHECK(f.store->Find(1)->next_attempt_at == c.due);
  }
}

TEST_CASE("queue age starts when a held message is due") {
  // A link email accepted at 22:30 waits for the quiet hours to end at
  // 07:00, and is late only from then.
  prometheus::Registry registry;
  NotificationMetrics metrics(registry);
  Fixture f(LondonTime(2026, 12, 4, 22, 30));
  f.metrics = &metrics;
  f.Restart();
  REQUIRE(f.service->Send(LinkApproved("held")).ok());

  f.clock.Advance(absl::Hours(8));
  f.service->RefreshQueueMetrics();
  CHECK(OldestAge(registry) == 0);

  // At 07:20 it has been due for 20 minutes.
  f.clock.Advance(absl::Minutes(50));
  f.service->RefreshQueueMetrics();
  CHECK(OldestAge(registry) == 20 * 60);

  // A retry after a failure keeps the time it became due.
  f.sender.script.push_back(absl::UnavailableError("busy"));
  REQUIRE(*f.service->DeliverDue() == 1);
  f.service->RefreshQueueMetrics();
  CHECK(OldestAge(registry) == 20 * 60);
}

TEST_CASE("failed text falls back to email") {
  Fixture f;
  SendRequest request = Sms("code:7");
  request.fallback_email = "Parent@Example.com";
  f.sender.script.push_back(absl::InvalidArgumentError("not a mobile number"));
  REQUIRE(f.service->Send(request).ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.service->GetMessage("msg-000000000001")->state == DeliveryState::kFailed);

  REQUIRE(*f.service->DeliverDue() == 1);
  REQUIRE(f.sender.delivered.size() == 1);
  const OutboxMessage& email = f.sender.delivered[0];
  CHECK(email.channel == Channel::kEmail);
  CHECK(email.recipient == "Parent@example.com");
  CHECK(email.body == "Your code is 123456");
  CHECK(email.idempotency_key == "code:7/email-fallback");
}

TEST_CASE("fallback email waits out the night") {
  Fixture f(LondonTime(2026, 12, 4, 20, 30));
  SendRequest request = LinkApproved("approved:1");
  request.channel = Channel::kSms;
  request.to = "07294 053474";
  request.fallback_email = "parent@example.com";
  REQUIRE(f.service->Send(request).ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  f.clock.Advance(absl::Hours(1));
  REQUIRE(f.service->RecordReceipt("msg-000000000001", "permanent-failure").ok());

  CHECK(*f.service->DeliverDue() == 0);
  absl::StatusOr<OutboxMessage> email = f.store->Find(2);
  REQUIRE(email.ok());
  CHECK(email->channel == Channel::kEmail);
  CHECK(email->next_attempt_at == LondonTime(2026, 12, 5, 7, 0));
}

TEST_CASE("receipts update the message state") {
  Fixture f;
  SendRequest request = Sms("code:8");
  request.fallback_email = "parent@example.com";
  REQUIRE(f.service->Send(request).ok());
  REQUIRE(f.service->Send(Sms("code:9")).ok());
  REQUIRE(*f.service->DeliverDue() == 2);
  // The text with a fallback keeps its body until the receipt.
  CHECK_FALSE(f.store->Find(1)->body.empty());

  CHECK(f.service->RecordReceipt("msg-000000000002", "delivered")->state == DeliveryState::kSent);
  CHECK(f.service->RecordReceipt("msg-000000000001", "permanent-failure")->state ==
        DeliveryState::kFailed);
  // A repeated receipt queues no second email.
  REQUIRE(f.service->RecordReceipt("msg-000000000001", "permanent-failure").ok());
  REQUIRE(*f.service->DeliverDue() == 1);
  CHECK(f.sender.delivered.back().recipient == "parent@example.com");

  CHECK(f.service->RecordReceipt("msg-000000000002", "technical-failure")->state ==
        DeliveryState::kTemporaryFailure);
  CHECK(f.service->RecordReceipt("msg-000000000002", "read").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(f.service->RecordReceipt("msg-000000000099", "delivered").status().code() ==
        absl::StatusCode::kNotFound);
}

}  // namespace pp::notification
