#include "handoff_grpc.h"

#include "server/server.h"

namespace pp::payments {
namespace {

// Copies the value of `result` into `response`, or returns its error.
template <typename Response>
absl::Status Answer(absl::StatusOr<Response> result, Response* response) {
  if (!result.ok()) return result.status();
  *response = std::move(*result);
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* HandoffGrpc::Create(grpc::CallbackServerContext* context,
                                              const api::CreateRequest* request,
                                              api::CreateResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.Create(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::Redeem(grpc::CallbackServerContext* context,
                                              const api::RedeemRequest* request,
                                              api::RedeemResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.Redeem(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::Complete(grpc::CallbackServerContext* context,
                                                const api::CompleteRequest* request,
                                                api::HandoffStatus* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.Complete(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::GetStatus(grpc::CallbackServerContext* context,
                                                 const api::GetStatusRequest* request,
                                                 api::HandoffStatus* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.GetStatus(*request), response);
  });
}

}  // namespace pp::payments
