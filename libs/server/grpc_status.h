// The one conversion between absl::Status (below the RPC layer) and
// grpc::Status (on the wire). Both use the same canonical codes.
#ifndef PP_SERVER_GRPC_STATUS_H_
#define PP_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace pp {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace pp

#endif  // PP_SERVER_GRPC_STATUS_H_
