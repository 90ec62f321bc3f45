// NotificationService's delivery half: claiming due messages, handing them
// to the sender, and retries, expiry and fallbacks.
#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "log/log.h"
#include "notification_service.h"

namespace pp::notification {
namespace {

constexpr char kFallbackSubject[] = "Your Parents Portal message";

double RandomFraction() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

bool IsUrgent(MessageKind kind) {
  switch (kind) {
    case MessageKind::kLinkRequested:
    case MessageKind::kLinkApproved:
    case MessageKind::kLinkRejected:
    case MessageKind::kLinkEnded:
    case MessageKind::kSchoolReminder:
      return false;
    default:
      return true;
  }
}

bool IsParentChoice(MessageKind kind) {
  return !IsUrgent(kind) && kind != MessageKind::kSchoolReminder;
}

absl::Time NotificationService::HoldIfQuiet(MessageKind kind, absl::Time when) const {
  if (IsUrgent(kind)) return when;
  absl::CivilSecond local = policy_.zone.At(when).cs;
  int hour = local.hour();
  bool quiet = policy_.quiet_start_hour > policy_.quiet_end_hour
                   ? hour >= policy_.quiet_start_hour || hour < policy_.quiet_end_hour
                   : hour >= policy_.quiet_start_hour && hour < policy_.quiet_end_hour;
  if (!quiet) return when;

  // The morning after an evening hour, or the same morning after midnight.
  absl::CivilDay day(local);
  if (hour >= policy_.quiet_end_hour) day += 1;
  absl::CivilHour morning(day.year(), day.month(), day.day(), policy_.quiet_end_hour);
  return policy_.zone.At(morning).pre;
}

absl::Duration NotificationService::RetryDelay(int attempts) const {
  absl::Duration delay = policy_.first_retry_delay;
  for (int i = 1; i < attempts && delay < policy_.max_retry_delay; ++i) delay *= 2;
  delay = std::min(delay, policy_.max_retry_delay);
  double fraction = policy_.random ? policy_.random() : RandomFraction();
  return delay / 2 + (delay / 2) * fraction;
}

absl::StatusOr<int> NotificationService::RecoverInterrupted() {
  absl::StatusOr<int> requeued = store_.RequeueInterrupted(clock_.Now());
  if (requeued.ok() && *requeued > 0) {
    log::Warning("interrupted_messages_requeued").Field("count", *requeued);
  }
  return requeued;
}

absl::StatusOr<int> NotificationService::DeliverDue() {
  absl::StatusOr<std::vector<OutboxMessage>> claimed =
      store_.ClaimDue(clock_.Now(), policy_.batch_size);
  if (!claimed.ok()) return claimed.status();
  for (const OutboxMessage& message : *claimed) DeliverOne(message);
  return static_cast<int>(claimed->size());
}

void NotificationService::DeliverOne(const OutboxMessage& message) {
  absl::Time started = absl::Now();
  absl::Status delivered = sender_.Deliver(message);
  if (metrics_ != nullptr) {
    metrics_->ObserveDeliveryDuration(message.channel, absl::Now() - started);
  }
  if (!delivered.ok()) {
    RecordFailure(message, delivered);
    return;
  }

  bool awaiting_receipt = message.channel == Channel::kSms && !message.fallback_email.empty();
  if (metrics_ != nullptr) metrics_->CountDelivery(message.channel, message.kind, "delivered");
  if (absl::Status marked = store_.MarkSent(message.id, clock_.Now(), awaiting_receipt);
      !marked.ok()) {
    // The provider has the message; it stays sending and is sent again,
    // once more, at the next start.
    log::Error("outbox_update_failed")
        .Field("message_id", MessageId(message.id))
        .Field("error", marked.message());
  }
}

void NotificationService::RecordFailure(const OutboxMessage& message, const absl::Status& failure) {
  std::string message_id = MessageId(message.id);
  absl::Time now = clock_.Now();
  absl::Time retry_at = HoldIfQuiet(message.kind, now + RetryDelay(message.attempts));
  bool temporary = IsTemporaryFailure(failure);
  bool expired = retry_at - message.created_at > policy_.max_age;

  log::Warning("delivery_failed")
      .Field("message_id", message_id)
      .Field("channel", ChannelName(message.channel))
      .Field("kind", KindName(message.kind))
      .Field("attempt", message.attempts)
      .Field("temporary", temporary ? "true" : "false")
      .Field("error", failure.message());

  if (temporary && !expired) {
    if (metrics_ != nullptr) {
      metrics_->CountDelivery(message.channel, message.kind, "temporary_failure");
    }
    absl::Status marked =
        store_.MarkTemporaryFailure(message.id, std::string(failure.message()), now, retry_at);
    if (!marked.ok()) {
      log::Error("outbox_update_failed")
          .Field("message_id", message_id)
          .Field("error", marked.message());
    }
    return;
  }

  if (metrics_ != nullptr) {
    metrics_->CountDelivery(message.channel, message.kind,
                            temporary ? "expired" : "permanent_failure");
  }
  std::string reason =
      temporary ? absl::StrCat("still failing after ", message.attempts,
                               " attempts, so delivery stopped: ", std::string(failure.message()))
                : std::string(failure.message());
  FailPermanently(message, reason);
}

void NotificationService::FailPermanently(const OutboxMessage& message, std::string_view reason) {
  std::string message_id = MessageId(message.id);
  absl::Time now = clock_.Now();
  if (absl::Status marked = store_.MarkFailed(message.id, reason, now); !marked.ok()) {
    log::Error("outbox_update_failed")
        .Field("message_id", message_id)
        .Field("error", marked.message());
    return;
  }
  if (message.channel != Channel::kSms || message.fallback_email.empty()) return;
  if (message.body.empty()) {
    log::Warning("fallback_skipped").Field("message_id", message_id).Field("why", "no body kept");
    return;
  }

  // The copy's key derives from the text's, so a second failure report
  // for the same text queues no second email.
  OutboxMessage email;
  email.idempotency_key = absl::StrCat(message.idempotency_key, "/email-fallback");
  email.kind = message.kind;
  email.channel = Channel::kEmail;
  email.recipient = message.fallback_email;
  email.subject = message.subject.empty() ? kFallbackSubject : message.subject;
  email.body = message.body;
  email.created_at = now;
  email.next_attempt_at = HoldIfQuiet(message.kind, now);
  email.account_id = message.account_id;
  absl::StatusOr<NotificationStore::Insertion> stored = store_.InsertOrFind(email);
  if (!stored.ok()) {
    log::Error("fallback_failed")
        .Field("message_id", message_id)
        .Field("error", stored.status().message());
    return;
  }
  if (stored->inserted) {
    log::Info("fallback_queued")
        .Field("message_id", message_id)
        .Field("fallback_id", MessageId(stored->message.id));
    if (metrics_ != nullptr) metrics_->CountAccepted(Channel::kEmail, message.kind);
    if (stored_hook_) stored_hook_();
  }
}

absl::StatusOr<std::optional<absl::Time>> NotificationService::NextDueAt() {
  return store_.NextDueAt();
}

void NotificationService::RefreshQueueMetrics() {
  if (metrics_ == nullptr) return;
  absl::StatusOr<QueueStats> stats = store_.Stats();
  if (!stats.ok()) return;
  absl::Duration oldest = stats->oldest_due_at.has_value()
                              ? std::max(clock_.Now() - *stats->oldest_due_at, absl::ZeroDuration())
                              : absl::ZeroDuration();
  metrics_->SetQueue(stats->depth, oldest);
}

}  // namespace pp::notification
