// Delivery of one outbox message. The file sender is the one in use, and an
// SMTP client or a text-message provider would implement the same interface.
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
  // message twice must be harmless, because a message left QUEUED by a crash
  // is delivered again at start-up. Returns an error saying what failed.
  virtual absl::Status Deliver(const OutboxMessage& message) = 0;
};

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
  std::string message_id_domain_;
};

// Returns the full text of the email file for `message`.
std::string FormatEmail(const OutboxMessage& message, const std::string& from,
                        const std::string& message_id_domain);

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_SENDER_H_
