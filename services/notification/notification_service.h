// The notification logic: validates a message, stores it in the outbox and
// hands it to a Sender. A repeated idempotency key delivers nothing new
// unless the first delivery failed.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "clock/clock.h"
#include "notification_metrics.h"
#include "notification_store.h"
#include "sender.h"

namespace pp::notification {

struct SendRequest {
  Channel channel = Channel::kUnspecified;
  // An email address, or a UK mobile number in any common format.
  std::string to;
  // Email only; required there.
  std::string subject;
  std::string body;
  std::string idempotency_key;
};

struct SendResult {
  std::string message_id;
  // True when the key was seen before and nothing new was sent.
  bool duplicate = false;
};

struct MessageStatus {
  std::string message_id;
  Channel channel = Channel::kUnspecified;
  DeliveryState state = DeliveryState::kQueued;
  absl::Time created_at;
};

class NotificationService {
 public:
  // `metrics` may be null.
  NotificationService(NotificationStore& store, Clock& clock, Sender& sender,
                      NotificationMetrics* metrics);

  // Validates and stores the message, then delivers it. A key seen before
  // returns the first message with `duplicate` set and delivers nothing,
  // unless that message FAILED: then its delivery is tried again.
  // InvalidArgument names the field at fault. Unavailable when the message
  // is stored but its delivery failed; calling again with the same key
  // retries it.
  absl::StatusOr<SendResult> Send(const SendRequest& request);

  // Returns the message's state, or NotFound.
  absl::StatusOr<MessageStatus> GetMessage(std::string_view message_id);

  // Delivers the messages a previous run stored but did not finish. Called
  // once at start-up. Returns an error only when the outbox cannot be read.
  // Failed deliveries are recorded as FAILED and logged.
  absl::Status DeliverQueued();

 private:
  // Delivers `message` and records the outcome.
  absl::Status Deliver(const OutboxMessage& message);

  NotificationStore& store_;
  Clock& clock_;
  Sender& sender_;
  NotificationMetrics* metrics_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_SERVICE_H_
