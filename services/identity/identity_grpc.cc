#include "identity_grpc.h"

#include "server/server.h"

namespace pp::identity {
namespace {

void CopyAccount(const AccountRecord& record, v1::Account* account) {
  account->set_account_id(record.account_id);
  account->set_forename(record.forename);
  account->set_surname(record.surname);
  account->set_email(record.email);
  account->set_postcode(record.postcode);
  account->set_gender(record.gender);
  account->set_date_of_birth(record.date_of_birth);
}

// Runs `work` on the bounded password pool, or finishes the call with
// RESOURCE_EXHAUSTED at once when the pool's queue is full.
template <typename Work>
grpc::ServerUnaryReactor* RunOnPasswordPool(grpc::CallbackServerContext* context, WorkPool& pool,
                                            Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool.TrySubmit(
      [reactor, work = std::move(work)]() mutable { reactor->Finish(ToGrpcStatus(work())); });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(WithRetryDelay(
        absl::ResourceExhaustedError(
            "Too many people are signing in right now. Wait a minute and try again."),
        absl::Minutes(1))));
  }
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* IdentityGrpc::Register(grpc::CallbackServerContext* context,
                                                 const v1::RegisterRequest* request,
                                                 v1::RegisterResponse* response) {
  RegistrationForm form;
  form.forename = request->forename();
  form.surname = request->surname();
  form.email = request->email();
  form.postcode = request->postcode();
  form.gender = request->gender();
  form.date_of_birth = request->date_of_birth();
  if (request->validate_only()) {
    // Checking the fields hashes nothing, so it runs here, on gRPC's thread.
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(service_.CheckRegistration(form)));
    return reactor;
  }
  return RunOnPasswordPool(context, password_pool_, [this, request, form = std::move(form)]() {
    return service_.Register(form, request->client_address());
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::SignIn(grpc::CallbackServerContext* context,
                                               const v1::SignInRequest* request,
                                               v1::SignInResponse* response) {
  return RunOnPasswordPool(context, password_pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<SignInResult> result =
        service_.SignIn(request->username(), request->password(), request->client_address());
    if (!result.ok()) return result.status();
    response->set_session_token(result->session_token);
    response->set_must_change_password(result->session.must_change_password);
    CopyAccount(result->session.account, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::ChangePassword(grpc::CallbackServerContext* context,
                                                       const v1::ChangePasswordRequest* request,
                                                       v1::ChangePasswordResponse* response) {
  return RunOnPasswordPool(context, password_pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::string> token =
        service_.ChangePassword(request->session_token(), request->current_password(),
                                request->new_password(), request->client_address());
    if (!token.ok()) return token.status();
    response->set_session_token(*token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::GetSession(grpc::CallbackServerContext* context,
                                                   const v1::GetSessionRequest* request,
                                                   v1::GetSessionResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<SessionInfo> session = service_.GetSession(request->session_token());
    if (!session.ok()) return session.status();
    response->set_must_change_password(session->must_change_password);
    CopyAccount(session->account, response->mutable_account());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::SignOut(grpc::CallbackServerContext* context,
                                                const v1::SignOutRequest* request,
                                                v1::SignOutResponse* response) {
  return RunOnPool(context, pool_,
                   [this, request]() { return service_.SignOut(request->session_token()); });
}

grpc::ServerUnaryReactor* IdentityGrpc::ForgotUsername(grpc::CallbackServerContext* context,
                                                       const v1::ForgotUsernameRequest* request,
                                                       v1::ForgotUsernameResponse* response) {
  return RunOnPool(context, pool_, [this, request]() {
    ForgotUsernameForm form{request->email(), request->postcode(), request->gender(),
                            request->date_of_birth()};
    return service_.ForgotUsername(form, request->client_address());
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::ForgotPassword(grpc::CallbackServerContext* context,
                                                       const v1::ForgotPasswordRequest* request,
                                                       v1::ForgotPasswordResponse* response) {
  return RunOnPasswordPool(context, password_pool_, [this, request]() {
    ForgotPasswordForm form{request->username(), request->email(), request->postcode(),
                            request->date_of_birth()};
    return service_.ForgotPassword(form, request->client_address());
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::ListAccountEvents(
    grpc::CallbackServerContext* context, const v1::ListAccountEventsRequest* request,
    v1::ListAccountEventsResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    int limit = request->limit() == 0 ? 20 : request->limit();
    absl::StatusOr<std::vector<AccountEvent>> events =
        service_.ListAccountEvents(request->session_token(), limit);
    if (!events.ok()) return events.status();
    for (const AccountEvent& event : *events) {
      v1::AccountEvent* out = response->add_events();
      out->set_kind(event.kind);
      out->set_at(absl::FormatTime(absl::RFC3339_sec, event.at, absl::UTCTimeZone()));
      out->set_source_address(event.source_address);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::IssueSchoolToken(grpc::CallbackServerContext* context,
                                                         const v1::IssueSchoolTokenRequest* request,
                                                         v1::IssueSchoolTokenResponse* response) {
  // The metadata is read here, on the callback thread that owns the context.
  std::string bearer = BearerToken(*context);
  return RunOnPool(context, pool_, [this, request, response, bearer]() -> absl::Status {
    absl::StatusOr<std::string> token = service_.IssueSchoolToken(bearer, request->seed_code());
    if (!token.ok()) return token.status();
    response->set_token(*token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* IdentityGrpc::CheckSchoolToken(grpc::CallbackServerContext* context,
                                                         const v1::CheckSchoolTokenRequest* request,
                                                         v1::CheckSchoolTokenResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::string> seed_code = service_.CheckSchoolToken(request->token());
    if (!seed_code.ok()) return seed_code.status();
    response->set_seed_code(*seed_code);
    return absl::OkStatus();
  });
}

}  // namespace pp::identity
