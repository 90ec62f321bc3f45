#include "gateway/grpc_clients.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/grpc_status.h"
#include "server/server.h"

namespace pp::gateway {
namespace {

// Makes one unary call with a deadline. A service that is down, restarting
// or too slow becomes Unavailable, which the pages show as "try again in a
// few minutes". Every other status passes through unchanged.
template <typename Response, typename Request, typename Call>
absl::StatusOr<Response> CallWithDeadline(absl::Duration deadline, const Request& request,
                                          Call call) {
  grpc::ClientContext context;
  SetDeadline(context, deadline);
  Response response;
  grpc::Status status = call(&context, request, &response);
  if (status.ok()) return response;
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::UnavailableError(
        absl::StrCat("no answer within ", absl::FormatDuration(deadline)));
  }
  return FromGrpcStatus(status);
}

}  // namespace

GrpcIdentityClient::GrpcIdentityClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(identity::Identity::NewStub(std::move(channel))) {}

absl::StatusOr<identity::RegisterResponse> GrpcIdentityClient::Register(
    const identity::RegisterRequest& request) {
  return CallWithDeadline<identity::RegisterResponse>(
      kPasswordCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->Register(context, req, res);
      });
}

absl::StatusOr<identity::SignInResponse> GrpcIdentityClient::SignIn(
    const identity::SignInRequest& request) {
  return CallWithDeadline<identity::SignInResponse>(
      kPasswordCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->SignIn(context, req, res);
      });
}

absl::StatusOr<identity::ChangePasswordResponse> GrpcIdentityClient::ChangePassword(
    const identity::ChangePasswordRequest& request) {
  // Changing a password verifies the old one and hashes the new one.
  return CallWithDeadline<identity::ChangePasswordResponse>(
      kPasswordCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ChangePassword(context, req, res);
      });
}

absl::StatusOr<identity::GetSessionResponse> GrpcIdentityClient::GetSession(
    const identity::GetSessionRequest& request) {
  return CallWithDeadline<identity::GetSessionResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->GetSession(context, req, res);
      });
}

absl::StatusOr<identity::SignOutResponse> GrpcIdentityClient::SignOut(
    const identity::SignOutRequest& request) {
  return CallWithDeadline<identity::SignOutResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->SignOut(context, req, res);
      });
}

absl::StatusOr<identity::ForgotUsernameResponse> GrpcIdentityClient::ForgotUsername(
    const identity::ForgotUsernameRequest& request) {
  return CallWithDeadline<identity::ForgotUsernameResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ForgotUsername(context, req, res);
      });
}

absl::StatusOr<identity::ForgotPasswordResponse> GrpcIdentityClient::ForgotPassword(
    const identity::ForgotPasswordRequest& request) {
  // A reset hashes a new one-time password.
  return CallWithDeadline<identity::ForgotPasswordResponse>(
      kPasswordCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ForgotPassword(context, req, res);
      });
}

absl::StatusOr<identity::ListAccountEventsResponse> GrpcIdentityClient::ListAccountEvents(
    const identity::ListAccountEventsRequest& request) {
  return CallWithDeadline<identity::ListAccountEventsResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListAccountEvents(context, req, res);
      });
}

GrpcLinksClient::GrpcLinksClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(link::Links::NewStub(std::move(channel))) {}

absl::StatusOr<link::StartLinkResponse> GrpcLinksClient::StartLink(
    const link::StartLinkRequest& request) {
  return CallWithDeadline<link::StartLinkResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->StartLink(context, req, res);
      });
}

absl::StatusOr<link::SendCodeResponse> GrpcLinksClient::SendCode(
    const link::SendCodeRequest& request) {
  return CallWithDeadline<link::SendCodeResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->SendCode(context, req, res);
      });
}

absl::StatusOr<link::ConfirmCodeResponse> GrpcLinksClient::ConfirmCode(
    const link::ConfirmCodeRequest& request) {
  return CallWithDeadline<link::ConfirmCodeResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ConfirmCode(context, req, res);
      });
}

absl::StatusOr<link::ListLinksResponse> GrpcLinksClient::ListLinks(
    const link::ListLinksRequest& request) {
  return CallWithDeadline<link::ListLinksResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListLinks(context, req, res);
      });
}

absl::StatusOr<link::Child> GrpcLinksClient::GetChild(const link::GetChildRequest& request) {
  return CallWithDeadline<link::Child>(kCallDeadline, request,
                                       [this](auto* context, const auto& req, auto* res) {
                                         return stub_->GetChild(context, req, res);
                                       });
}

std::unique_ptr<grpc::ClientReaderInterface<parentsportal::changes::v1::AccountsChanged>>
GrpcLinksClient::WatchLinks(grpc::ClientContext* context) {
  return stub_->WatchLinks(context, parentsportal::changes::v1::WatchRequest());
}

std::unique_ptr<grpc::ClientReaderInterface<parentsportal::changes::v1::AccountsChanged>>
GrpcCalendarClient::WatchHomeCalendars(grpc::ClientContext* context) {
  return stub_->WatchHomeCalendars(context, parentsportal::changes::v1::WatchRequest());
}

GrpcCalendarClient::GrpcCalendarClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(calendar::Calendar::NewStub(std::move(channel))) {}

absl::StatusOr<calendar::ListEventsResponse> GrpcCalendarClient::ListEvents(
    const calendar::ListEventsRequest& request) {
  return CallWithDeadline<calendar::ListEventsResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListEvents(context, req, res);
      });
}

absl::StatusOr<calendar::FeedToken> GrpcCalendarClient::GetFeedToken(
    const calendar::FeedTokenRequest& request) {
  return CallWithDeadline<calendar::FeedToken>(kCallDeadline, request,
                                               [this](auto* context, const auto& req, auto* res) {
                                                 return stub_->GetFeedToken(context, req, res);
                                               });
}

absl::StatusOr<calendar::HomeCalendar> GrpcCalendarClient::GetHomeCalendar(
    const calendar::HomeCalendarRequest& request) {
  return CallWithDeadline<calendar::HomeCalendar>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->GetHomeCalendar(context, req, res);
      });
}

absl::StatusOr<calendar::FeedToken> GrpcCalendarClient::ReplaceFeedToken(
    const calendar::FeedTokenRequest& request) {
  return CallWithDeadline<calendar::FeedToken>(kCallDeadline, request,
                                               [this](auto* context, const auto& req, auto* res) {
                                                 return stub_->ReplaceFeedToken(context, req, res);
                                               });
}

absl::StatusOr<calendar::FeedToken> GrpcCalendarClient::RevokeFeedToken(
    const calendar::FeedTokenRequest& request) {
  return CallWithDeadline<calendar::FeedToken>(kCallDeadline, request,
                                               [this](auto* context, const auto& req, auto* res) {
                                                 return stub_->RevokeFeedToken(context, req, res);
                                               });
}

absl::StatusOr<calendar::ResolveFeedTokenResponse> GrpcCalendarClient::ResolveFeedToken(
    const calendar::ResolveFeedTokenRequest& request) {
  return CallWithDeadline<calendar::ResolveFeedTokenResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ResolveFeedToken(context, req, res);
      });
}

absl::StatusOr<calendar::Feed> GrpcCalendarClient::RenderFeed(
    const calendar::RenderFeedRequest& request) {
  return CallWithDeadline<calendar::Feed>(kCallDeadline, request,
                                          [this](auto* context, const auto& req, auto* res) {
                                            return stub_->RenderFeed(context, req, res);
                                          });
}

GrpcHandoffClient::GrpcHandoffClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(payments::Handoff::NewStub(std::move(channel))) {}

absl::StatusOr<payments::CreateResponse> GrpcHandoffClient::Create(
    const payments::CreateRequest& request) {
  return CallWithDeadline<payments::CreateResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->Create(context, req, res);
      });
}

absl::StatusOr<payments::JsonWebKeySet> GrpcHandoffClient::GetJwks() {
  return CallWithDeadline<payments::JsonWebKeySet>(
      kCallDeadline, payments::GetJwksRequest(), [this](auto* context, const auto& req, auto* res) {
        return stub_->GetJwks(context, req, res);
      });
}

absl::StatusOr<payments::CallbackResponse> GrpcHandoffClient::HandleCallback(
    const payments::CallbackRequest& request) {
  return CallWithDeadline<payments::CallbackResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->HandleCallback(context, req, res);
      });
}

absl::StatusOr<payments::ListReceiptsResponse> GrpcHandoffClient::ListReceipts(
    const payments::ListReceiptsRequest& request) {
  return CallWithDeadline<payments::ListReceiptsResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListReceipts(context, req, res);
      });
}

absl::StatusOr<payments::ListOnlineServicesResponse> GrpcHandoffClient::ListOnlineServices(
    const payments::ListOnlineServicesRequest& request) {
  return CallWithDeadline<payments::ListOnlineServicesResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListOnlineServices(context, req, res);
      });
}

absl::StatusOr<link::UnlinkResponse> GrpcLinksClient::Unlink(const link::UnlinkRequest& request) {
  return CallWithDeadline<link::UnlinkResponse>(kCallDeadline, request,
                                                [this](auto* context, const auto& req, auto* res) {
                                                  return stub_->Unlink(context, req, res);
                                                });
}

GrpcNotificationsClient::GrpcNotificationsClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(notification::Notifications::NewStub(channel)) {}

absl::StatusOr<notification::ListMessagesResponse> GrpcNotificationsClient::ListMessages(
    const notification::ListMessagesRequest& request) {
  return CallWithDeadline<notification::ListMessagesResponse>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->ListMessages(context, req, res);
      });
}

absl::StatusOr<notification::Preferences> GrpcNotificationsClient::GetPreferences(
    const notification::GetPreferencesRequest& request) {
  return CallWithDeadline<notification::Preferences>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->GetPreferences(context, req, res);
      });
}

absl::StatusOr<notification::Preferences> GrpcNotificationsClient::SetPreferences(
    const notification::Preferences& request) {
  return CallWithDeadline<notification::Preferences>(
      kCallDeadline, request, [this](auto* context, const auto& req, auto* res) {
        return stub_->SetPreferences(context, req, res);
      });
}

}  // namespace pp::gateway
