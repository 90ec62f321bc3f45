// The notification logic: validates a message, renders its template and
// stores it in the outbox (Send), and delivers what is due through a Sender
// with retries, back-off and fallbacks (DeliverDue). Send never waits for
// delivery: a DeliveryLoop calls DeliverDue in the background.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "notification_metrics.h"
#include "notification_store.h"
#include "sender.h"
#include "templates.h"

namespace pp::notification {

struct SendRequest {
  Channel channel = Channel::kUnspecified;
  // An email address, or a UK mobile number in any common format.
  std::string to;
  // Email only; required there unless `kind` is set.
  std::string subject;
  // Required unless `kind` is set.
  std::string body;
  std::string idempotency_key;
  // When set, the subject and body come from the kind's template, filled
  // with `template_data`, and `subject` and `body` must be empty.
  MessageKind kind = MessageKind::kUnspecified;
  std::map<std::string, std::string> template_data;
  // For a text message: where an email copy goes if the text fails
  // permanently. Optional.
  std::string fallback_email;
  // The parent's account, for their history. For a kind that is not
  // urgent, their preferences then choose the channels: `to` is their
  // email address (channel EMAIL) and `mobile` their mobile number, if any.
  std::string account_id;
  std::string mobile;
};

struct SendResult {
  std::string message_id;
  // True when the key was seen before and nothing new was queued.
  bool duplicate = false;
};

struct MessageStatus {
  std::string message_id;
  Channel channel = Channel::kUnspecified;
  MessageKind kind = MessageKind::kUnspecified;
  DeliveryState state = DeliveryState::kQueued;
  int attempts = 0;
  std::string failure_reason;
  absl::Time created_at;
  std::string recipient;
};

// How delivery retries failed messages and delays non-urgent ones at night.
struct DeliveryPolicy {
  // The delay before the first retry; each later retry doubles it, up to
  // `max_retry_delay`. The actual delay is drawn between half and all of it
  // (jitter), so that many failed messages do not retry in step.
  absl::Duration first_retry_delay = absl::Seconds(30);
  absl::Duration max_retry_delay = absl::Minutes(30);
  // A message still failing temporarily this long after it was accepted
  // is marked FAILED.
  absl::Duration max_age = absl::Hours(24);
  // Messages claimed per DeliverDue pass.
  int batch_size = 16;
  // Non-urgent messages accepted from `quiet_start_hour` to
  // `quiet_end_hour` (local time in `zone`) wait until `quiet_end_hour`.
  absl::TimeZone zone = absl::UTCTimeZone();
  int quiet_start_hour = 21;
  int quiet_end_hour = 7;
  // Returns a number in [0, 1) for the jitter; a random one when unset.
  std::function<double()> random;
};

// Returns the public view of an outbox row.
MessageStatus StatusOf(const OutboxMessage& message);

// Returns true for kinds that always go at once: account and security
// messages, and messages without a kind.
bool IsUrgent(MessageKind kind);

// Returns true for the kinds a parent chooses email, text or both for:
// the non-urgent messages about their link requests. A school reminder is
// not one, because it goes to the school office.
bool IsParentChoice(MessageKind kind);

class NotificationService {
 public:
  // `metrics` and `templates` may be null; without templates, a Send with a
  // kind is rejected. All references must outlive the service.
  NotificationService(NotificationStore& store, Clock& clock, Sender& sender,
                      NotificationMetrics* metrics, DeliveryPolicy policy = {},
                      const Templates* templates = nullptr);

  // Validates, renders and stores the message, then returns its id without
  // delivering it. With an account and a kind that is not urgent, the
  // parent's preferences may add a text copy or replace the email by a
  // text (with the email as its fallback); the id returned is the email's,
  // or the text's when no email is queued. A key seen before returns the first message with
  // `duplicate` set and queues nothing, unless that message FAILED: then it
  // is queued again. InvalidArgument names the field at fault; Unavailable
  // when the outbox cannot be written (retry with the same key).
  absl::StatusOr<SendResult> Send(const SendRequest& request);

  // Returns the message's state, or NotFound.
  absl::StatusOr<MessageStatus> GetMessage(std::string_view message_id);

  // Returns up to `limit` (1 to 200) messages of `account_id`, newest
  // first. InvalidArgument when the account id is missing.
  absl::StatusOr<std::vector<MessageStatus>> ListMessages(const std::string& account_id, int limit);

  // Returns the account's channel choice for every kind that is not
  // urgent; kinds without a stored choice go by email only.
  absl::StatusOr<std::map<MessageKind, ChannelChoice>> GetPreferences(
      const std::string& account_id);
  // Stores the account's choices. InvalidArgument for an urgent kind or a
  // choice of no channel at all.
  absl::Status SetPreferences(const std::string& account_id,
                              const std::map<MessageKind, ChannelChoice>& choices);

  // Applies a provider's delivery receipt. "delivered" marks the message
  // SENT. "permanent-failure" and "temporary-failure" mark it FAILED,
  // because the provider has stopped trying, and a text falls back to
  // email. "technical-failure" queues it again with back-off.
  // InvalidArgument for another status, NotFound for an unknown message.
  absl::StatusOr<MessageStatus> RecordReceipt(std::string_view message_id, std::string_view status);

  // Queues again the messages that were being sent when a previous run
  // stopped. They may have reached the provider, so they may arrive twice.
  // Call once at start-up, before any DeliverDue. Returns how many.
  absl::StatusOr<int> RecoverInterrupted();

  // Claims up to one batch of due messages, delivers each and records the
  // outcome. Returns how many were claimed; 0 when nothing is due. Fails
  // only when the outbox cannot be read. Safe to call from several threads.
  absl::StatusOr<int> DeliverDue();

  // Returns when the next message is due, or nullopt when none waits.
  absl::StatusOr<std::optional<absl::Time>> NextDueAt();

  // Sets the queue depth and oldest-message age gauges from the outbox.
  void RefreshQueueMetrics();

  // Calls `hook` after each newly stored message, so a delivery loop can
  // wake up. Set it before the service takes calls.
  void SetStoredHook(std::function<void()> hook) { stored_hook_ = std::move(hook); }

 private:
  // Delivers one claimed message and records the outcome.
  void DeliverOne(const OutboxMessage& message);
  // Records a failure: a retry with back-off, or FAILED and a fallback.
  void RecordFailure(const OutboxMessage& message, const absl::Status& failure);
  // Marks the message FAILED and, for a text with a fallback address,
  // queues an email copy.
  void FailPermanently(const OutboxMessage& message, std::string_view reason);
  // Returns `when`, or the end of the quiet hours when `when` falls in them
  // and the message may wait.
  absl::Time HoldIfQuiet(MessageKind kind, absl::Time when) const;
  absl::Duration RetryDelay(int attempts) const;
  // Stores one row, or queues again a FAILED row with its key. Returns
  // whether anything was queued; sets `result`'s id when it is given.
  absl::StatusOr<bool> Store(const OutboxMessage& message, SendResult* result);
  // Returns the rows to store for a validated `email_or_text` row: that row,
  // or the rows the parent's preferences choose instead.
  absl::StatusOr<std::vector<OutboxMessage>> ApplyPreferences(const SendRequest& request,
                                                              OutboxMessage email_or_text);

  NotificationStore& store_;
  Clock& clock_;
  Sender& sender_;
  NotificationMetrics* metrics_;
  DeliveryPolicy policy_;
  const Templates* templates_;
  std::function<void()> stored_hook_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_
