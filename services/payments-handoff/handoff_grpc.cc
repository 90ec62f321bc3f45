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

grpc::ServerUnaryReactor* HandoffGrpc::GetStatus(grpc::CallbackServerContext* context,
                                                 const api::GetStatusRequest* request,
                                                 api::HandoffStatus* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.GetStatus(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::GetJwks(grpc::CallbackServerContext* context,
                                               const api::GetJwksRequest* request,
                                               api::JsonWebKeySet* response) {
  return RunOnPool(context, pool_,
                   [this, response]() { return Answer(service_.GetJwks(), response); });
}

grpc::ServerUnaryReactor* HandoffGrpc::HandleCallback(grpc::CallbackServerContext* context,
                                                      const api::CallbackRequest* request,
                                                      api::CallbackResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.HandleCallback(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::ListReceipts(grpc::CallbackServerContext* context,
                                                    const api::ListReceiptsRequest* request,
                                                    api::ListReceiptsResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() {
    return Answer(service_.ListReceipts(*request), response);
  });
}

grpc::ServerUnaryReactor* HandoffGrpc::ListOnlineServices(
    grpc::CallbackServerContext* context, const api::ListOnlineServicesRequest* request,
    api::ListOnlineServicesResponse* response) {
  // The providers are in memory, so this call runs without the work pool.
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(Answer(service_.ListOnlineServices(*request), response)));
  return reactor;
}

grpc::ServerUnaryReactor* HandoffGrpc::RotateSigningKey(grpc::CallbackServerContext* context,
                                                        const api::RotateSigningKeyRequest* request,
                                                        api::RotateSigningKeyResponse* response) {
  return RunOnPool(context, pool_,
                   [this, response]() { return Answer(service_.RotateSigningKey(), response); });
}

}  // namespace pp::payments
