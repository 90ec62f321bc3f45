// Pages to register, sign in and manage the account.
#include "absl/strings/str_cat.h"
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

// Says that a feature needs a part of the service that does not exist yet.
std::string NotYetPage(const PageContext& context, absl::string_view title,
                       absl::string_view what) {
  return Layout(
      context, title,
      absl::StrCat("<p>", Escape(what),
                   " is not available online yet.</p>\n<p>Contact your child's school "
                   "office, who can ask the Parents Portal support team to help you.</p>\n"
                   "<p><a href=\"/sign-in\">Back to sign in</a></p>\n"));
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

std::string ForgotUsernamePage(const PageContext& context) {
  return NotYetPage(context, "Forgotten your username", "Finding a forgotten username");
}

std::string ForgotPasswordPage(const PageContext& context) {
  return NotYetPage(context, "Forgotten your password", "Resetting a forgotten password");
}

}  // namespace pp::gateway
