#include "identity_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "log/log.h"

namespace pp::identity {
namespace {

// Letters and digits without the ones people confuse: 0, 1, I, O, i, l, o.
constexpr char kOneTimePasswordAlphabet[] =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
constexpr int kOneTimePasswordLength = 12;
constexpr size_t kMinPasswordCharacters = 10;
constexpr size_t kMaxPasswordCharacters = 256;

size_t CountCharacters(const std::string& text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

std::string Username(const std::string& text) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
}

absl::Status SessionEnded() {
  return absl::UnauthenticatedError("the session has ended, so sign in again");
}

}  // namespace

IdentityService::IdentityService(IdentityStore& store, Clock& clock, Notifier& notifier,
                                 std::string operator_token, crypto::PasswordCost password_cost,
                                 IdentityMetrics* metrics)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      operator_token_hash_(operator_token.empty() ? "" : crypto::HashToken(operator_token)),
      password_cost_(password_cost),
      metrics_(metrics),
      time_zone_(absl::UTCTimeZone()) {
  absl::StatusOr<std::string> dummy = crypto::HashPassword(crypto::RandomToken(), password_cost);
  if (dummy.ok()) {
    dummy_hash_ = *dummy;
  } else {
    log::Error("dummy_hash_failed").Field("error", dummy.status().message());
  }
  // Ages and "not in the future" are judged by the date in the UK.
  if (!absl::LoadTimeZone("Europe/London", &time_zone_)) {
    log::Warning("time_zone_missing").Field("zone", "Europe/London").Field("using", "UTC");
  }
}

absl::CivilDay IdentityService::Today(absl::Time now) const {
  return absl::ToCivilDay(now, time_zone_);
}

absl::Status IdentityService::Register(const RegistrationForm& form) {
  absl::Time now = clock_.Now();
  absl::StatusOr<RegistrationForm> fields = NormaliseRegistration(form, Today(now));
  if (!fields.ok()) return fields.status();

  // The password is hashed whether or not the address is taken, so that
  // both outcomes take as long.
  std::string password = crypto::RandomString(kOneTimePasswordLength, kOneTimePasswordAlphabet);
  absl::StatusOr<std::string> hash = crypto::HashPassword(password, password_cost_);
  if (!hash.ok()) {
    log::Error("password_hash_failed").Field("error", hash.status().message());
    return absl::UnavailableError("registration cannot be completed now, so try again later");
  }

  AccountRecord account;
  account.account_id = "acc-" + crypto::RandomToken(12);
  account.forename = fields->forename;
  account.surname = fields->surname;
  account.email = fields->email;
  account.postcode = fields->postcode;
  account.gender = fields->gender;
  account.date_of_birth = fields->date_of_birth;
  account.password_hash = *hash;
  account.password_is_one_time = true;
  account.password_expires_at = now + kOneTimePasswordLifetime;
  account.created_at = now;

  absl::StatusOr<std::optional<AccountRecord>> existing =
      store_.InsertAccountUnlessTaken(account, now - kUnsentAccountTimeout);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    absl::Status warned = SendRegistrationWarning(**existing, now);
    if (warned.ok() && metrics_ != nullptr) metrics_->CountRegistration(false);
    return warned;
  }

  if (absl::Status sent = SendOneTimePassword(account, password); !sent.ok()) {
    log::Warning("registration_email_failed")
        .Field("account_id", account.account_id)
        .Field("error", sent.message());
    // Without the email nobody knows the password, so the account is
    // deleted and a retry starts afresh with a new account id and
    // idempotency key.
    if (absl::Status deleted = store_.DeleteUnsentAccount(account.account_id); !deleted.ok()) {
      log::Error("unsent_account_delete_failed")
          .Field("account_id", account.account_id)
          .Field("error", deleted.message());
    }
    return absl::UnavailableError(
        "the email with your one-time password cannot be sent now and no account was created, "
        "so register again in a few minutes");
  }
  if (absl::Status marked = store_.MarkPasswordSent(account.account_id); !marked.ok()) {
    // The email is out and sign-in does not depend on this mark. Left
    // unmarked, the account could be replaced by a new registration for
    // the same address after kUnsentAccountTimeout.
    log::Error("password_sent_mark_failed")
        .Field("account_id", account.account_id)
        .Field("error", marked.message());
  }
  if (metrics_ != nullptr) metrics_->CountRegistration(true);
  log::Info("account_registered").Field("account_id", account.account_id);
  return absl::OkStatus();
}

absl::Status IdentityService::SendOneTimePassword(const AccountRecord& account,
                                                  const std::string& password) {
  Email email;
  email.to = account.email;
  email.subject = "Your Parents Portal account";
  email.body = absl::StrCat(
      "Hello ", account.forename, ",\n\n",
      "Your Parents Portal account is ready. Sign in with this email address and the one-time "
      "password below.\n\n",
      "One-time password: ", password, "\n\n",
      "The one-time password works for 72 hours. You must change it at your first sign-in, "
      "before you can do anything else.\n\n",
      "If you did not register, you can ignore this email.\n");
  email.idempotency_key = "register:" + account.account_id;
  return notifier_.SendEmail(email);
}

absl::Status IdentityService::SendRegistrationWarning(const AccountRecord& account,
                                                      absl::Time now) {
  Email email;
  email.to = account.email;
  email.subject = "Someone tried to register with your email address";
  email.body = absl::StrCat(
      "Hello ", account.forename, ",\n\n",
      "Someone tried to register a new Parents Portal account with this email address, which "
      "already has an account. No new account was created and your password has not changed.\n\n",
      "If it was you, sign in with your password. If you have forgotten it, use \"Forgot "
      "password\" on the sign-in page.\n");
  // One key per account and day: repeated attempts send one warning a day.
  email.idempotency_key =
      absl::StrCat("register-attempt:", account.account_id, ":", absl::FormatCivilTime(Today(now)));
  return notifier_.SendEmail(email);
}

absl::StatusOr<SignInResult> IdentityService::SignIn(const std::string& username,
                                                     const std::string& password) {
  absl::Time now = clock_.Now();
  const absl::Status rejected =
      absl::UnauthenticatedError("the email address or password is incorrect");

  absl::StatusOr<std::optional<AccountRecord>> found =
      store_.FindAccountByEmail(Username(username));
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    crypto::VerifyPassword(dummy_hash_, password);
    if (metrics_ != nullptr) metrics_->CountSignIn("failure");
    return rejected;
  }
  const AccountRecord& account = **found;

  // Verify first in every case, so that rejecting a locked account takes
  // as long as rejecting a wrong password.
  bool matches = crypto::VerifyPassword(account.password_hash, password);
  if (account.locked_until.has_value() && now < *account.locked_until) {
    if (metrics_ != nullptr) metrics_->CountSignIn("locked");
    return rejected;
  }
  if (!matches) {
    absl::Status counted =
        store_.RecordFailedSignIn(account.account_id, now, kFailuresBeforeLock, kLockDuration);
    if (!counted.ok()) {
      log::Error("failed_sign_in_count_failed")
          .Field("account_id", account.account_id)
          .Field("error", counted.message());
    }
    if (metrics_ != nullptr) metrics_->CountSignIn("failure");
    return rejected;
  }
  if (account.password_is_one_time && account.password_expires_at.has_value() &&
      now >= *account.password_expires_at) {
    if (metrics_ != nullptr) metrics_->CountSignIn("failure");
    return rejected;
  }

  std::string token = crypto::RandomToken();
  absl::Status started = store_.StartSession(account.account_id, crypto::HashToken(token), now,
                                             now - kSessionIdle, now - kSessionMax);
  if (!started.ok()) return started;
  if (metrics_ != nullptr) metrics_->CountSignIn("success");
  return SignInResult{token, SessionInfo{account, account.password_is_one_time}};
}

absl::StatusOr<SessionInfo> IdentityService::LiveSession(const std::string& token_hash,
                                                         absl::Time now) {
  absl::StatusOr<std::optional<SessionRecord>> session = store_.FindSession(token_hash);
  if (!session.ok()) return session.status();
  if (!session->has_value()) return SessionEnded();

  const SessionRecord& record = **session;
  if (now >= record.last_used_at + kSessionIdle || now >= record.created_at + kSessionMax) {
    if (absl::Status deleted = store_.DeleteSession(token_hash); !deleted.ok()) {
      log::Error("expired_session_delete_failed")
          .Field("account_id", record.account_id)
          .Field("error", deleted.message());
    }
    return SessionEnded();
  }

  absl::StatusOr<std::optional<AccountRecord>> account = store_.FindAccount(record.account_id);
  if (!account.ok()) return account.status();
  if (!account->has_value()) return SessionEnded();
  return SessionInfo{**account, (*account)->password_is_one_time};
}

absl::StatusOr<SessionInfo> IdentityService::GetSession(const std::string& session_token) {
  if (session_token.empty()) return SessionEnded();
  absl::Time now = clock_.Now();
  std::string token_hash = crypto::HashToken(session_token);
  absl::StatusOr<SessionInfo> session = LiveSession(token_hash, now);
  if (!session.ok()) return session.status();
  if (absl::Status touched = store_.TouchSession(token_hash, now); !touched.ok()) return touched;
  return session;
}

absl::Status IdentityService::ChangePassword(const std::string& session_token,
                                             const std::string& current_password,
                                             const std::string& new_password) {
  if (session_token.empty()) return SessionEnded();
  absl::Time now = clock_.Now();
  std::string token_hash = crypto::HashToken(session_token);
  absl::StatusOr<SessionInfo> session = LiveSession(token_hash, now);
  if (!session.ok()) return session.status();
  const AccountRecord& account = session->account;

  if (!crypto::VerifyPassword(account.password_hash, current_password)) {
    return absl::InvalidArgumentError("current_password is not your current password");
  }
  size_t characters = CountCharacters(new_password);
  if (characters < kMinPasswordCharacters) {
    return absl::InvalidArgumentError("new_password must be at least 10 characters long");
  }
  if (characters > kMaxPasswordCharacters) {
    return absl::InvalidArgumentError("new_password is longer than 256 characters");
  }
  if (Username(new_password) == account.email) {
    return absl::InvalidArgumentError("new_password must not be your email address");
  }
  if (new_password == current_password) {
    return absl::InvalidArgumentError("new_password must be different from your current password");
  }

  absl::StatusOr<std::string> hash = crypto::HashPassword(new_password, password_cost_);
  if (!hash.ok()) {
    log::Error("password_hash_failed")
        .Field("account_id", account.account_id)
        .Field("error", hash.status().message());
    return absl::UnavailableError("the password cannot be changed now, so try again later");
  }
  absl::Status replaced = store_.ReplacePassword(account.account_id, *hash, token_hash, now);
  if (!replaced.ok()) return replaced;
  log::Info("password_changed").Field("account_id", account.account_id);
  return store_.TouchSession(token_hash, now);
}

absl::Status IdentityService::SignOut(const std::string& session_token) {
  if (session_token.empty()) return absl::OkStatus();
  return store_.DeleteSession(crypto::HashToken(session_token));
}

absl::StatusOr<std::string> IdentityService::IssueSchoolToken(const std::string& bearer_token,
                                                              const std::string& seed_code) {
  if (bearer_token.empty() || operator_token_hash_.empty() ||
      !crypto::ConstantTimeEquals(crypto::HashToken(bearer_token), operator_token_hash_)) {
    return absl::UnauthenticatedError(
        "IssueSchoolToken needs the operator token in the authorization metadata, as "
        "\"Bearer <token>\"");
  }
  bool seven_digits = seed_code.size() == 7;
  for (char c : seed_code) seven_digits = seven_digits && absl::ascii_isdigit(c);
  if (!seven_digits) {
    return absl::InvalidArgumentError("seed_code must be exactly 7 digits, such as 5300011");
  }

  std::string token = crypto::RandomToken();
  absl::Status stored = store_.InsertSchoolToken(crypto::HashToken(token), seed_code, clock_.Now());
  if (!stored.ok()) return stored;
  log::Info("school_token_issued").Field("seed_code", seed_code);
  return token;
}

absl::StatusOr<std::string> IdentityService::CheckSchoolToken(const std::string& token) {
  if (token.empty()) return absl::UnauthenticatedError("the school token is missing");
  absl::StatusOr<std::optional<std::string>> seed_code =
      store_.FindSchoolToken(crypto::HashToken(token));
  if (!seed_code.ok()) return seed_code.status();
  if (!seed_code->has_value()) return absl::UnauthenticatedError("unknown school token");
  return **seed_code;
}

}  // namespace pp::identity
