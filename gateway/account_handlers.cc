// Handlers to register, sign in, change the password, sign out, recover a
// forgotten username or password, and see the account's recent events.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/forms.h"
#include "gateway/gateway.h"
#include "gateway/http_status.h"

namespace pp::gateway {
namespace {

// The same words for every failed sign-in, so that the page does not tell
// which of the two was wrong or whether the account exists.
constexpr char kSignInFailed[] = "The email address or password is not right.";

// Copies the named fields of the request into a form to show again.
FormState KeepFields(const httplib::Request& request, std::initializer_list<const char*> names) {
  FormState form;
  for (const char* name : names) form.values[name] = FormField(request, name);
  return form;
}

// The message for an address that must wait, in whole minutes.
std::string AddressWaitMessage(absl::Duration wait) {
  int64_t minutes = std::max<int64_t>(1, absl::ToInt64Minutes(wait + absl::Seconds(59)));
  return absl::StrCat("Too many failed sign-ins from your network. Wait ", minutes,
                      minutes == 1 ? " minute" : " minutes", " and try again.");
}

}  // namespace

void Gateway::GetRegister(const Request& request, Response& response) {
  SendPage(response, 200, RegisterPage(Context(request, response, nullptr), FormState{}));
}

void Gateway::PostRegister(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  PageContext context = Context(request, response, nullptr);
  FormState form =
      KeepFields(request, {"forename", "surname", "email", "postcode", "gender", "date_of_birth",
                           "date_of_birth-day", "date_of_birth-month", "date_of_birth-year"});

  absl::StatusOr<std::string> date_of_birth = DateField(request, "date_of_birth", "date of birth");
  if (!date_of_birth.ok()) {
    form.error = std::string(date_of_birth.status().message());
    SendPage(response, HttpStatusFor(date_of_birth.status().code()), RegisterPage(context, form));
    return;
  }

  identity::RegisterRequest call;
  call.set_forename(form.Get("forename"));
  call.set_surname(form.Get("surname"));
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_gender(form.Get("gender"));
  call.set_date_of_birth(*date_of_birth);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::RegisterResponse> registered = clients_.identity->Register(call);
  if (registered.ok()) {
    Redirect(response, "/sign-in?registered=1");
    return;
  }
  if (IsFormError(registered.status().code())) {
    form.error = std::string(registered.status().message());
    SendPage(response, HttpStatusFor(registered.status().code()), RegisterPage(context, form));
    return;
  }
  SendServiceError(request, response, context, "Register", registered.status(), "");
}

void Gateway::GetSignIn(const Request& request, Response& response) {
  bool registered = FormField(request, "registered") == "1";
  SendPage(response, 200, SignInPage(Context(request, response, nullptr), FormState{}, registered));
}

void Gateway::PostSignIn(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  PageContext context = Context(request, response, nullptr);
  FormState form = KeepFields(request, {"username"});
  std::string password = RawFormField(request, "password");
  if (form.Get("username").empty() || password.empty()) {
    form.error = "Enter your email address and password.";
    SendPage(response, 422, SignInPage(context, form, false));
    return;
  }

  // Spraying guesses across many accounts from one address is slowed here;
  // identity locks each account on its own.
  absl::Duration wait = address_limit_.WaitFor(request.remote_addr);
  if (wait > absl::ZeroDuration()) {
    form.error = AddressWaitMessage(wait);
    SendPage(response, 429, SignInPage(context, form, false));
    return;
  }

  identity::SignInRequest call;
  call.set_username(form.Get("username"));
  call.set_password(password);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::SignInResponse> signed_in = clients_.identity->SignIn(call);
  if (!signed_in.ok()) {
    absl::StatusCode code = signed_in.status().code();
    if (code == absl::StatusCode::kUnauthenticated ||
        code == absl::StatusCode::kResourceExhausted) {
      address_limit_.RecordFailure(request.remote_addr);
    }
    if (code == absl::StatusCode::kResourceExhausted) {
      // RESOURCE_EXHAUSTED is a rate limit, so the service's message is shown.
      form.error = std::string(signed_in.status().message());
      SendPage(response, HttpStatusFor(code), SignInPage(context, form, false));
    } else if (code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kNotFound ||
               code == absl::StatusCode::kInvalidArgument ||
               code == absl::StatusCode::kPermissionDenied) {
      form.error = kSignInFailed;
      SendPage(response, 401, SignInPage(context, form, false));
    } else {
      SendServiceError(request, response, context, "SignIn", signed_in.status(), "");
    }
    return;
  }

  SetCookie(response, SessionCookie(), signed_in->session_token());
  // A new CSRF token for the new session, so that a token planted before
  // sign-in does not carry over.
  SetCookie(response, kCsrfCookie, crypto::RandomToken());
  Redirect(response, signed_in->must_change_password() ? "/change-password" : "/");
}

void Gateway::GetChangePassword(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session, /*allow_password_change=*/true)) return;
  SendPage(response, 200,
           ChangePasswordPage(Context(request, response, &session), FormState{},
                              session.must_change_password));
}

void Gateway::PostChangePassword(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session, /*allow_password_change=*/true)) return;
  PageContext context = Context(request, response, &session);
  FormState form;
  std::string current_password = RawFormField(request, "current_password");
  std::string new_password = RawFormField(request, "new_password");
  if (current_password.empty() || new_password.empty()) {
    form.error = "Enter your current password and a new password.";
    SendPage(response, 422, ChangePasswordPage(context, form, session.must_change_password));
    return;
  }

  identity::ChangePasswordRequest call;
  call.set_session_token(session.token);
  call.set_current_password(current_password);
  call.set_new_password(new_password);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::ChangePasswordResponse> changed =
      clients_.identity->ChangePassword(call);
  if (changed.ok()) {
    // Identity replaced the session token, and the old one no longer works.
    if (!changed->session_token().empty()) {
      SetCookie(response, SessionCookie(), changed->session_token());
    }
    Redirect(response, "/");
    return;
  }
  // A wrong current password is INVALID_ARGUMENT, shown on the form.
  // UNAUTHENTICATED means the session ended, which SendServiceError turns
  // into a redirect to sign in.
  absl::StatusCode code = changed.status().code();
  if (IsFormError(code)) {
    form.error = std::string(changed.status().message());
    SendPage(response, HttpStatusFor(code),
             ChangePasswordPage(context, form, session.must_change_password));
    return;
  }
  SendServiceError(request, response, context, "ChangePassword", changed.status(),
                   session.account.account_id());
}

void Gateway::PostSignOut(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  std::string token = CookieValue(request, SessionCookie());
  if (!token.empty()) {
    identity::SignOutRequest call;
    call.set_session_token(token);
    absl::StatusOr<identity::SignOutResponse> signed_out = clients_.identity->SignOut(call);
    if (!signed_out.ok()) {
      // Keep the cookie: the session is still open, and the parent can retry.
      SendServiceError(request, response, Context(request, response, nullptr), "SignOut",
                       signed_out.status(), "");
      return;
    }
  }
  ClearCookie(response, SessionCookie());
  ClearCookie(response, kLinkAttemptCookie, "/link");
  Redirect(response, "/");
}

void Gateway::RegisterAccount(httplib::Server& server) {
  server.Post("/forgot-username",
              [this](const Request& q, Response& r) { PostForgotUsername(q, r); });
  server.Post("/forgot-password",
              [this](const Request& q, Response& r) { PostForgotPassword(q, r); });
  server.Get("/account", [this](const Request& q, Response& r) { GetAccount(q, r); });
}

void Gateway::GetForgotUsername(const Request& request, Response& response) {
  PageContext context = Context(request, response, nullptr);
  if (FormField(request, "sent") == "1") {
    SendPage(response, 200, ForgotSentPage(context, "Forgotten your username"));
    return;
  }
  SendPage(response, 200, ForgotUsernamePage(context, FormState{}));
}

void Gateway::PostForgotUsername(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  PageContext context = Context(request, response, nullptr);
  FormState form =
      KeepFields(request, {"email", "postcode", "gender", "date_of_birth", "date_of_birth-day",
                           "date_of_birth-month", "date_of_birth-year"});
  absl::StatusOr<std::string> date_of_birth = DateField(request, "date_of_birth", "date of birth");
  if (!date_of_birth.ok()) {
    form.error = std::string(date_of_birth.status().message());
    SendPage(response, 422, ForgotUsernamePage(context, form));
    return;
  }

  identity::ForgotUsernameRequest call;
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_gender(form.Get("gender"));
  call.set_date_of_birth(*date_of_birth);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::ForgotUsernameResponse> sent = clients_.identity->ForgotUsername(call);
  if (sent.ok()) {
    Redirect(response, "/forgot-username?sent=1");
    return;
  }
  if (IsFormError(sent.status().code())) {
    form.error = std::string(sent.status().message());
    SendPage(response, HttpStatusFor(sent.status().code()), ForgotUsernamePage(context, form));
    return;
  }
  SendServiceError(request, response, context, "ForgotUsername", sent.status(), "");
}

void Gateway::GetForgotPassword(const Request& request, Response& response) {
  PageContext context = Context(request, response, nullptr);
  if (FormField(request, "sent") == "1") {
    SendPage(response, 200, ForgotSentPage(context, "Forgotten your password"));
    return;
  }
  SendPage(response, 200, ForgotPasswordPage(context, FormState{}));
}

void Gateway::PostForgotPassword(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  PageContext context = Context(request, response, nullptr);
  FormState form =
      KeepFields(request, {"username", "email", "postcode", "date_of_birth", "date_of_birth-day",
                           "date_of_birth-month", "date_of_birth-year"});
  // Each reset costs identity a password hash, so it counts against the
  // address like a failed sign-in.
  absl::Duration wait = address_limit_.WaitFor(request.remote_addr);
  if (wait > absl::ZeroDuration()) {
    form.error = AddressWaitMessage(wait);
    SendPage(response, 429, ForgotPasswordPage(context, form));
    return;
  }
  absl::StatusOr<std::string> date_of_birth = DateField(request, "date_of_birth", "date of birth");
  if (!date_of_birth.ok()) {
    form.error = std::string(date_of_birth.status().message());
    SendPage(response, 422, ForgotPasswordPage(context, form));
    return;
  }

  identity::ForgotPasswordRequest call;
  call.set_username(form.Get("username"));
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_date_of_birth(*date_of_birth);
  call.set_client_address(request.remote_addr);
  address_limit_.RecordFailure(request.remote_addr);
  absl::StatusOr<identity::ForgotPasswordResponse> sent = clients_.identity->ForgotPassword(call);
  if (sent.ok()) {
    Redirect(response, "/forgot-password?sent=1");
    return;
  }
  if (IsFormError(sent.status().code())) {
    form.error = std::string(sent.status().message());
    SendPage(response, HttpStatusFor(sent.status().code()), ForgotPasswordPage(context, form));
    return;
  }
  SendServiceError(request, response, context, "ForgotPassword", sent.status(), "");
}

void Gateway::GetAccount(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);

  identity::ListAccountEventsRequest call;
  call.set_session_token(session.token);
  call.set_limit(20);
  absl::StatusOr<identity::ListAccountEventsResponse> events =
      clients_.identity->ListAccountEvents(call);
  if (!events.ok()) {
    SendServiceError(request, response, context, "ListAccountEvents", events.status(),
                     session.account.account_id());
    return;
  }
  std::vector<identity::AccountEvent> list(events->events().begin(), events->events().end());
  SendPage(response, 200, AccountPage(context, session.account, list));
}

}  // namespace pp::gateway
