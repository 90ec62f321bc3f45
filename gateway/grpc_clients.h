// The real service clients: sync gRPC stubs, one deadline per call.
#ifndef PP_GATEWAY_GRPC_CLIENTS_H_
#define PP_GATEWAY_GRPC_CLIENTS_H_

#include <grpcpp/channel.h>

#include <memory>

#include "absl/time/time.h"
#include "gateway/service_clients.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "parentsportal/notification.grpc.pb.h"
#include "parentsportal/payments.grpc.pb.h"

namespace pp::gateway {

// Deadlines for calls to other services. Register and SignIn hash a
// password with Argon2id, which takes longer than a lookup.
inline constexpr absl::Duration kCallDeadline = absl::Seconds(2);
inline constexpr absl::Duration kPasswordCallDeadline = absl::Seconds(5);

class GrpcIdentityClient : public IdentityClient {
 public:
  explicit GrpcIdentityClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<identity::RegisterResponse> Register(
      const identity::RegisterRequest& request) override;
  absl::StatusOr<identity::SignInResponse> SignIn(const identity::SignInRequest& request) override;
  absl::StatusOr<identity::ChangePasswordResponse> ChangePassword(
      const identity::ChangePasswordRequest& request) override;
  absl::StatusOr<identity::GetSessionResponse> GetSession(
      const identity::GetSessionRequest& request) override;
  absl::StatusOr<identity::SignOutResponse> SignOut(
      const identity::SignOutRequest& request) override;
  absl::StatusOr<identity::ForgotUsernameResponse> ForgotUsername(
      const identity::ForgotUsernameRequest& request) override;
  absl::StatusOr<identity::ForgotPasswordResponse> ForgotPassword(
      const identity::ForgotPasswordRequest& request) override;
  absl::StatusOr<identity::ListAccountEventsResponse> ListAccountEvents(
      const identity::ListAccountEventsRequest& request) override;

 private:
  std::unique_ptr<identity::Identity::Stub> stub_;
};

class GrpcLinksClient : public LinksClient {
 public:
  explicit GrpcLinksClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<link::StartLinkResponse> StartLink(const link::StartLinkRequest& request) override;
  absl::StatusOr<link::SendCodeResponse> SendCode(const link::SendCodeRequest& request) override;
  absl::StatusOr<link::ConfirmCodeResponse> ConfirmCode(
      const link::ConfirmCodeRequest& request) override;
  absl::StatusOr<link::ListLinksResponse> ListLinks(const link::ListLinksRequest& request) override;
  absl::StatusOr<link::Child> GetChild(const link::GetChildRequest& request) override;
  absl::StatusOr<link::UnlinkResponse> Unlink(const link::UnlinkRequest& request) override;

  // Opens link-verification's WatchLinks stream, with no deadline.
  std::unique_ptr<grpc::ClientReaderInterface<parentsportal::changes::v1::AccountsChanged>>
  WatchLinks(grpc::ClientContext* context);

 private:
  std::unique_ptr<link::Links::Stub> stub_;
};

class GrpcCalendarClient : public CalendarClient {
 public:
  explicit GrpcCalendarClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<calendar::ListEventsResponse> ListEvents(
      const calendar::ListEventsRequest& request) override;
  absl::StatusOr<calendar::FeedToken> GetFeedToken(
      const calendar::FeedTokenRequest& request) override;
  absl::StatusOr<calendar::HomeCalendar> GetHomeCalendar(
      const calendar::HomeCalendarRequest& request) override;
  absl::StatusOr<calendar::FeedToken> ReplaceFeedToken(
      const calendar::FeedTokenRequest& request) override;
  absl::StatusOr<calendar::FeedToken> RevokeFeedToken(
      const calendar::FeedTokenRequest& request) override;
  absl::StatusOr<calendar::ResolveFeedTokenResponse> ResolveFeedToken(
      const calendar::ResolveFeedTokenRequest& request) override;
  absl::StatusOr<calendar::Feed> RenderFeed(const calendar::RenderFeedRequest& request) override;

  // Opens calendar's WatchHomeCalendars stream, with no deadline.
  std::unique_ptr<grpc::ClientReaderInterface<parentsportal::changes::v1::AccountsChanged>>
  WatchHomeCalendars(grpc::ClientContext* context);

 private:
  std::unique_ptr<calendar::Calendar::Stub> stub_;
};

class GrpcHandoffClient : public HandoffClient {
 public:
  explicit GrpcHandoffClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<payments::CreateResponse> Create(const payments::CreateRequest& request) override;
  absl::StatusOr<payments::JsonWebKeySet> GetJwks() override;
  absl::StatusOr<payments::CallbackResponse> HandleCallback(
      const payments::CallbackRequest& request) override;
  absl::StatusOr<payments::ListReceiptsResponse> ListReceipts(
      const payments::ListReceiptsRequest& request) override;
  absl::StatusOr<payments::ListOnlineServicesResponse> ListOnlineServices(
      const payments::ListOnlineServicesRequest& request) override;

 private:
  std::unique_ptr<payments::Handoff::Stub> stub_;
};

class GrpcNotificationsClient : public NotificationsClient {
 public:
  explicit GrpcNotificationsClient(std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<notification::ListMessagesResponse> ListMessages(
      const notification::ListMessagesRequest& request) override;
  absl::StatusOr<notification::Preferences> GetPreferences(
      const notification::GetPreferencesRequest& request) override;
  absl::StatusOr<notification::Preferences> SetPreferences(
      const notification::Preferences& request) override;

 private:
  std::unique_ptr<notification::Notifications::Stub> stub_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_GRPC_CLIENTS_H_
