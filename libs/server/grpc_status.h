// The one conversion between absl::Status (below the RPC layer) and
// grpc::Status (on the wire). Both use the same canonical codes.
#ifndef PP_SERVER_GRPC_STATUS_H_
#define PP_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pp {

// The payloads of `status` (absl::Status::SetPayload) travel in the gRPC
// status details, and FromGrpcStatus restores them.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// Returns `status` with how long its caller should wait before trying again.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
// Returns the delay WithRetryDelay gave `status`, if any.
std::optional<absl::Duration> RetryDelay(const absl::Status& status);

}  // namespace pp

#endif  // PP_SERVER_GRPC_STATUS_H_
