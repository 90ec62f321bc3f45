// Email delivery for identity: the notification service, behind an
// interface so that tests can pass a fake.
#ifndef PP_SERVICES_IDENTITY_NOTIFIER_H_
#define PP_SERVICES_IDENTITY_NOTIFIER_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "parentsportal/notification.grpc.pb.h"

namespace pp::identity {

struct Email {
  std::string to;
  std::string subject;
  std::string body;
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
