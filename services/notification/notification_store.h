// The outbox: every message accepted for delivery, its idempotency key and
// its delivery state, in <data_dir>/notification.db.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace pp::notification {

// The numbers match the Channel and DeliveryState enums of notification.proto.
enum class Channel { kUnspecified = 0, kEmail = 1, kSms = 2 };
enum class DeliveryState { kQueued = 1, kSent = 2, kFailed = 3 };

// One outbox row.
struct OutboxMessage {
  int64_t id = 0;
  std::string idempotency_key;
  Channel channel = Channel::kUnspecified;
  // Normalised: an email address, or a mobile number in E.164 form.
  std::string recipient;
  std::string subject;
  // Cleared once the message is sent, so that secrets in it (one-time
  // passwords, codes) stay only in the delivered copy.
  std::string body;
  DeliveryState state = DeliveryState::kQueued;
  std::string failure_reason;
  absl::Time created_at;
};

// Returns the public id of a row: "msg-" and the row id in 12 digits, so
// that ids sort by creation and are safe as file names.
std::string MessageId(int64_t id);
// Returns the row id in a public id, or NotFound when `message_id` is not
// one this service issues.
absl::StatusOr<int64_t> ParseMessageId(std::string_view message_id);

const char* ChannelName(Channel channel);

class NotificationStore {
 public:
  // Opens or creates <data_dir>/notification.db, creating the folder first.
  static absl::StatusOr<std::unique_ptr<NotificationStore>> Open(const std::string& data_dir);

  struct Insertion {
    OutboxMessage message;
    // False when a message with the same idempotency key already existed, and
    // `message` is then that earlier one.
    bool inserted = false;
  };
  // Stores `message` as QUEUED unless its idempotency key is already in
  // the outbox. `message.id` and `message.state` are ignored.
  absl::StatusOr<Insertion> InsertOrFind(const OutboxMessage& message);

  // Returns the message, or NotFound.
  absl::StatusOr<OutboxMessage> Find(int64_t id);

  // Returns every message still QUEUED, oldest first.
  absl::StatusOr<std::vector<OutboxMessage>> ListQueued();

  absl::Status MarkSent(int64_t id, absl::Time sent_at);
  absl::Status MarkFailed(int64_t id, std::string_view reason, absl::Time failed_at);

 private:
  explicit NotificationStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  std::unique_ptr<Store> store_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_
