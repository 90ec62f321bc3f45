// gRPC wiring of the payments-handoff service.
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
  grpc::ServerUnaryReactor* Redeem(grpc::CallbackServerContext* context,
                                   const api::RedeemRequest* request,
                                   api::RedeemResponse* response) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext* context,
                                     const api::CompleteRequest* request,
                                     api::HandoffStatus* response) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const api::GetStatusRequest* request,
                                      api::HandoffStatus* response) override;

 private:
  HandoffService& service_;
  WorkPool& pool_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_GRPC_H_
