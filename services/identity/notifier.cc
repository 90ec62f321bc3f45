#include "notifier.h"

#include "absl/strings/str_cat.h"
#include "server/server.h"

namespace pp::identity {

namespace notification = parentsportal::notification::v1;

GrpcNotifier::GrpcNotifier(std::shared_ptr<grpc::Channel> notification)
    : stub_(notification::Notifications::NewStub(notification)) {}

absl::Status GrpcNotifier::SendEmail(const Email& email) {
  notification::SendRequest request;
  request.set_channel(notification::EMAIL);
  request.set_to(email.to);
  request.set_kind(email.kind);
  request.mutable_template_data()->insert(email.template_data.begin(), email.template_data.end());
  request.set_account_id(email.account_id);
  request.set_idempotency_key(email.idempotency_key);

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  notification::SendResponse response;
  grpc::Status status = stub_->Send(&context, request, &response);
  if (status.ok()) return absl::OkStatus();

  // Identity checks addresses with the same rule as notification, so a
  // rejected email is a fault on this side, not the caller's.
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    return absl::InternalError(
        absl::StrCat("the notification service rejected an email: ", status.error_message()));
  }
  return absl::UnavailableError(
      absl::StrCat("the notification service cannot send email now: ", status.error_message()));
}

}  // namespace pp::identity
