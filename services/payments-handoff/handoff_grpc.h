// gRPC wiring of the payments-handoff service. Redeem and Complete are
// deprecated and not overridden, so they answer UNIMPLEMENTED.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_GRPC_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_GRPC_H_

#include "handoff_service.h"
#include "parentsportal/payments.grpc.pb.h"
#include "server/work_pool.h"

namespace pp::payments {

class HandoffGrpc final : public api::Handoff::CallbackService {
 public:
  HandoffGrpc(HandoffService& service, WorkPool& pool) : service_(service), pool_(pool) {}

  grpc::ServerUnaryReactor* Create(grpc::CallbackServerContext* context,
                                   const api::CreateRequest* request,
                                   api::CreateResponse* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const api::GetStatusRequest* request,
                                      api::HandoffStatus* response) override;
  grpc::ServerUnaryReactor* GetJwks(grpc::CallbackServerContext* context,
                                    const api::GetJwksRequest* request,
                                    api::JsonWebKeySet* response) override;
  grpc::ServerUnaryReactor* HandleCallback(grpc::CallbackServerContext* context,
                                           const api::CallbackRequest* request,
                                           api::CallbackResponse* response) override;
  grpc::ServerUnaryReactor* ListReceipts(grpc::CallbackServerContext* context,
                                         const api::ListReceiptsRequest* request,
                                         api::ListReceiptsResponse* response) override;
  grpc::ServerUnaryReactor* ListOnlineServices(grpc::CallbackServerContext* context,
                                               const api::ListOnlineServicesRequest* request,
                                               api::ListOnlineServicesResponse* response) override;
  grpc::ServerUnaryReactor* RotateSigningKey(grpc::CallbackServerContext* context,
                                             const api::RotateSigningKeyRequest* request,
                                             api::RotateSigningKeyResponse* response) override;

 private:
  HandoffService& service_;
  WorkPool& pool_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_GRPC_H_
