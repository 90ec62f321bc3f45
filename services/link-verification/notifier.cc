#include "notifier.h"

#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "server/server.h"

namespace pp::link {

namespace notification = parentsportal::notification::v1;

GrpcNotifier::GrpcNotifier(std::shared_ptr<grpc::Channel> channel)
    : stub_(notification::Notifications::NewStub(channel)) {}

absl::Status GrpcNotifier::Send(const notification::SendRequest& message) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  notification::SendResponse response;
  grpc::Status status = stub_->Send(&context, message, &response);
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("the notification service refused the destination: ", status.error_message()));
  }
  return absl::UnavailableError(
      absl::StrCat("cannot reach the notification service: ", status.error_message()));
}

}  // namespace pp::link
