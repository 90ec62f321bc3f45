// Where the payments-handoff service checks that a parent is linked to a
// child: link-verification's Links.GetChild, behind an interface so that
// tests can pass a fake.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_CHILD_DIRECTORY_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_CHILD_DIRECTORY_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "parentsportal/link.grpc.pb.h"

namespace pp::payments {

class ChildDirectory {
 public:
  virtual ~ChildDirectory() = default;
  // Returns the child when `account_id` has an approved link to it.
  // NotFound otherwise; Unavailable when the directory cannot be reached.
  virtual absl::StatusOr<parentsportal::link::v1::Child> GetLinkedChild(
      const std::string& account_id, const std::string& child_id) = 0;
};

// Calls link-verification over gRPC with a 5-second deadline.
class GrpcChildDirectory : public ChildDirectory {
 public:
  explicit GrpcChildDirectory(std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<parentsportal::link::v1::Child> GetLinkedChild(
      const std::string& account_id, const std::string& child_id) override;

 private:
  std::unique_ptr<parentsportal::link::v1::Links::Stub> stub_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_CHILD_DIRECTORY_H_
