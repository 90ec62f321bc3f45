// Sending security codes: an interface, so that tests can see what would be
// sent, and its implementation over the notification service.
#ifndef PP_LINK_NOTIFIER_H_
#define PP_LINK_NOTIFIER_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/status.h"
#include "parentsportal/notification.grpc.pb.h"

namespace pp::link {

class Notifier {
 public:
  virtual ~Notifier() = default;

  // Hands one email or text message over for delivery. Returns Unavailable
  // when it cannot be handed over now (the caller may retry), and
  // FailedPrecondition when the destination was refused as invalid.
  virtual absl::Status Send(const parentsportal::notification::v1::SendRequest& message) = 0;
};

// Calls parentsportal.notification.v1.Notifications/Send with a deadline.
class GrpcNotifier : public Notifier {
 public:
  explicit GrpcNotifier(std::shared_ptr<grpc::Channel> channel);
  absl::Status Send(const parentsportal::notification::v1::SendRequest& message) override;

 private:
  std::unique_ptr<parentsportal::notification::v1::Notifications::Stub> stub_;
};

}  // namespace pp::link

#endif  // PP_LINK_NOTIFIER_H_
