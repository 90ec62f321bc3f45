// Handlers to register, sign in, change the password, sign out, recover a
// forgotten username or password, and see the account: its recent events,
// the messages sent and the message choices.
#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/forms.h"
#include "gateway/gateway.h"
#include "gateway/http_status.h"
#include "log/log.h"

namespace pp::gateway {
namespace {

// How many of the parent's latest messages the account page lists.
constexpr int kAccountMessages = 20;

// Logs a part of a page that could not be loaded while the rest is shown.
void LogPartFailed(const char* rpc, const absl::Status& status, const std::string& account_id) {
  log::Warning("page_part_unavailable")
      .Field("rpc", rpc)
      .Field("code", absl::StatusCodeToString(status.code()))
      .Field("error", status.message())
      .Field("account", account_id);
}

// The same words for every failed sign-in, so that the page does not tell
// which of the two was wrong or whether the account exists.
constexpr char kSignInFailed[] = "The email address or password is not right.";

// Copies the named fields of the request into a form to show again.
FormState KeepFields(const httplib::Request& request, std::initializer_list<const char*> names) {
  FormState form;
  for (const char* name : names) form.values[name] = FormField(request, name);
  return form;
}

// The register and forgotten-details fields, for service errors: the
// register form's six, in its order, then the username.
const std::vector<std::array<const char*, 3>> kAccountFields = {
    {"forename", "First name", "forename"}, {"surname", "Last name", "surname"},
    {"email", "Email address", "email"},    {"postcode", "Home postcode", "postcode"},
    {"gender", "Gender", "gender"},         {"date_of_birth", "Date of birth", "date_of_birth"},
    {"username", "Username", "username"},
};

// Adds an error for each required field left empty, in the order of the form.
void RequireFields(FormState& form,
                   std::initializer_list<std::pair<const char*, const char*>> fields) {
  for (const auto& [name, message] : fields) {
    if (form.Get(name).empty()) form.AddError(name, message);
  }
}

// Checks the date fields and adds their error. Returns the date as
// YYYY-MM-DD, or "" after adding the error.
std::string CheckDate(const httplib::Request& request, FormState& form, const std::string& name,
                      const std::string& label) {
  absl::StatusOr<std::string> date = DateField(request, name, label);
  if (date.ok()) return *date;
  form.AddError(name, std::string(date.status().message()));
  return "";
}

// The message for an address that must wait, in whole minutes.
std::string AddressWaitMessage(absl::Duration wait) {
  int64_t minutes = std::max<int64_t>(1, absl::ToInt64Minutes(wait + absl::Seconds(59)));
  // Both count against the same limit, so the message names both.
  return absl::StrCat("Too many failed sign-ins and password resets from your network. Wait ",
                      minutes, minutes == 1 ? " minute" : " minutes", " and try again.");
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

  RequireFields(form, {{"forename", "Enter your first name"},
                       {"surname", "Enter your last name"},
                       {"email", "Enter your email address, such as name@example.com"},
                       {"postcode", "Enter your home postcode, such as EH1 1YZ"},
                       {"gender", "Choose your gender, or Prefer not to say"}});
  std::string date_of_birth = CheckDate(request, form, "date_of_birth", "date of birth");

  identity::RegisterRequest call;
  call.set_forename(form.Get("forename"));
  call.set_surname(form.Get("surname"));
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_gender(form.Get("gender"));
  call.set_date_of_birth(date_of_birth);
  call.set_client_address(request.remote_addr);
  if (!form.errors.empty()) {
    // Identity checks the other fields too, so that the page names every
    // mistake at once. If that call fails, the page names the ones found here.
    const bool unchecked_fields =
        std::any_of(kAccountFields.begin(), kAccountFields.end() - 1,
                    [&form](const auto& field) { return form.ErrorFor(field[0]).empty(); });
    if (unchecked_fields) {
      call.set_validate_only(true);
      absl::StatusOr<identity::RegisterResponse> checked = clients_.identity->Register(call);
      if (checked.status().code() == absl::StatusCode::kInvalidArgument) {
        form.AddServiceError(checked.status().message(), kAccountFields, "email");
      }
      form.SortErrors(kAccountFields);
    }
    SendPage(response, 422, RegisterPage(context, form));
    return;
  }

  absl::StatusOr<identity::RegisterResponse> registered = clients_.identity->Register(call);
  if (registered.ok()) {
    Redirect(response, "/sign-in?registered=1");
    return;
  }
  if (IsFormError(registered.status().code())) {
    form.AddServiceError(registered.status().message(), kAccountFields, "email");
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
  if (form.Get("username").empty()) {
    form.AddError("username", "Enter the email address you registered with");
  }
  if (password.empty()) form.AddError("password", "Enter your password");
  if (!form.errors.empty()) {
    SendPage(response, 422, SignInPage(context, form, false));
    return;
  }

  // Spraying guesses across many accounts from one address is slowed here;
  // identity locks each account on its own.
  absl::Duration wait = address_limit_.WaitFor(request.remote_addr);
  if (wait > absl::ZeroDuration()) {
    form.AddError("username", AddressWaitMessage(wait));
    SendTooManyRequests(response, wait, SignInPage(context, form, false));
    return;
  }

  identity::SignInRequest call;
  call.set_username(form.Get("username"));
  call.set_password(password);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::SignInResponse> signed_in = clients_.identity->SignIn(call);
  if (!signed_in.ok()) {
    absl::StatusCode code = signed_in.status().code();
    // Only a wrong password counts against the address. RESOURCE_EXHAUSTED
    // means a locked account, which checked no password, or an identity
    // too busy to hash one. Counting the busy case would shut out every
    // parent behind a shared address for a minute during a rush.
    if (code == absl::StatusCode::kUnauthenticated) {
      address_limit_.RecordFailure(request.remote_addr);
    }
    if (code == absl::StatusCode::kResourceExhausted) {
      // RESOURCE_EXHAUSTED is a rate limit, so the service's message is shown.
      form.AddError("username", std::string(signed_in.status().message()));
      SetRetryAfter(signed_in.status(), response);
      SendPage(response, HttpStatusFor(code), SignInPage(context, form, false));
    } else if (code == absl::StatusCode::kUnauthenticated || code == absl::StatusCode::kNotFound ||
               code == absl::StatusCode::kInvalidArgument ||
               code == absl::StatusCode::kPermissionDenied) {
      form.AddError("username", kSignInFailed);
      SendPage(response, 401, SignInPage(context, form, false));
    } else {
      SendServiceError(request, response, context, "SignIn", signed_in.status(), "");
    }
    return;
  }

  // A sign-in with a one-time password ended the account's other sessions.
  if (signed_in->must_change_password()) {
    session_cache_.ForgetAccount(signed_in->account().account_id());
  }
  // The new cookie replaces the browser's old session, which is ended too,
  // so that signing in as someone else leaves no session open behind it.
  if (std::string old_token = CookieValue(request, SessionCookie()); !old_token.empty()) {
    if (absl::Status ended = EndSession(old_token); !ended.ok()) {
      log::Warning("replaced_session_sign_out_failed")
          .Field("code", absl::StatusCodeToString(ended.code()))
          .Field("error", ended.message())
          .Field("account", signed_in->account().account_id());
    }
  }
  SetCookie(response, SessionCookie(), signed_in->session_token());
  // A new CSRF token for the new session, so that a token planted before
  // sign-in does not carry over.
  SetCookie(response, CsrfCookie(), crypto::RandomToken());
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
  if (current_password.empty()) {
    form.AddError("current_password", session.must_change_password
                                          ? "Enter the one-time password we emailed you"
                                          : "Enter your current password");
  }
  if (new_password.empty()) form.AddError("new_password", "Enter a new password");
  if (!form.errors.empty()) {
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
    // The account's other sessions ended too.
    session_cache_.ForgetAccount(session.account.account_id());
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
    form.AddServiceError(
        changed.status().message(),
        {{"current_password",
          session.must_change_password ? "One-time password" : "Current password", "current"},
         {"new_password", "New password", "new"}},
        "new_password");
    SetRetryAfter(changed.status(), response);
    SendPage(response, HttpStatusFor(code),
             ChangePasswordPage(context, form, session.must_change_password));
    return;
  }
  SendServiceError(request, response, context, "ChangePassword", changed.status(),
                   session.account.account_id());
}

absl::Status Gateway::EndSession(const std::string& token) {
  identity::SignOutRequest call;
  call.set_session_token(token);
  absl::StatusOr<identity::SignOutResponse> signed_out = clients_.identity->SignOut(call);
  // Only after identity has returned, because a lookup racing the sign-out
  // could otherwise store the session again. Forgetting a session that stays
  // open, because identity failed, costs one more lookup.
  session_cache_.Forget(token);
  return signed_out.status();
}

void Gateway::PostSignOut(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  std::string token = CookieValue(request, SessionCookie());
  if (!token.empty()) {
    if (absl::Status ended = EndSession(token); !ended.ok()) {
      // Keep the cookie: the session is still open, and the parent can retry.
      SendServiceError(request, response, Context(request, response, nullptr), "SignOut", ended,
                       "");
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
  server.Post("/account/preferences",
              [this](const Request& q, Response& r) { PostPreferences(q, r); });
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
  RequireFields(form, {{"email", "Enter the email address you registered with"},
                       {"postcode", "Enter your home postcode, such as EH1 1YZ"},
                       {"gender", "Choose the gender you registered with"}});
  std::string date_of_birth = CheckDate(request, form, "date_of_birth", "date of birth");
  if (!form.errors.empty()) {
    SendPage(response, 422, ForgotUsernamePage(context, form));
    return;
  }

  identity::ForgotUsernameRequest call;
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_gender(form.Get("gender"));
  call.set_date_of_birth(date_of_birth);
  call.set_client_address(request.remote_addr);
  absl::StatusOr<identity::ForgotUsernameResponse> sent = clients_.identity->ForgotUsername(call);
  if (sent.ok()) {
    Redirect(response, "/forgot-username?sent=1");
    return;
  }
  if (IsFormError(sent.status().code())) {
    form.AddServiceError(sent.status().message(), kAccountFields, "email");
    SetRetryAfter(sent.status(), response);
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
    form.AddError("username", AddressWaitMessage(wait));
    SendTooManyRequests(response, wait, ForgotPasswordPage(context, form));
    return;
  }
  RequireFields(form, {{"username", "Enter your username, which is your email address"},
                       {"email", "Enter the email address you registered with"},
                       {"postcode", "Enter your home postcode, such as EH1 1YZ"}});
  std::string date_of_birth = CheckDate(request, form, "date_of_birth", "date of birth");
  if (!form.errors.empty()) {
    SendPage(response, 422, ForgotPasswordPage(context, form));
    return;
  }

  identity::ForgotPasswordRequest call;
  call.set_username(form.Get("username"));
  call.set_email(form.Get("email"));
  call.set_postcode(form.Get("postcode"));
  call.set_date_of_birth(date_of_birth);
  call.set_client_address(request.remote_addr);
  address_limit_.RecordFailure(request.remote_addr);
  absl::StatusOr<identity::ForgotPasswordResponse> sent = clients_.identity->ForgotPassword(call);
  if (sent.ok()) {
    Redirect(response, "/forgot-password?sent=1");
    return;
  }
  if (IsFormError(sent.status().code())) {
    form.AddServiceError(sent.status().message(), kAccountFields, "username");
    SetRetryAfter(sent.status(), response);
    SendPage(response, HttpStatusFor(sent.status().code()), ForgotPasswordPage(context, form));
    return;
  }
  SendServiceError(request, response, context, "ForgotPassword", sent.status(), "");
}

void Gateway::GetAccount(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();

  identity::ListAccountEventsRequest call;
  call.set_session_token(session.token);
  call.set_limit(20);
  absl::StatusOr<identity::ListAccountEventsResponse> events =
      clients_.identity->ListAccountEvents(call);
  if (!events.ok()) {
    SendServiceError(request, response, context, "ListAccountEvents", events.status(), account_id);
    return;
  }
  AccountView view;
  view.account = session.account;
  view.events.assign(events->events().begin(), events->events().end());
  view.changed = FormField(request, "preferences");

  // The messages and choices come from the notification service. When it
  // is down the rest of the page still shows.
  notification::ListMessagesRequest list;
  list.set_account_id(account_id);
  list.set_limit(kAccountMessages);
  absl::StatusOr<notification::ListMessagesResponse> messages =
      clients_.notifications->ListMessages(list);
  if (messages.ok()) {
    view.messages.assign(messages->messages().begin(), messages->messages().end());
  } else {
    view.messages_unavailable = true;
    LogPartFailed("ListMessages", messages.status(), account_id);
  }
  notification::GetPreferencesRequest get;
  get.set_account_id(account_id);
  absl::StatusOr<notification::Preferences> preferences =
      clients_.notifications->GetPreferences(get);
  if (preferences.ok()) {
    view.preferences = *std::move(preferences);
  } else {
    view.preferences_unavailable = true;
    LogPartFailed("GetPreferences", preferences.status(), account_id);
  }
  SendPage(response, 200, AccountPage(context, view));
}

void Gateway::PostPreferences(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();

  // Only the kinds the service offers are read, so a forged field cannot
  // set a preference for a security message.
  notification::GetPreferencesRequest get;
  get.set_account_id(account_id);
  absl::StatusOr<notification::Preferences> offered = clients_.notifications->GetPreferences(get);
  if (!offered.ok()) {
    SendServiceError(request, response, context, "GetPreferences", offered.status(), account_id);
    return;
  }
  notification::Preferences chosen;
  chosen.set_account_id(account_id);
  for (const notification::KindPreference& kind : offered->kinds()) {
    std::string value = FormField(request, absl::StrCat("kind-", static_cast<int>(kind.kind())));
    notification::KindPreference* preference = chosen.add_kinds();
    preference->set_kind(kind.kind());
    // A kind left unanswered keeps its current choice.
    if (value.empty()) {
      preference->set_email(kind.email());
      preference->set_sms(kind.sms());
      continue;
    }
    preference->set_email(value == "email" || value == "both");
    preference->set_sms(value == "sms" || value == "both");
    if (!preference->email() && !preference->sms()) {
      SendPage(response, 422,
               MessagePage(context, "Choice not understood",
                           "Choose email, text message, or both for each kind of message."));
      return;
    }
  }
  absl::StatusOr<notification::Preferences> saved = clients_.notifications->SetPreferences(chosen);
  if (!saved.ok()) {
    SendServiceError(request, response, context, "SetPreferences", saved.status(), account_id);
    return;
  }
  Redirect(response, "/account?preferences=saved#preferences");
}

}  // namespace pp::gateway
