// The services the gateway calls, as interfaces so that handler tests can
// pass fakes. The real clients (grpc_clients.h) call them over gRPC with
// deadlines and return Unavailable when a service is down or too slow.
#ifndef PP_GATEWAY_SERVICE_CLIENTS_H_
#define PP_GATEWAY_SERVICE_CLIENTS_H_

#include "absl/status/statusor.h"
#include "parentsportal/calendar.pb.h"
#include "parentsportal/identity.pb.h"
#include "parentsportal/link.pb.h"
#include "parentsportal/notification.pb.h"
#include "parentsportal/payments.pb.h"

namespace pp::gateway {

namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;
namespace calendar = parentsportal::calendar::v1;
namespace payments = parentsportal::payments::v1;
namespace notification = parentsportal::notification::v1;

// Each method returns the service's status as it came over the wire, except
// that a service that cannot be reached or misses the deadline is
// Unavailable.
class IdentityClient {
 public:
  virtual ~IdentityClient() = default;
  virtual absl::StatusOr<identity::RegisterResponse> Register(
      const identity::RegisterRequest& request) = 0;
  virtual absl::StatusOr<identity::SignInResponse> SignIn(
      const identity::SignInRequest& request) = 0;
  virtual absl::StatusOr<identity::ChangePasswordResponse> ChangePassword(
      const identity::ChangePasswordRequest& request) = 0;
  virtual absl::StatusOr<identity::GetSessionResponse> GetSession(
      const identity::GetSessionRequest& request) = 0;
  virtual absl::StatusOr<identity::SignOutResponse> SignOut(
      const identity::SignOutRequest& request) = 0;
  virtual absl::StatusOr<identity::ForgotUsernameResponse> ForgotUsername(
      const identity::ForgotUsernameRequest& request) = 0;
  virtual absl::StatusOr<identity::ForgotPasswordResponse> ForgotPassword(
      const identity::ForgotPasswordRequest& request) = 0;
  virtual absl::StatusOr<identity::ListAccountEventsResponse> ListAccountEvents(
      const identity::ListAccountEventsRequest& request) = 0;
};

class LinksClient {
 public:
  virtual ~LinksClient() = default;
  virtual absl::StatusOr<link::StartLinkResponse> StartLink(
      const link::StartLinkRequest& request) = 0;
  virtual absl::StatusOr<link::SendCodeResponse> SendCode(const link::SendCodeRequest& request) = 0;
  virtual absl::StatusOr<link::ConfirmCodeResponse> ConfirmCode(
      const link::ConfirmCodeRequest& request) = 0;
  virtual absl::StatusOr<link::ListLinksResponse> ListLinks(
      const link::ListLinksRequest& request) = 0;
  virtual absl::StatusOr<link::Child> GetChild(const link::GetChildRequest& request) = 0;
  virtual absl::StatusOr<link::UnlinkResponse> Unlink(const link::UnlinkRequest& request) = 0;
};

class CalendarClient {
 public:
  virtual ~CalendarClient() = default;
  virtual absl::StatusOr<calendar::ListEventsResponse> ListEvents(
      const calendar::ListEventsRequest& request) = 0;
  virtual absl::StatusOr<calendar::FeedToken> GetFeedToken(
      const calendar::FeedTokenRequest& request) = 0;
  virtual absl::StatusOr<calendar::HomeCalendar> GetHomeCalendar(
      const calendar::HomeCalendarRequest& request) = 0;
  virtual absl::StatusOr<calendar::FeedToken> ReplaceFeedToken(
      const calendar::FeedTokenRequest& request) = 0;
  virtual absl::StatusOr<calendar::FeedToken> RevokeFeedToken(
      const calendar::FeedTokenRequest& request) = 0;
  virtual absl::StatusOr<calendar::ResolveFeedTokenResponse> ResolveFeedToken(
      const calendar::ResolveFeedTokenRequest& request) = 0;
  virtual absl::StatusOr<calendar::Feed> RenderFeed(const calendar::RenderFeedRequest& request) = 0;
};

class HandoffClient {
 public:
  virtual ~HandoffClient() = default;
  virtual absl::StatusOr<payments::CreateResponse> Create(
      const payments::CreateRequest& request) = 0;
  virtual absl::StatusOr<payments::JsonWebKeySet> GetJwks() = 0;
  virtual absl::StatusOr<payments::CallbackResponse> HandleCallback(
      const payments::CallbackRequest& request) = 0;
  virtual absl::StatusOr<payments::ListReceiptsResponse> ListReceipts(
      const payments::ListReceiptsRequest& request) = 0;
  virtual absl::StatusOr<payments::ListOnlineServicesResponse> ListOnlineServices(
      const payments::ListOnlineServicesRequest& request) = 0;
};

class NotificationsClient {
 public:
  virtual ~NotificationsClient() = default;
  virtual absl::StatusOr<notification::ListMessagesResponse> ListMessages(
      const notification::ListMessagesRequest& request) = 0;
  virtual absl::StatusOr<notification::Preferences> GetPreferences(
      const notification::GetPreferencesRequest& request) = 0;
  virtual absl::StatusOr<notification::Preferences> SetPreferences(
      const notification::Preferences& request) = 0;
};

// The clients one gateway uses. None may be null, and each must outlive the
// gateway.
struct ServiceClients {
  IdentityClient* identity = nullptr;
  LinksClient* links = nullptr;
  CalendarClient* calendar = nullptr;
  HandoffClient* handoff = nullptr;
  NotificationsClient* notifications = nullptr;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_SERVICE_CLIENTS_H_
