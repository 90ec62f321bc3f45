#include "identity_service.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "crypto/crypto.h"
#include "log/log.h"
#include "password_rules.h"
#include "server/grpc_status.h"

namespace pp::identity {
namespace {

// Letters and digits without the ones people confuse: 0, 1, I, O, i, l, o.
constexpr char kOneTimePasswordAlphabet[] =
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789";
constexpr int kOneTimePasswordLength = 12;

std::string Username(const std::string& text) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
}

absl::Status SessionEnded() {
  return absl::UnauthenticatedError("the session has ended, so sign in again");
}

absl::Status SignInRejected() {
  return absl::UnauthenticatedError("the email address or password is incorrect");
}

// Returns a wait of whole minutes in words, such as "1 minute", "32 minutes"
// or "1 hour 4 minutes".
std::string WaitText(int64_t minutes) {
  auto count = [](int64_t n, const char* unit) {
    return absl::StrCat(n, " ", unit, n == 1 ? "" : "s");
  };
  if (minutes < 60) return count(minutes, "minute");
  std::string text = count(minutes / 60, "hour");
  if (minutes % 60 != 0) absl::StrAppend(&text, " ", count(minutes % 60, "minute"));
  return text;
}

absl::Status Locked(absl::Duration remaining) {
  int64_t minutes = std::max<int64_t>(1, absl::ToInt64Minutes(remaining + absl::Seconds(59)));
  return WithRetryDelay(
      absl::ResourceExhaustedError(absl::StrCat(
          "Too many wrong passwords were entered for this email address. Wait ", WaitText(minutes),
          " before you try again, or reset your password with \"Forgotten your password?\".")),
      remaining);
}

// The lock of the password change, which is about the current password
// field of the form, not the sign-in.
absl::Status ChangeLocked(absl::Duration remaining) {
  int64_t minutes = std::max<int64_t>(1, absl::ToInt64Minutes(remaining + absl::Seconds(59)));
  return WithRetryDelay(
      absl::ResourceExhaustedError(
          absl::StrCat("current_password: Too many wrong current passwords were entered. Wait ",
                       WaitText(minutes), " before you try again.")),
      remaining);
}

bool OneTimePasswordUsable(const AccountRecord& account, absl::Time now) {
  return !account.one_time_password_hash.empty() && !account.one_time_password_used_at &&
         account.one_time_password_expires_at.has_value() &&
         now < *account.one_time_password_expires_at;
}

// Returns the hash of the usable one-time password, whose salt a rehashed
// password shares, or an empty string when there is none.
std::string_view PendingOneTimeHash(const AccountRecord& account, absl::Time now) {
  if (!OneTimePasswordUsable(account, now)) return {};
  return account.one_time_password_hash;
}

}  // namespace

std::string NewOneTimePassword() {
  return crypto::RandomString(kOneTimePasswordLength, kOneTimePasswordAlphabet);
}

IdentityService::IdentityService(IdentityStore& store, Clock& clock, Notifier& notifier,
                                 std::string operator_token, Argon2Cost password_cost,
                                 IdentityMetrics* metrics, WorkPool* mail_pool)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      operator_token_hash_(operator_token.empty() ? "" : crypto::HashToken(operator_token)),
      password_cost_(password_cost),
      metrics_(metrics),
      mail_pool_(mail_pool),
      time_zone_(absl::UTCTimeZone()) {
  absl::StatusOr<std::string> dummy = HashPassword(crypto::RandomToken(), password_cost);
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

void IdentityService::RecordEvent(const std::string& account_id, const char* kind, absl::Time now,
                                  const std::string& source_address) {
  absl::Status added = store_.AddEvent(account_id, AccountEvent{kind, now, source_address});
  if (!added.ok()) {
    log::Error("account_event_failed")
        .Field("account_id", account_id)
        .Field("kind", kind)
        .Field("error", added.message());
  }
}

void IdentityService::SendLater(std::function<void()> send) {
  if (mail_pool_ == nullptr) {
    send();
  } else {
    mail_pool_->Submit(std::move(send));
  }
}

absl::Status IdentityService::CheckRegistration(const RegistrationForm& form) const {
  return NormaliseRegistration(form, Today(clock_.Now())).status();
}

bool IdentityService::IsRepeatedRegistration(const AccountRecord& holder,
                                             const RegistrationForm& fields, absl::Time now) {
  return holder.created_at + kRepeatedRegistrationWindow > now && holder.password_sent &&
         holder.must_change_password() && !holder.one_time_password_used_at.has_value() &&
         holder.forename == fields.forename && holder.surname == fields.surname &&
         holder.postcode == fields.postcode && holder.gender == fields.gender &&
         holder.date_of_birth == fields.date_of_birth;
}

absl::Status IdentityService::Register(const RegistrationForm& form,
                                       const std::string& source_address) {
  absl::Time now = clock_.Now();
  absl::StatusOr<RegistrationForm> fields = NormaliseRegistration(form, Today(now));
  if (!fields.ok()) return fields.status();

  // The password is hashed whether or not the address is taken, so that
  // both outcomes take as long.
  std::string password = NewOneTimePassword();
  absl::StatusOr<std::string> hash = HashPassword(password, password_cost_);
  if (!hash.ok()) {
    log::Error("password_hash_failed").Field("error", hash.status().message());
    return absl::UnavailableError("registration cannot be completed now, so try again later");
  }

  AccountRecord account;
  account.account_id = "acc-" + crypto::RandomToken(12);
  account.forename = fields->forename;
  account.surname = fields->surname;
  account.email = fields->email;
  account.email_as_typed = EmailAsTyped(form.email);
  account.postcode = fields->postcode;
  account.gender = fields->gender;
  account.date_of_birth = fields->date_of_birth;
  account.one_time_password_hash = *hash;
  account.one_time_password_issued_at = now;
  account.one_time_password_expires_at = now + kOneTimePasswordLifetime;
  account.created_at = now;

  absl::StatusOr<std::optional<AccountRecord>> existing =
      store_.InsertAccountUnlessTaken(account, now - kUnsentAccountTimeout);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    const AccountRecord& holder = **existing;
    if (IsRepeatedRegistration(holder, *fields, now)) {
      // A double click or a form sent again. The holder has just been sent
      // a one-time password and needs no warning about themselves.
      log::Info("registration_repeated").Field("account_id", holder.account_id);
      return absl::OkStatus();
    }
    absl::Status warned = SendRegistrationWarning(holder, now);
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
  RecordEvent(account.account_id, kEventRegistered, now, source_address);
  if (metrics_ != nullptr) metrics_->CountRegistration(true);
  log::Info("account_registered").Field("account_id", account.account_id);
  return absl::OkStatus();
}

absl::StatusOr<ThrottleRecord> IdentityService::CurrentThrottle(const std::string& username,
                                                                absl::Time now) {
  absl::StatusOr<std::optional<ThrottleRecord>> found = store_.FindThrottle(username);
  if (!found.ok()) return found.status();
  if (!found->has_value()) return ThrottleRecord{0, std::nullopt, now};
  ThrottleRecord throttle = **found;
  bool locked = throttle.locked_until.has_value() && now < *throttle.locked_until;
  if (!locked && throttle.last_failure_at + kFailureMemory <= now) {
    throttle = ThrottleRecord{0, std::nullopt, now};
  }
  return throttle;
}

absl::Status IdentityService::CountFailure(const std::string& username, ThrottleRecord throttle,
                                           const AccountRecord* account,
                                           const std::string& source_address, absl::Time now) {
  throttle.failures += 1;
  throttle.last_failure_at = now;
  bool locks = throttle.failures >= kFailuresBeforeLock;
  absl::Duration lock = kFirstLock;
  if (locks) {
    // Doubles from kFirstLock; the shift stops well before it could overflow.
    int doublings = std::min(throttle.failures - kFailuresBeforeLock, 16);
    lock = std::min(kFirstLock * (int64_t{1} << doublings), kLongestLock);
    throttle.locked_until = now + lock;
  }
  // Reject the sign-in without saying whether the password was wrong when
  // the failure cannot be stored, because a store that rejects writes would
  // otherwise give unlimited guesses.
  if (absl::Status stored = store_.PutThrottle(username, throttle, now, now - kFailureMemory);
      !stored.ok()) {
    log::Error("sign_in_throttle_failed").Field("error", stored.message());
    return absl::UnavailableError("sign-in is not available now; try again in a few minutes");
  }

  if (account != nullptr) {
    RecordEvent(account->account_id, kEventSignInFailed, now, source_address);
    if (locks) {
      RecordEvent(account->account_id, kEventLocked, now, source_address);
      log::Info("sign_in_locked")
          .Field("account_id", account->account_id)
          .Field("minutes", absl::ToInt64Minutes(lock));
    }
  }
  if (metrics_ != nullptr) metrics_->CountSignIn(locks ? "locked" : "failure");
  return locks ? Locked(lock) : SignInRejected();
}

absl::StatusOr<SignInResult> IdentityService::SignIn(const std::string& username,
                                                     const std::string& password,
                                                     const std::string& source_address) {
  absl::Time now = clock_.Now();
  std::string key = Username(username);
  absl::StatusOr<ThrottleRecord> throttle = CurrentThrottle(key, now);
  if (!throttle.ok()) return throttle.status();
  absl::StatusOr<std::optional<AccountRecord>> found = store_.FindAccountByEmail(key);
  if (!found.ok()) return found.status();
  const AccountRecord* account = found->has_value() ? &**found : nullptr;
  bool locked = throttle->locked_until.has_value() && now < *throttle->locked_until;

  // The one-time password is checked even while locked, so that a reset
  // ends the lock. A one-time password shares the password's salt, so both
  // cost one hash. With nothing real to check, the dummy is hashed instead,
  // so the time taken does not depend on the account.
  bool one_time_usable = account != nullptr && OneTimePasswordUsable(*account, now);
  bool check_password = !locked && account != nullptr && !account->password_hash.empty();
  std::vector<std::string_view> hashes = {
      one_time_usable ? std::string_view(account->one_time_password_hash) : std::string_view(),
      check_password ? std::string_view(account->password_hash) : std::string_view()};
  if (!one_time_usable && !check_password) hashes.push_back(dummy_hash_);
  std::vector<bool> matches = MatchPassword(password, hashes);
  bool one_time_matches = matches[0];
  bool password_matches = matches[1];
  // One-time passwords have no spaces but are often pasted with some. The
  // trimmed text is checked against the dummy when there is no one-time
  // password, so that the time still reveals no pending reset.
  std::string trimmed(absl::StripAsciiWhitespace(password));
  if (!trimmed.empty() && trimmed != password) {
    std::string_view one_time_hash =
        one_time_usable ? std::string_view(account->one_time_password_hash) : dummy_hash_;
    one_time_matches =
        one_time_matches || (MatchPassword(trimmed, {one_time_hash})[0] && one_time_usable);
  }
  if (locked && !one_time_matches) {
    if (metrics_ != nullptr) metrics_->CountSignIn("locked");
    return Locked(*throttle->locked_until - now);
  }
  if (!password_matches && !one_time_matches) {
    return CountFailure(key, *throttle, account, source_address, now);
  }

  bool used_one_time_password = !password_matches;
  std::string token = crypto::RandomToken(kSessionTokenBytes);
  absl::Status started =
      store_.StartSession(*account, crypto::HashToken(token), now, now - kSessionIdle,
                          now - kSessionMax, used_one_time_password);
  if (!started.ok()) return started;
  if (password_matches && NeedsRehash(account->password_hash, password_cost_)) {
    UpgradeHash(*account, password);
  }
  RecordEvent(account->account_id, kEventSignedIn, now, source_address);
  if (metrics_ != nullptr) metrics_->CountSignIn("success");

  SessionInfo session{*account, false};
  if (used_one_time_password) session.account.password_hash.clear();
  session.must_change_password = session.account.must_change_password();
  return SignInResult{token, session};
}

void IdentityService::UpgradeHash(const AccountRecord& account, const std::string& password) {
  absl::StatusOr<std::string> upgraded =
      HashPasswordWithSaltOf(password, password_cost_, PendingOneTimeHash(account, clock_.Now()));
  absl::Status stored = upgraded.status();
  if (upgraded.ok()) {
    stored = store_.UpgradePasswordHash(account.account_id, account.password_hash, *upgraded);
  }
  if (!stored.ok()) {
    // The old hash still works, so the next sign-in tries again.
    log::Warning("password_rehash_failed")
        .Field("account_id", account.account_id)
        .Field("error", stored.message());
    return;
  }
  log::Info("password_rehashed").Field("account_id", account.account_id);
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
  return SessionInfo{**account, (*account)->must_change_password()};
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

absl::StatusOr<std::string> IdentityService::ChangePassword(const std::string& session_token,
                                                            const std::string& current_password,
                                                            const std::string& new_password,
                                                            const std::string& source_address) {
  if (session_token.empty()) return SessionEnded();
  absl::Time now = clock_.Now();
  std::string token_hash = crypto::HashToken(session_token);
  absl::StatusOr<SessionInfo> session = LiveSession(token_hash, now);
  if (!session.ok()) return session.status();
  const AccountRecord& account = session->account;

  // Someone holding a session must still know the password to change it,
  // and guesses count towards a lock of their own. Sign-in's lock does not
  // apply, because anyone can bring it on by guessing at the sign-in page,
  // and it must not stop the owner from changing the password.
  std::string throttle_key = "change-password:" + account.account_id;
  absl::StatusOr<ThrottleRecord> throttle = CurrentThrottle(throttle_key, now);
  if (!throttle.ok()) return throttle.status();
  if (throttle->locked_until.has_value() && now < *throttle->locked_until) {
    return ChangeLocked(*throttle->locked_until - now);
  }
  bool first_password = account.must_change_password();
  const std::string& current_hash =
      first_password ? account.one_time_password_hash : account.password_hash;
  // A one-time password may be pasted with spaces around it.
  std::string current =
      first_password ? std::string(absl::StripAsciiWhitespace(current_password)) : current_password;
  if (current_hash.empty() || !VerifyPassword(current_hash, current)) {
    absl::Status counted = CountFailure(throttle_key, *throttle, &account, source_address, now);
    if (counted.code() == absl::StatusCode::kResourceExhausted) {
      std::optional<absl::Duration> lock = RetryDelay(counted);
      return ChangeLocked(lock.value_or(kFirstLock));
    }
    if (counted.code() != absl::StatusCode::kUnauthenticated) return counted;
    return absl::InvalidArgumentError(
        "current_password does not match the password you signed in with");
  }

  if (new_password == current) {
    return absl::InvalidArgumentError("new_password must be different from your current password");
  }
  if (Username(new_password) == account.email) {
    return absl::InvalidArgumentError("new_password must not be your email address");
  }
  std::string local_part = account.email.substr(0, account.email.find('@'));
  // The postcode is guessable with its space or without it.
  std::string postcode_unspaced = absl::StrReplaceAll(account.postcode, {{" ", ""}});
  absl::Status acceptable =
      CheckNewPassword(new_password, {account.forename, account.surname, account.email, local_part,
                                      account.postcode, postcode_unspaced, "parents", "portal"});
  if (!acceptable.ok()) return acceptable;

  // The change ends any pending reset, so the new password shares no salt.
  absl::StatusOr<std::string> hash = HashPassword(new_password, password_cost_);
  if (!hash.ok()) {
    log::Error("password_hash_failed")
        .Field("account_id", account.account_id)
        .Field("error", hash.status().message());
    return absl::UnavailableError("the password cannot be changed now, so try again later");
  }
  std::string new_token = crypto::RandomToken(kSessionTokenBytes);
  absl::Status replaced = store_.ReplacePassword(account.account_id, *hash, token_hash,
                                                 crypto::HashToken(new_token), now, throttle_key);
  if (!replaced.ok()) return replaced;

  RecordEvent(account.account_id, kEventPasswordChanged, now, source_address);
  log::Info("password_changed").Field("account_id", account.account_id);
  AccountRecord holder = account;
  SendLater([this, holder, now] {
    if (absl::Status sent = SendPasswordChanged(holder, now); !sent.ok()) {
      log::Warning("password_changed_email_failed")
          .Field("account_id", holder.account_id)
          .Field("error", sent.message());
    }
  });
  return new_token;
}

absl::Status IdentityService::SignOut(const std::string& session_token) {
  if (session_token.empty()) return absl::OkStatus();
  return store_.DeleteSession(crypto::HashToken(session_token));
}

absl::StatusOr<std::vector<AccountEvent>> IdentityService::ListAccountEvents(
    const std::string& session_token, int limit) {
  absl::StatusOr<SessionInfo> session = GetSession(session_token);
  if (!session.ok()) return session.status();
  return store_.ListEvents(session->account.account_id, {}, std::clamp(limit, 1, 50));
}

absl::StatusOr<std::string> IdentityService::IssueSchoolToken(const std::string& bearer_token,
                                                              const std::string& seed_code) {
  if (bearer_token.empty()) {
    return absl::UnauthenticatedError(
        "IssueSchoolToken needs the operator token in the authorization metadata, as "
        "\"Bearer <token>\"");
  }
  if (operator_token_hash_.empty() ||
      !crypto::ConstantTimeEquals(crypto::HashToken(bearer_token), operator_token_hash_)) {
    return absl::UnauthenticatedError(
        "the operator token was not accepted: it does not match the operator-token file of this "
        "identity service");
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
