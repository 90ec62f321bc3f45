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
  bool starttls = false;
  // Login with AUTH PLAIN or LOGIN, as the server offers. No AUTH when
  // `username` is empty.
  std::string username;
  std::string password;
  // The From header; its address is also the envelope sender.
  std::string from;
  absl::Duration timeout = absl::Seconds(30);
  // PEM file of the certificate authorities that may sign the server's
  // certificate, or empty for the system's list. The server's certificate
  // and name are always verified.
  std::string ca_file;
};

// Returns InvalidArgument when `options` cannot work or would send the
// password in clear text: a URL that is not smtp:// or smtps://, STARTTLS
// on smtps://, or a login (a username, or one in the URL) on smtp://
// without STARTTLS.
absl::Status CheckSmtpOptions(const SmtpOptions& options);

// Sends each email as one SMTP transaction. Connections are kept open and
// reused, one per thread that is sending at the same time.
//
// A 5xx reply that rejects the message or a recipient is a permanent
// failure (InvalidArgument). Anything else that fails is temporary
// (Unavailable), such as a refused connection, a time-out or a 4xx reply.
// Faults of our own settings would fail every message alike, so they are
// temporary too, and messages wait for the operator to fix them. These are
// a rejected login (535), a server that requires STARTTLS or a login we do
// not use (530, 538), a server without STARTTLS when it is required, and a
// certificate that does not verify.
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
