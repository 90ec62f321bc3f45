// Email delivery to an SMTP server through libcurl.
#ifndef PP_SERVICES_NOTIFICATION_SMTP_SENDER_H_
#define PP_SERVICES_NOTIFICATION_SMTP_SENDER_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sender.h"

namespace pp::notification {

struct SmtpOptions {
  // smtp://host:port, or smtps://host:port for TLS from the first byte.
  std::string url;
  // Requires STARTTLS on an smtp:// connection and fails without it.
  // NOTE: STARTTLS and login go to libcurl as set, but no test covers
  // them yet, because the test SMTP server offers neither.
  bool starttls = false;
  // Login; no AUTH when `username` is empty.
  std::string username;
  std::string password;
  // The From header; its address is also the envelope sender.
  std::string from;
  absl::Duration timeout = absl::Seconds(30);
};

// Sends each email as one SMTP transaction. Connections are kept open and
// reused, one per thread that is sending at the same time.
//
// A 5xx reply (the server rejects the message or recipient) is a permanent
// failure (InvalidArgument). Anything else that fails, such as a refused
// connection or login, a time-out or a 4xx reply, is temporary
// (Unavailable).
class SmtpSender : public Sender {
 public:
  explicit SmtpSender(SmtpOptions options);
  ~SmtpSender() override;
  SmtpSender(const SmtpSender&) = delete;
  SmtpSender& operator=(const SmtpSender&) = delete;

  absl::Status Deliver(const OutboxMessage& message) override;

 private:
  // A libcurl easy handle, which holds its connection between transfers.
  void* TakeHandle();
  void ReturnHandle(void* handle);

  SmtpOptions options_;
  std::string envelope_from_;
  std::mutex mutex_;
  std::vector<void*> idle_handles_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_SMTP_SENDER_H_
