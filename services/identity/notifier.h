// Email delivery for identity: the notification service, behind an
// interface so that tests can pass a fake.
#ifndef PP_SERVICES_IDENTITY_NOTIFIER_H_
#define PP_SERVICES_IDENTITY_NOTIFIER_H_

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "parentsportal/notification.grpc.pb.h"

namespace pp::identity {

// An email to a parent, written by notification's template for `kind`
// from `template_data`.
struct Email {
  std::string to;
  parentsportal::notification::v1::MessageKind kind =
      parentsportal::notification::v1::MESSAGE_KIND_UNSPECIFIED;
  // The template's placeholder values. Times are RFC 3339 in UTC, and
  // notification shows them in UK time.
  std::map<std::string, std::string> template_data;
  // The account the email is about, so that it appears in the parent's
  // message history.
  std::string account_id;
  // The same key never sends twice.
  std::string idempotency_key;
};

class Notifier {
 public:
  virtual ~Notifier() = default;

  // Returns OK once the email is accepted for delivery. Unavailable when it
  // cannot be accepted now, so that the caller may retry.
  virtual absl::Status SendEmail(const Email& email) = 0;
};

// Calls parentsportal.notification.v1.Notifications/Send with a 2-second
// deadline.
class GrpcNotifier : public Notifier {
 public:
  explicit GrpcNotifier(std::shared_ptr<grpc::Channel> notification);
  absl::Status SendEmail(const Email& email) override;

 private:
  std::unique_ptr<parentsportal::notification::v1::Notifications::Stub> stub_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_NOTIFIER_H_
