// Forgotten usernames and passwords. Both return the same whether or not
// the details match an account, and neither waits for its email.
#include "absl/strings/str_cat.h"
#include "identity_service.h"
#include "log/log.h"

namespace pp::identity {

absl::Status IdentityService::ForgotUsername(const ForgotUsernameForm& form,
                                             const std::string& source_address) {
  absl::Time now = clock_.Now();
  absl::StatusOr<std::string> email = NormaliseAccountEmail(form.email);
  if (!email.ok()) return email.status();
  absl::StatusOr<std::string> postcode = NormalisePostcode(form.postcode);
  if (!postcode.ok()) return postcode.status();
  absl::StatusOr<std::string> gender = NormaliseGender(form.gender);
  if (!gender.ok()) return gender.status();
  absl::StatusOr<absl::CivilDay> birth = ParseDate(form.date_of_birth, Today(now));
  if (!birth.ok()) return birth.status();

  absl::StatusOr<std::optional<AccountRecord>> found = store_.FindAccountByEmail(*email);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return absl::OkStatus();
  const AccountRecord& account = **found;
  bool matches = account.password_sent && account.postcode == *postcode &&
                 account.gender == *gender &&
                 account.date_of_birth == absl::FormatCivilTime(*birth);
  if (!matches) return absl::OkStatus();

  log::Info("username_reminder").Field("account_id", account.account_id);
  Email reminder = UsernameEmail(account, now);
  SendLater([this, reminder, id = account.account_id] {
    if (absl::Status sent = notifier_.SendEmail(reminder); !sent.ok()) {
      log::Warning("username_email_failed").Field("account_id", id).Field("error", sent.message());
    }
  });
  return absl::OkStatus();
}

absl::Status IdentityService::ForgotPassword(const ForgotPasswordForm& form,
                                             const std::string& source_address) {
  absl::Time now = clock_.Now();
  absl::StatusOr<std::string> username = NormaliseAccountEmail(form.username);
  if (!username.ok()) {
    return absl::InvalidArgumentError(
        "username is not a valid email address: your username is the email address you "
        "registered with");
  }
  absl::StatusOr<std::string> email = NormaliseAccountEmail(form.email);
  if (!email.ok()) return email.status();
  absl::StatusOr<std::string> postcode = NormalisePostcode(form.postcode);
  if (!postcode.ok()) return postcode.status();
  absl::StatusOr<absl::CivilDay> birth = ParseDate(form.date_of_birth, Today(now));
  if (!birth.ok()) return birth.status();

  // The new one-time password is hashed whether or not an account is found
  // and matches, so that every result takes as long. It shares the salt of
  // the account's password, so that a sign-in checks both with one hash.
  absl::StatusOr<std::optional<AccountRecord>> found = store_.FindAccountByEmail(*username);
  if (!found.ok()) return found.status();
  std::string password = NewOneTimePassword();
  absl::StatusOr<std::string> hash = HashPasswordWithSaltOf(
      password, password_cost_, found->has_value() ? (**found).password_hash : "");
  if (!hash.ok()) {
    log::Error("password_hash_failed").Field("error", hash.status().message());
    return absl::UnavailableError("a password reset cannot be started now, so try again later");
  }
  if (!found->has_value()) return absl::OkStatus();
  const AccountRecord& account = **found;
  bool matches = account.password_sent && account.email == *email &&
                 account.postcode == *postcode &&
                 account.date_of_birth == absl::FormatCivilTime(*birth);
  if (!matches) return absl::OkStatus();

  // While the last one-time password is new and unused, its email is on
  // its way, so another would only fill the inbox.
  bool recent = account.one_time_password_issued_at.has_value() &&
                !account.one_time_password_used_at.has_value() &&
                now < *account.one_time_password_issued_at + kResetEmailInterval;
  if (recent) return absl::OkStatus();

  absl::Status stored =
      store_.SetOneTimePassword(account.account_id, *hash, now, now + kOneTimePasswordLifetime);
  if (!stored.ok()) return stored;
  RecordEvent(account.account_id, kEventResetRequested, now, source_address);
  log::Info("password_reset_requested").Field("account_id", account.account_id);
  Email reset = ResetEmail(account, password, now);
  SendLater([this, reset, id = account.account_id] {
    if (absl::Status sent = notifier_.SendEmail(reset); !sent.ok()) {
      log::Warning("reset_email_failed").Field("account_id", id).Field("error", sent.message());
    }
  });
  return absl::OkStatus();
}

namespace {

namespace notification = parentsportal::notification::v1;

std::string Rfc3339(absl::Time when) {
  return absl::FormatTime(absl::RFC3339_sec, when, absl::UTCTimeZone());
}

// An email of `kind` about `account`, to the address the parent typed.
Email EmailTo(const AccountRecord& account, notification::MessageKind kind) {
  Email email;
  email.to = account.email_as_typed;
  email.kind = kind;
  email.account_id = account.account_id;
  email.template_data["parent_name"] = account.forename;
  return email;
}

}  // namespace

absl::Status IdentityService::SendOneTimePassword(const AccountRecord& account,
                                                  const std::string& password) {
  Email email = EmailTo(account, notification::ONE_TIME_PASSWORD);
  email.template_data["one_time_password"] = password;
  email.template_data["expires_at"] = Rfc3339(
      account.one_time_password_expires_at.value_or(account.created_at + kOneTimePasswordLifetime));
  email.idempotency_key = "register:" + account.account_id;
  return notifier_.SendEmail(email);
}

absl::Status IdentityService::SendRegistrationWarning(const AccountRecord& account,
                                                      absl::Time now) {
  Email email = EmailTo(account, notification::REGISTRATION_ATTEMPT);
  // One key per account and day: repeated attempts send one warning a day.
  email.idempotency_key =
      absl::StrCat("register-attempt:", account.account_id, ":", absl::FormatCivilTime(Today(now)));
  return notifier_.SendEmail(email);
}

absl::Status IdentityService::SendPasswordChanged(const AccountRecord& account, absl::Time now) {
  Email email = EmailTo(account, notification::PASSWORD_CHANGED);
  email.template_data["changed_at"] = Rfc3339(now);
  email.idempotency_key =
      absl::StrCat("password-changed:", account.account_id, ":", absl::ToUnixSeconds(now));
  return notifier_.SendEmail(email);
}

Email IdentityService::ResetEmail(const AccountRecord& account, const std::string& password,
                                  absl::Time now) {
  Email email = EmailTo(account, notification::PASSWORD_RESET);
  email.template_data["one_time_password"] = password;
  email.template_data["expires_at"] = Rfc3339(now + kOneTimePasswordLifetime);
  email.idempotency_key = absl::StrCat("reset:", account.account_id, ":", absl::ToUnixSeconds(now));
  return email;
}

Email IdentityService::UsernameEmail(const AccountRecord& account, absl::Time now) {
  Email email = EmailTo(account, notification::USERNAME_REMINDER);
  email.template_data["username"] = account.email;
  // At most one reminder a day.
  email.idempotency_key =
      absl::StrCat("forgot-username:", account.account_id, ":", absl::FormatCivilTime(Today(now)));
  return email;
}

}  // namespace pp::identity
