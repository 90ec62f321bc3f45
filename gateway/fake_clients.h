// Service clients for handler tests. They return the values of fields the
// test sets and keep the last request of each kind for the test to check. A test
// reads the fields only after its HTTP call returned, when the handler
// that wrote them has finished.
#ifndef PP_GATEWAY_FAKE_CLIENTS_H_
#define PP_GATEWAY_FAKE_CLIENTS_H_

#include <map>
#include <stdexcept>
#include <string>

#include "gateway/service_clients.h"

namespace pp::gateway {

class FakeIdentityClient : public IdentityClient {
 public:
  // Every call fails with this status when it is not OK.
  absl::Status outage;
  // Open sessions by token.
  std::map<std::string, identity::GetSessionResponse> sessions;
  absl::Status register_status;
  // The status of Register calls that only check the fields (validate_only).
  absl::Status register_check_status;
  absl::StatusOr<identity::SignInResponse> sign_in = identity::SignInResponse();
  absl::Status change_password_status;
  // The token ChangePassword returns in place of the old one.
  std::string renewed_session = "renewed-session";

  identity::RegisterRequest last_register;
  identity::SignInRequest last_sign_in;
  identity::ChangePasswordRequest last_change_password;
  identity::SignOutRequest last_sign_out;
  absl::Status forgot_status;
  identity::ForgotUsernameRequest last_forgot_username;
  identity::ForgotPasswordRequest last_forgot_password;
  identity::ListAccountEventsResponse events;
  int calls = 0;

  absl::StatusOr<identity::RegisterResponse> Register(
      const identity::RegisterRequest& request) override {
    ++calls;
    last_register = request;
    if (!outage.ok()) return outage;
    if (request.validate_only() && !register_check_status.ok()) return register_check_status;
    if (!request.validate_only() && !register_status.ok()) return register_status;
    return identity::RegisterResponse();
  }
  absl::StatusOr<identity::SignInResponse> SignIn(const identity::SignInRequest& request) override {
    ++calls;
    last_sign_in = request;
    if (!outage.ok()) return outage;
    return sign_in;
  }
  absl::StatusOr<identity::ChangePasswordResponse> ChangePassword(
      const identity::ChangePasswordRequest& request) override {
    ++calls;
    last_change_password = request;
    if (!outage.ok()) return outage;
    if (!change_password_status.ok()) return change_password_status;
    identity::ChangePasswordResponse response;
    response.set_session_token(renewed_session);
    return response;
  }
  absl::StatusOr<identity::GetSessionResponse> GetSession(
      const identity::GetSessionRequest& request) override {
    ++calls;
    if (!outage.ok()) return outage;
    auto it = sessions.find(request.session_token());
    if (it == sessions.end()) return absl::UnauthenticatedError("session expired or unknown");
    return it->second;
  }
  absl::StatusOr<identity::SignOutResponse> SignOut(
      const identity::SignOutRequest& request) override {
    ++calls;
    last_sign_out = request;
    if (!outage.ok()) return outage;
    sessions.erase(request.session_token());
    return identity::SignOutResponse();
  }
  absl::StatusOr<identity::ForgotUsernameResponse> ForgotUsername(
      const identity::ForgotUsernameRequest& request) override {
    ++calls;
    last_forgot_username = request;
    if (!outage.ok()) return outage;
    if (!forgot_status.ok()) return forgot_status;
    return identity::ForgotUsernameResponse();
  }
  absl::StatusOr<identity::ForgotPasswordResponse> ForgotPassword(
      const identity::ForgotPasswordRequest& request) override {
    ++calls;
    last_forgot_password = request;
    if (!outage.ok()) return outage;
    if (!forgot_status.ok()) return forgot_status;
    return identity::ForgotPasswordResponse();
  }
  absl::StatusOr<identity::ListAccountEventsResponse> ListAccountEvents(
      const identity::ListAccountEventsRequest& request) override {
    ++calls;
    if (!outage.ok()) return outage;
    if (sessions.count(request.session_token()) == 0) {
      return absl::UnauthenticatedError("session expired or unknown");
    }
    return events;
  }
};

class FakeLinksClient : public LinksClient {
 public:
  absl::Status outage;
  absl::StatusOr<link::StartLinkResponse> start_link = link::StartLinkResponse();
  // The status of StartLink calls that only check the fields (validate_only).
  absl::Status start_link_check_status;
  // StartLink calls that were not only checks.
  int start_links = 0;
  absl::Status send_code_status;
  absl::Status confirm_code_status;
  link::ListLinksResponse links;
  // Throws from ListLinks, to test the exception hook.
  bool throw_from_list = false;

  link::StartLinkRequest last_start_link;
  link::SendCodeRequest last_send_code;
  link::ConfirmCodeRequest last_confirm_code;

  absl::StatusOr<link::StartLinkResponse> StartLink(
      const link::StartLinkRequest& request) override {
    last_start_link = request;
    if (!outage.ok()) return outage;
    if (request.validate_only()) {
      if (!start_link_check_status.ok()) return start_link_check_status;
      return link::StartLinkResponse();
    }
    ++start_links;
    return start_link;
  }
  absl::StatusOr<link::SendCodeResponse> SendCode(const link::SendCodeRequest& request) override {
    last_send_code = request;
    if (!outage.ok()) return outage;
    if (!send_code_status.ok()) return send_code_status;
    return link::SendCodeResponse();
  }
  absl::StatusOr<link::ConfirmCodeResponse> ConfirmCode(
      const link::ConfirmCodeRequest& request) override {
    last_confirm_code = request;
    if (!outage.ok()) return outage;
    if (!confirm_code_status.ok()) return confirm_code_status;
    link::ConfirmCodeResponse response;
    response.set_request_id("request-1");
    return response;
  }
  absl::StatusOr<link::ListLinksResponse> ListLinks(
      const link::ListLinksRequest& request) override {
    if (throw_from_list) throw std::runtime_error("list exploded: internal detail");
    if (!outage.ok()) return outage;
    return links;
  }
  absl::StatusOr<link::Child> GetChild(const link::GetChildRequest& request) override {
    if (!outage.ok()) return outage;
    for (const link::Child& child : links.children()) {
      if (child.child_id() == request.child_id()) return child;
    }
    return absl::NotFoundError("no such child");
  }
  // Ends the link: the child leaves `links`, as ListLinks would show.
  absl::StatusOr<link::UnlinkResponse> Unlink(const link::UnlinkRequest& request) override {
    last_unlink = request;
    if (!outage.ok()) return outage;
    auto* children = links.mutable_children();
    for (auto it = children->begin(); it != children->end(); ++it) {
      if (it->child_id() != request.child_id()) continue;
      children->erase(it);
      return link::UnlinkResponse();
    }
    return absl::NotFoundError("no such child");
  }

  link::UnlinkRequest last_unlink;
};

class FakeCalendarClient : public CalendarClient {
 public:
  absl::Status outage;
  // Events by SEED code.
  std::map<std::string, calendar::ListEventsResponse> events;
  calendar::ListEventsRequest last_request;

  absl::StatusOr<calendar::ListEventsResponse> ListEvents(
      const calendar::ListEventsRequest& request) override {
    last_request = request;
    if (!outage.ok()) return outage;
    return events[request.seed_code()];
  }

  // Feed tokens by account id, as the calendar service keeps them.
  std::map<std::string, std::string> feed_tokens;
  // The token ReplaceFeedToken issues next.
  std::string next_feed_token = "feed-token-for-tests-bbbbbbbbbbbbbbbbbbbbbb";
  // What RenderFeed returns.
  absl::StatusOr<calendar::Feed> feed = calendar::Feed();
  calendar::RenderFeedRequest last_render;
  int render_calls = 0;

  absl::StatusOr<calendar::FeedToken> GetFeedToken(
      const calendar::FeedTokenRequest& request) override {
    if (!outage.ok()) return outage;
    calendar::FeedToken token;
    auto it = feed_tokens.find(request.account_id());
    if (it != feed_tokens.end()) token.set_token(it->second);
    return token;
  }
  // Lists each school through ListEvents, as the service does.
  absl::StatusOr<calendar::HomeCalendar> GetHomeCalendar(
      const calendar::HomeCalendarRequest& request) override {
    if (!outage.ok()) return outage;
    calendar::HomeCalendar home;
    for (const calendar::ListEventsRequest& school : request.schools()) {
      absl::StatusOr<calendar::ListEventsResponse> listed = ListEvents(school);
      if (!listed.ok()) return listed.status();
      *home.add_schools() = *listed;
    }
    calendar::FeedTokenRequest token_request;
    token_request.set_account_id(request.account_id());
    *home.mutable_feed_token() = *GetFeedToken(token_request);
    return home;
  }
  absl::StatusOr<calendar::FeedToken> ReplaceFeedToken(
      const calendar::FeedTokenRequest& request) override {
    if (!outage.ok()) return outage;
    feed_tokens[request.account_id()] = next_feed_token;
    calendar::FeedToken token;
    token.set_token(next_feed_token);
    return token;
  }
  absl::StatusOr<calendar::FeedToken> RevokeFeedToken(
      const calendar::FeedTokenRequest& request) override {
    if (!outage.ok()) return outage;
    feed_tokens.erase(request.account_id());
    return calendar::FeedToken();
  }
  absl::StatusOr<calendar::ResolveFeedTokenResponse> ResolveFeedToken(
      const calendar::ResolveFeedTokenRequest& request) override {
    if (!outage.ok()) return outage;
    for (const auto& [account_id, token] : feed_tokens) {
      if (token != request.token()) continue;
      calendar::ResolveFeedTokenResponse response;
      response.set_account_id(account_id);
      return response;
    }
    return absl::NotFoundError("unknown or revoked feed token");
  }
  absl::StatusOr<calendar::Feed> RenderFeed(const calendar::RenderFeedRequest& request) override {
    ++render_calls;
    last_render = request;
    if (!outage.ok()) return outage;
    return feed;
  }
};

class FakeHandoffClient : public HandoffClient {
 public:
  absl::StatusOr<payments::CreateResponse> create = payments::CreateResponse();
  payments::CreateRequest last_create;

  absl::StatusOr<payments::JsonWebKeySet> jwks = payments::JsonWebKeySet();
  absl::StatusOr<payments::CallbackResponse> callback = payments::CallbackResponse();
  payments::CallbackRequest last_callback;
  absl::StatusOr<payments::ListReceiptsResponse> receipts = payments::ListReceiptsResponse();
  payments::ListReceiptsRequest last_receipts;

  absl::StatusOr<payments::CreateResponse> Create(const payments::CreateRequest& request) override {
    last_create = request;
    return create;
  }
  absl::StatusOr<payments::JsonWebKeySet> GetJwks() override { return jwks; }
  absl::StatusOr<payments::CallbackResponse> HandleCallback(
      const payments::CallbackRequest& request) override {
    last_callback = request;
    return callback;
  }
  absl::StatusOr<payments::ListReceiptsResponse> ListReceipts(
      const payments::ListReceiptsRequest& request) override {
    last_receipts = request;
    return receipts;
  }

  // Services by seed code; a school not in it takes every service.
  std::map<std::string, std::vector<std::string>> online_services;
  absl::Status online_outage;
  int online_calls = 0;
  absl::StatusOr<payments::ListOnlineServicesResponse> ListOnlineServices(
      const payments::ListOnlineServicesRequest& request) override {
    ++online_calls;
    if (!online_outage.ok()) return online_outage;
    payments::ListOnlineServicesResponse response;
    for (const std::string& seed_code : request.seed_codes()) {
      payments::SchoolServices* school = response.add_schools();
      school->set_seed_code(seed_code);
      auto found = online_services.find(seed_code);
      if (found == online_services.end()) {
        for (const char* service : {"school-meals", "trips"}) school->add_services(service);
      } else {
        for (const std::string& service : found->second) school->add_services(service);
      }
    }
    return response;
  }
};

class FakeNotificationsClient : public NotificationsClient {
 public:
  absl::Status outage;
  notification::ListMessagesResponse messages;
  // The stored choices, which SetPreferences replaces.
  notification::Preferences preferences;
  notification::Preferences last_set;
  absl::Status set_status;

  absl::StatusOr<notification::ListMessagesResponse> ListMessages(
      const notification::ListMessagesRequest& request) override {
    if (!outage.ok()) return outage;
    return messages;
  }
  absl::StatusOr<notification::Preferences> GetPreferences(
      const notification::GetPreferencesRequest& request) override {
    if (!outage.ok()) return outage;
    return preferences;
  }
  absl::StatusOr<notification::Preferences> SetPreferences(
      const notification::Preferences& request) override {
    last_set = request;
    if (!outage.ok()) return outage;
    if (!set_status.ok()) return set_status;
    preferences = request;
    return preferences;
  }
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_FAKE_CLIENTS_H_
