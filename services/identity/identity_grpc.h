// The gRPC wiring of parentsportal.identity.v1.Identity: converts messages
// and runs the logic on work pools. Calls that hash a password run on a
// bounded pool of their own, so that a storm of them is turned away with
// RESOURCE_EXHAUSTED instead of delaying the session checks every page
// needs.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_GRPC_H_
#define PP_SERVICES_IDENTITY_IDENTITY_GRPC_H_

#include "identity_service.h"
#include "parentsportal/identity.grpc.pb.h"
#include "server/work_pool.h"

namespace pp::identity {

namespace v1 = parentsportal::identity::v1;

class IdentityGrpc final : public v1::Identity::CallbackService {
 public:
  // `pool` runs the calls that do not hash a password, `password_pool` the
  // ones that do (Register, SignIn, ChangePassword, ForgotPassword).
  IdentityGrpc(IdentityService& service, WorkPool& pool, WorkPool& password_pool)
      : service_(service), pool_(pool), password_pool_(password_pool) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::RegisterResponse* response) override;
  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* context,
                                   const v1::SignInRequest* request,
                                   v1::SignInResponse* response) override;
  grpc::ServerUnaryReactor* ChangePassword(grpc::CallbackServerContext* context,
                                           const v1::ChangePasswordRequest* request,
                                           v1::ChangePasswordResponse* response) override;
  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context,
                                       const v1::GetSessionRequest* request,
                                       v1::GetSessionResponse* response) override;
  grpc::ServerUnaryReactor* SignOut(grpc::CallbackServerContext* context,
                                    const v1::SignOutRequest* request,
                                    v1::SignOutResponse* response) override;
  grpc::ServerUnaryReactor* ForgotUsername(grpc::CallbackServerContext* context,
                                           const v1::ForgotUsernameRequest* request,
                                           v1::ForgotUsernameResponse* response) override;
  grpc::ServerUnaryReactor* ForgotPassword(grpc::CallbackServerContext* context,
                                           const v1::ForgotPasswordRequest* request,
                                           v1::ForgotPasswordResponse* response) override;
  grpc::ServerUnaryReactor* ListAccountEvents(grpc::CallbackServerContext* context,
                                              const v1::ListAccountEventsRequest* request,
                                              v1::ListAccountEventsResponse* response) override;
  grpc::ServerUnaryReactor* IssueSchoolToken(grpc::CallbackServerContext* context,
                                             const v1::IssueSchoolTokenRequest* request,
                                             v1::IssueSchoolTokenResponse* response) override;
  grpc::ServerUnaryReactor* CheckSchoolToken(grpc::CallbackServerContext* context,
                                             const v1::CheckSchoolTokenRequest* request,
                                             v1::CheckSchoolTokenResponse* response) override;

 private:
  IdentityService& service_;
  WorkPool& pool_;
  WorkPool& password_pool_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_IDENTITY_GRPC_H_
