// Pages to register, sign in and manage the account.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

// The gender values the identity service accepts.
const std::vector<std::pair<std::string, std::string>>& GenderChoices() {
  static const auto* choices = new std::vector<std::pair<std::string, std::string>>{
      {"", "Choose one"},
      {"female", "Female"},
      {"male", "Male"},
      {"other", "Other"},
      {"prefer-not-to-say", "Prefer not to say"}};
  return *choices;
}

TemplateData EmailField(const FormState& form, const std::string& name, const std::string& label,
                        const std::string& autocomplete) {
  return TextFieldData(form, {name, label, "email", autocomplete,
                              "The address you use for email, such as name@example.com"});
}

TemplateData PostcodeField(const FormState& form) {
  return TextFieldData(
      form, {"postcode", "Home postcode", "text", "postal-code", "For example, EH1 1YZ", 10});
}

// Describes an account event for its holder.
std::string EventDescription(const std::string& kind) {
  if (kind == "registered") return "Account created";
  if (kind == "signed_in") return "Signed in";
  if (kind == "sign_in_failed") return "Wrong password entered";
  if (kind == "locked") return "Sign-in paused after wrong passwords";
  if (kind == "reset_requested") return "New password requested";
  if (kind == "password_changed") return "Password changed";
  return kind;
}

std::string MessageKindText(notification::MessageKind kind) {
  switch (kind) {
    case notification::ONE_TIME_PASSWORD:
      return "One-time password";
    case notification::USERNAME_REMINDER:
      return "Your username";
    case notification::SECURITY_CODE:
      return "Security code to link a child";
    case notification::PASSWORD_CHANGED:
      return "Password changed";
    case notification::LINK_REQUESTED:
      return "Request to link a child sent";
    case notification::LINK_APPROVED:
      return "Link to a child confirmed by the school";
    case notification::LINK_REJECTED:
      return "Link to a child not confirmed by the school";
    case notification::PASSWORD_RESET:
      return "One-time password to reset your password";
    case notification::REGISTRATION_ATTEMPT:
      return "Someone tried to register with your email address";
    case notification::LINK_ENDED:
      return "Link to a child ended by the school";
    default:
      return "Other message";
  }
}

std::string DeliveryText(const notification::Message& message) {
  switch (message.state()) {
    case notification::QUEUED:
      return "Waiting to be sent";
    case notification::SENDING:
      return "Being sent";
    case notification::SENT:
      return "Sent";
    case notification::TEMPORARY_FAILURE:
      return "Not delivered yet, we will try again";
    case notification::FAILED:
      return "Could not be delivered";
    default:
      return "Unknown";
  }
}

// Returns the form value of a kind's choice: "email", "sms" or "both".
std::string ChoiceValue(const notification::KindPreference& preference) {
  if (preference.email() && preference.sms()) return "both";
  return preference.sms() ? "sms" : "email";
}

TemplateList PreferenceData(const notification::Preferences& preferences) {
  static const std::pair<const char*, const char*> kChoices[] = {
      {"email", "Email"}, {"sms", "Text message"}, {"both", "Email and text message"}};
  TemplateList list;
  for (const notification::KindPreference& preference : preferences.kinds()) {
    std::string name = absl::StrCat("kind-", static_cast<int>(preference.kind()));
    std::string chosen = ChoiceValue(preference);
    TemplateList choices;
    for (const auto& [value, text] : kChoices) {
      TemplateData choice;
      choice.set("name", name);
      choice.set("value", value);
      choice.set("text", text);
      if (chosen == value) choice.set("checked", true);
      choices.push_back(choice);
    }
    TemplateData item;
    item.set("label", MessageKindText(preference.kind()));
    item.set("choices", choices);
    list.push_back(item);
  }
  return list;
}

}  // namespace

std::string RegisterPage(const PageContext& context, const FormState& form) {
  TemplateData data;
  data.set("forename", TextFieldData(form, {"forename", "First name", "text", "given-name"}));
  data.set("surname", TextFieldData(form, {"surname", "Last name", "text", "family-name"}));
  data.set("email", EmailField(form, "email", "Email address", "email"));
  data.set("postcode", PostcodeField(form));
  data.set("gender", SelectFieldData(form, {"gender", "Gender"}, GenderChoices()));
  data.set("date_of_birth", DateFieldData(form, {"date_of_birth", "Date of birth", "text", "bday",
                                                 "For example, 23 4 1985"}));
  return RenderPage(context, "register", "Create an account", std::move(data), &form);
}

std::string SignInPage(const PageContext& context, const FormState& form, bool registered) {
  TemplateData data;
  if (registered) {
    data.set("notice",
             "Your account has been created. We have emailed you a one-time password: sign in "
             "with it, then choose your own password.");
  }
  data.set("username", TextFieldData(form, {"username", "Email address", "email", "username"}));
  data.set("password",
           TextFieldData(form, {"password", "Password", "password", "current-password"}));
  return RenderPage(context, "sign_in", "Sign in", std::move(data), &form);
}

std::string ChangePasswordPage(const PageContext& context, const FormState& form,
                               bool must_change_password) {
  TemplateData data;
  if (must_change_password) {
    data.set("notice",
             "You signed in with a one-time password. Choose your own password to continue.");
  }
  data.set("current_password",
           TextFieldData(form, {"current_password",
                                must_change_password ? "One-time password" : "Current password",
                                "password", "current-password"}));
  data.set("new_password",
           TextFieldData(form, {"new_password", "New password", "password", "new-password",
                                "Use at least 12 characters. A few unrelated words are easy to "
                                "remember and hard to guess."}));
  return RenderPage(context, "change_password", "Change your password", std::move(data), &form);
}

std::string ForgotUsernamePage(const PageContext& context, const FormState& form) {
  TemplateData data;
  data.set("email", EmailField(form, "email", "Email address", "email"));
  data.set("postcode", PostcodeField(form));
  data.set("gender", SelectFieldData(form, {"gender", "Gender"}, GenderChoices()));
  data.set("date_of_birth", DateFieldData(form, {"date_of_birth", "Date of birth", "text", "bday",
                                                 "For example, 23 4 1985"}));
  return RenderPage(context, "forgot_username", "Forgotten your username", std::move(data), &form);
}

std::string ForgotPasswordPage(const PageContext& context, const FormState& form) {
  TemplateData data;
  data.set("username", TextFieldData(form, {"username", "Username", "email", "username",
                                            "Your username is your email address"}));
  data.set("email", EmailField(form, "email", "Email address", "email"));
  data.set("postcode", PostcodeField(form));
  data.set("date_of_birth", DateFieldData(form, {"date_of_birth", "Date of birth", "text", "bday",
                                                 "For example, 23 4 1985"}));
  return RenderPage(context, "forgot_password", "Forgotten your password", std::move(data), &form);
}

std::string ForgotSentPage(const PageContext& context, absl::string_view title) {
  return RenderPage(context, "forgot_sent", title, TemplateData());
}

std::string AccountPage(const PageContext& context, const AccountView& view) {
  TemplateData data;
  data.set("name", absl::StrCat(view.account.forename(), " ", view.account.surname()));
  data.set("username", view.account.email());
  if (view.changed == "saved") data.set("notice", "Your message choices have been saved.");

  TemplateList events;
  for (const identity::AccountEvent& event : view.events) {
    TemplateData row;
    row.set("when", UkTime(event.at()));
    row.set("what", EventDescription(event.kind()));
    row.set("from", event.source_address().empty() ? "Not known" : event.source_address());
    events.push_back(row);
  }
  data.set("events", events);

  if (view.messages_unavailable) {
    data.set("messages_unavailable", true);
  } else {
    TemplateList messages;
    for (const notification::Message& message : view.messages) {
      TemplateData row;
      row.set("when", UkTime(message.created_at()));
      row.set("kind", MessageKindText(message.kind()));
      row.set("channel", message.channel() == notification::SMS ? "Text message" : "Email");
      row.set("status", DeliveryText(message));
      messages.push_back(row);
    }
    // The messages share one description list, which the template opens
    // only when there is at least one.
    data.set("has_messages", !messages.empty());
    data.set("messages", messages);
  }

  if (view.preferences_unavailable) {
    data.set("preferences_unavailable", true);
  } else {
    data.set("preferences", PreferenceData(view.preferences));
  }
  return RenderPage(context, "account", "Your account", std::move(data), &view.form);
}

}  // namespace pp::gateway
