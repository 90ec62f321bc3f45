// The outbox: every message accepted for delivery, its idempotency key and
// its delivery state, in <data_dir>/notification.db.
//
// A message moves queued -> sending -> sent, or from sending to
// temporary_failure (and back to sending when it is due again) or to
// failed. A row is marked sending, in its own committed transaction, before
// it is handed to a provider, so a crash can repeat only the messages that
// were sending at the time.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace pp::notification {

// The numbers match the Channel, DeliveryState and MessageKind enums of
// notification.proto.
enum class Channel { kUnspecified = 0, kEmail = 1, kSms = 2 };
enum class DeliveryState {
  kQueued = 1,
  kSent = 2,
  kFailed = 3,
  kSending = 4,
  kTemporaryFailure = 5
};
enum class MessageKind {
  kUnspecified = 0,
  kOneTimePassword = 1,
  kUsernameReminder = 2,
  kSecurityCode = 3,
  kPasswordChanged = 4,
  kLinkRequested = 5,
  kLinkApproved = 6,
  kLinkRejected = 7,
  kSchoolReminder = 8,
  kPasswordReset = 9,
  kRegistrationAttempt = 10,
  kLinkEnded = 11,
};
inline constexpr MessageKind kLastMessageKind = MessageKind::kLinkEnded;

// One outbox row.
struct OutboxMessage {
  int64_t id = 0;
  std::string idempotency_key;
  MessageKind kind = MessageKind::kUnspecified;
  Channel channel = Channel::kUnspecified;
  // Normalised: an email address, or a mobile number in E.164 form.
  std::string recipient;
  std::string subject;
  // The plain text; for a text message, the whole message. Cleared once the
  // message is sent, so that secrets in it (one-time passwords, codes) stay
  // only in the delivered copy.
  std::string body;
  // The HTML alternative of an email; empty for a plain-text-only email.
  std::string html_body;
  // For a text message: the address an email copy goes to when the text
  // fails permanently. Empty when there is none.
  std::string fallback_email;
  DeliveryState state = DeliveryState::kQueued;
  std::string failure_reason;
  // Delivery attempts started, including the one in progress.
  int attempts = 0;
  absl::Time created_at;
  // When a queued or temporarily failed message is next due.
  absl::Time next_attempt_at;
  // The parent's account; empty when the caller did not name one.
  std::string account_id;
};

// A parent's choice of channels for one message kind.
struct ChannelChoice {
  bool email = true;
  bool sms = false;
};

// Counts over the messages still waiting: queued, sending or temporarily
// failed.
struct QueueStats {
  int64_t depth = 0;
  // The earliest time a waiting message became due: its creation, or the
  // end of the quiet hours that held it. Unset when none waits. A message
  // held until later is not late, so it does not count as waiting before
  // then.
  std::optional<absl::Time> oldest_due_at;
};

// Returns the public id of a row: "msg-" and the row id in 12 digits, so
// that ids sort by creation and are safe as file names.
std::string MessageId(int64_t id);
// Returns the row id in a public id, or NotFound when `message_id` is not
// one this service issues.
absl::StatusOr<int64_t> ParseMessageId(std::string_view message_id);

const char* ChannelName(Channel channel);
// Returns the snake_case name of `kind` ("one_time_password"), which also
// names its template files; "unspecified" for kUnspecified.
const char* KindName(MessageKind kind);

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
  // the outbox. `message.id`, `state` and `attempts` are ignored.
  absl::StatusOr<Insertion> InsertOrFind(const OutboxMessage& message);

  // Returns the message, or NotFound.
  absl::StatusOr<OutboxMessage> Find(int64_t id);

  // Marks up to `limit` queued or temporarily failed messages that are due
  // at `now` as sending, counts the attempt, and returns them oldest first.
  // Each message is claimed by one caller only.
  absl::StatusOr<std::vector<OutboxMessage>> ClaimDue(absl::Time now, int limit);

  // Returns every message left sending by a run that stopped, to QUEUED, due
  // at once. Call it at start-up, before any delivery begins. Returns how
  // many there were.
  absl::StatusOr<int> RequeueInterrupted(absl::Time now);

  // Puts a FAILED message back in the queue, due at `now`.
  absl::Status Requeue(int64_t id, absl::Time now);

  // Marks the message sent and clears its body, unless `keep_body`: a text
  // with a fallback address keeps it until the provider's receipt, because
  // a failed text is then sent again by email.
  absl::Status MarkSent(int64_t id, absl::Time sent_at, bool keep_body = false);
  // Records a failure that may pass; the message is due again at `retry_at`.
  absl::Status MarkTemporaryFailure(int64_t id, std::string_view reason, absl::Time failed_at,
                                    absl::Time retry_at);
  // Records a failure that retries will not fix.
  absl::Status MarkFailed(int64_t id, std::string_view reason, absl::Time failed_at);

  // Returns when the next queued or temporarily failed message is due, or
  // nullopt when none is.
  absl::StatusOr<std::optional<absl::Time>> NextDueAt();

  absl::StatusOr<QueueStats> Stats();

  // Returns up to `limit` messages of `account_id`, newest first.
  absl::StatusOr<std::vector<OutboxMessage>> ListForAccount(const std::string& account_id,
                                                            int limit);

  // Returns the account's stored choices; kinds without one are absent.
  absl::StatusOr<std::map<MessageKind, ChannelChoice>> GetPreferences(
      const std::string& account_id);
  // Replaces all of the account's choices with `choices`.
  absl::Status SetPreferences(const std::string& account_id,
                              const std::map<MessageKind, ChannelChoice>& choices);

 private:
  explicit NotificationStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  absl::Status SetState(int64_t id, std::string_view sql, const std::vector<SqlValue>& params);

  std::unique_ptr<Store> store_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_STORE_H_
