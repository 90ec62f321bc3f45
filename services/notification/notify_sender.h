// Email and text-message delivery through a GOV.UK Notify-compatible HTTP
// API: POST /v2/notifications/email and /v2/notifications/sms.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFY_SENDER_H_
#define PP_SERVICES_NOTIFICATION_NOTIFY_SENDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "sender.h"

namespace pp::notification {

struct NotifyOptions {
  // The API's base URL, such as https://api.notifications.service.gov.uk.
  std::string url;
  // A Notify API key: "<key name>-<service id>-<secret key>", where the
  // service id and secret key are 36-character UUIDs.
  std::string api_key;
  // The Notify templates that take the whole message as personalisation:
  // ((subject)) and ((body)) for email, ((body)) for text messages.
  std::string email_template_id;
  std::string sms_template_id;
  absl::Duration timeout = absl::Seconds(30);
};

// The parts of a Notify API key.
struct NotifyKey {
  std::string service_id;
  std::string secret;
};

// Splits a Notify API key, or InvalidArgument when it is too short to hold
// a service id and a secret key.
absl::StatusOr<NotifyKey> ParseNotifyKey(const std::string& api_key);

// Returns an HS256 JSON Web Token with `iss` = the service id and `iat` =
// `now`, signed with the secret key, as Notify expects on every request.
std::string NotifyToken(const NotifyKey& key, absl::Time now);

// Returns `text` as a JSON string literal, quotes included.
std::string JsonString(const std::string& text);

// Posts each message with a fresh token and the outbox id as `reference`.
// 429 and 5xx replies and network failures are temporary (Unavailable,
// ResourceExhausted); 400 is permanent (InvalidArgument), as is 403
// (PermissionDenied) and any other 4xx.
class NotifySender : public Sender {
 public:
  // Fails with InvalidArgument when the API key cannot be parsed.
  static absl::StatusOr<std::unique_ptr<NotifySender>> Create(NotifyOptions options,
                                                              const Clock& clock);

  absl::Status Deliver(const OutboxMessage& message) override;

 private:
  NotifySender(NotifyOptions options, NotifyKey key, const Clock& clock)
      : options_(std::move(options)), key_(std::move(key)), clock_(clock) {}

  NotifyOptions options_;
  NotifyKey key_;
  const Clock& clock_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFY_SENDER_H_
