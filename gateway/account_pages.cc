// Pages to register, sign in and manage the account.
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

// The gender values the identity service accepts.
std::string GenderSelect(const FormState& form) {
  static const std::pair<const char*, const char*> kChoices[] = {
      {"", "Choose one"},
      {"female", "Female"},
      {"male", "Male"},
      {"other", "Other"},
      {"prefer-not-to-say", "Prefer not to say"}};
  std::string html =
      "<div class=\"field\"><label for=\"gender\">Gender</label><select id=\"gender\" "
      "name=\"gender\">";
  for (const auto& [value, label] : kChoices) {
    absl::StrAppend(&html, "<option value=\"", Escape(value), "\"",
                    form.Get("gender") == value ? " selected" : "", ">", Escape(label),
                    "</option>");
  }
  absl::StrAppend(&html, "</select></div>\n");
  return html;
}

// Describes an account event for its holder.
std::string EventDescription(const std::string& kind) {
  if (kind == "registered") return "Account created";
  if (kind == "signed_in") return "Signed in";
  if (kind == "sign_in_failed") return "Wrong password entered";
  if (kind == "locked") return "Sign-in paused after wrong passwords";
  if (kind == "reset_requested") return "Password reset asked for";
  if (kind == "password_changed") return "Password changed";
  return kind;
}

// Returns an RFC 3339 time as UK time, such as "4 December 2026, 11:58",
// or the text as it is when it does not parse.
std::string UkTime(const std::string& rfc3339) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) return rfc3339;
  return absl::FormatTime("%e %B %Y, %H:%M", time, SchoolTimeZone());
}

}  // namespace

std::string RegisterPage(const PageContext& context, const FormState& form) {
  return Layout(context, "Create an account",
                absl::StrCat("<p>We will email you a one-time password to sign in with.</p>\n",
                             FormStart(context, "/register", form),
                             TextInput(form, "forename", "First name", "text", "given-name"),
                             TextInput(form, "surname", "Last name", "text", "family-name"),
                             TextInput(form, "email", "Email address", "email", "email"),
                             TextInput(form, "postcode", "Home postcode", "text", "postal-code"),
                             GenderSelect(form), DateInputs(form, "date_of_birth", "Date of birth"),
                             "<button type=\"submit\">Create account</button>\n</form>\n"
                             "<p>Already registered? <a href=\"/sign-in\">Sign in</a></p>\n"));
}

std::string SignInPage(const PageContext& context, const FormState& form, bool registered) {
  std::string notice;
  if (registered) {
    notice =
        "<p class=\"notice\" role=\"status\">Your account has been created. We have emailed you a "
        "one-time password: sign in with it and then choose your own password.</p>\n";
  }
  return Layout(
      context, "Sign in",
      absl::StrCat(notice, FormStart(context, "/sign-in", form),
                   TextInput(form, "username", "Email address", "email", "username"),
                   TextInput(form, "password", "Password", "password", "current-password"),
                   "<button type=\"submit\">Sign in</button>\n</form>\n"
                   "<p><a href=\"/forgot-username\">Forgotten your username?</a> "
                   "<a href=\"/forgot-password\">Forgotten your password?</a></p>\n"
                   "<p>New here? <a href=\"/register\">Create an account</a></p>\n"));
}

std::string ChangePasswordPage(const PageContext& context, const FormState& form,
                               bool must_change_password) {
  std::string intro = must_change_password
                          ? "<p class=\"notice\">You signed in with a one-time password. Choose "
                            "your own password to continue.</p>\n"
                          : "";
  return Layout(
      context, "Change your password",
      absl::StrCat(intro, FormStart(context, "/change-password", form),
                   TextInput(form, "current_password",
                             must_change_password ? "One-time password" : "Current password",
                             "password", "current-password"),
                   TextInput(form, "new_password", "New password", "password", "new-password"),
                   "<button type=\"submit\">Change password</button>\n</form>\n"));
}

std::string ForgotUsernamePage(const PageContext& context, const FormState& form) {
  return Layout(
      context, "Forgotten your username",
      absl::StrCat("<p>Your username is the email address you registered with. Give the details "
                   "of your account and we will email it to you.</p>\n",
                   FormStart(context, "/forgot-username", form),
                   TextInput(form, "email", "Email address", "email", "email"),
                   TextInput(form, "postcode", "Home postcode", "text", "postal-code"),
                   GenderSelect(form), DateInputs(form, "date_of_birth", "Date of birth"),
                   "<button type=\"submit\">Send my username</button>\n</form>\n"
                   "<p><a href=\"/sign-in\">Back to sign in</a></p>\n"));
}

std::string ForgotPasswordPage(const PageContext& context, const FormState& form) {
  return Layout(
      context, "Forgotten your password",
      absl::StrCat(
          "<p>Give the details of your account and we will email you a one-time "
          "password. Your current password keeps working until you use it.</p>\n",
          FormStart(context, "/forgot-password", form),
          TextInput(form, "username", "Username (your email address)", "email", "username"),
          TextInput(form, "email", "Email address", "email", "email"),
          TextInput(form, "postcode", "Home postcode", "text", "postal-code"),
          DateInputs(form, "date_of_birth", "Date of birth"),
          "<button type=\"submit\">Send a one-time password</button>\n</form>\n"
          "<p><a href=\"/sign-in\">Back to sign in</a></p>\n"));
}

std::string ForgotSentPage(const PageContext& context, absl::string_view title) {
  return Layout(context, title,
                "<p class=\"notice\" role=\"status\">If these details match an account, we "
                "have sent an email to its address. It can take a few minutes to arrive.</p>\n"
                "<p>If no email arrives, check the details and try again, or ask your child's "
                "school office for help.</p>\n"
                "<p><a href=\"/sign-in\">Back to sign in</a></p>\n");
}

std::string AccountPage(const PageContext& context, const identity::Account& account,
                        const std::vector<identity::AccountEvent>& events) {
  std::string rows;
  for (const identity::AccountEvent& event : events) {
    absl::StrAppend(&rows, "<tr><td>", Escape(UkTime(event.at())), "</td><td>",
                    Escape(EventDescription(event.kind())), "</td><td>",
                    Escape(event.source_address().empty() ? "unknown" : event.source_address()),
                    "</td></tr>\n");
  }
  if (rows.empty()) rows = "<tr><td colspan=\"3\">Nothing yet.</td></tr>\n";
  return Layout(
      context, "Your account",
      absl::StrCat("<dl><dt>Name</dt><dd>", Escape(account.forename()), " ",
                   Escape(account.surname()), "</dd><dt>Username</dt><dd>", Escape(account.email()),
                   "</dd></dl>\n", "<p><a href=\"/change-password\">Change your password</a></p>\n",
                   "<h2>Recent sign-ins and changes</h2>\n"
                   "<p>If you do not recognise one of these, change your password.</p>\n"
                   "<table><thead><tr><th>When (UK time)</th><th>What</th><th>From address"
                   "</th></tr></thead>\n<tbody>\n",
                   rows, "</tbody></table>\n"));
}

}  // namespace pp::gateway
