// Delivery of one outbox message to a channel: files in a folder, an SMTP
// server, or a GOV.UK Notify-compatible HTTP API.
#ifndef PP_SERVICES_NOTIFICATION_SENDER_H_
#define PP_SERVICES_NOTIFICATION_SENDER_H_

#include <string>

#include "absl/status/status.h"
#include "notification_store.h"

namespace pp::notification {

class Sender {
 public:
  virtual ~Sender() = default;

  // Delivers `message` (already validated and stored). Delivering the same
  // message twice must be harmless, because a message that was being sent
  // when the process died is delivered again at start-up.
  //
  // The error code tells the caller whether to retry (IsTemporaryFailure):
  // Unavailable, ResourceExhausted, DeadlineExceeded, Aborted, Internal or
  // Unknown for a failure that may pass; any other code, typically
  // InvalidArgument or PermissionDenied, for one that retries will not fix.
  virtual absl::Status Deliver(const OutboxMessage& message) = 0;
};

// Returns true when a delivery that failed with `status` is worth retrying.
bool IsTemporaryFailure(const absl::Status& status);

// Writes each message as a file into one folder: <message_id>.eml, an
// RFC 5322 email with CRLF line ends, or <message_id>.sms, a "To:" line, a
// blank line and the text. Files are written under a temporary name and
// renamed, so a reader never sees half a file.
class FileSender : public Sender {
 public:
  // `from` is the From header, such as "Parents Portal <no-reply@example.org>".
  // The domain of its address also ends each Message-ID.
  FileSender(std::string outbox_dir, std::string from);

  absl::Status Deliver(const OutboxMessage& message) override;

 private:
  std::string outbox_dir_;
  std::string from_;
};

// Hands emails to one sender and text messages to another.
class ChannelRouter : public Sender {
 public:
  // Both senders must outlive the router.
  ChannelRouter(Sender& email, Sender& sms) : email_(email), sms_(sms) {}

  absl::Status Deliver(const OutboxMessage& message) override {
    return message.channel == Channel::kSms ? sms_.Deliver(message) : email_.Deliver(message);
  }

 private:
  Sender& email_;
  Sender& sms_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_SENDER_H_
