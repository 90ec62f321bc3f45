#include "child_directory.h"

#include <grpcpp/client_context.h>

#include "server/server.h"

namespace pp::payments {

GrpcChildDirectory::GrpcChildDirectory(std::shared_ptr<grpc::Channel> channel)
    : stub_(parentsportal::link::v1::Links::NewStub(std::move(channel))) {}

absl::StatusOr<parentsportal::link::v1::Child> GrpcChildDirectory::GetLinkedChild(
    const std::string& account_id, const std::string& child_id) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(5));
  parentsportal::link::v1::GetChildRequest request;
  request.set_account_id(account_id);
  request.set_child_id(child_id);
  parentsportal::link::v1::Child child;
  absl::Status status = FromGrpcStatus(stub_->GetChild(&context, request, &child));
  if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::UnavailableError("link-verification did not answer within 5 seconds");
  }
  if (!status.ok()) return status;
  return child;
}

}  // namespace pp::payments
