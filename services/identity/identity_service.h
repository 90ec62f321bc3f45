// The identity logic: registration with an emailed one-time password,
// sign-in sessions, password changes and school-system tokens.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
#define PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "account_fields.h"
#include "clock/clock.h"
#include "crypto/crypto.h"
#include "identity_metrics.h"
#include "identity_store.h"
#include "notifier.h"

namespace pp::identity {

// Lifetimes and limits. Sessions end after `kSessionIdle` without use, and
// `kSessionMax` after sign-in in any case.
inline constexpr absl::Duration kSessionIdle = absl::Minutes(30);
inline constexpr absl::Duration kSessionMax = absl::Hours(12);
inline constexpr absl::Duration kOneTimePasswordLifetime = absl::Hours(72);
// Wrong passwords in a row before an account is locked, and for how long.
inline constexpr int kFailuresBeforeLock = 5;
inline constexpr absl::Duration kLockDuration = absl::Minutes(15);
// An account whose one-time password email was never accepted is replaced
// by a new registration for the same address after this long.
inline constexpr absl::Duration kUnsentAccountTimeout = absl::Minutes(10);

struct SessionInfo {
  AccountRecord account;
  bool must_change_password = false;
};

struct SignInResult {
  std::string session_token;
  SessionInfo session;
};

class IdentityService {
 public:
  // `operator_token` authorises IssueSchoolToken. `metrics` may be null.
  IdentityService(IdentityStore& store, Clock& clock, Notifier& notifier,
                  std::string operator_token, crypto::PasswordCost password_cost,
                  IdentityMetrics* metrics);

  // Creates an account and emails it a one-time password. For an address
  // that already has an account, creates nothing, emails that address a
  // warning instead (at most one a day) and still returns OK, so that the
  // result does not reveal who is registered. InvalidArgument names the
  // first invalid field. Unavailable when the email cannot be sent now;
  // no account is then kept, so the same registration can simply be retried.
  absl::Status Register(const RegistrationForm& form);

  // Opens a session for the email address and password. Every failure is
  // Unauthenticated with the same message, after the same password-hashing
  // work whether or not the account exists.
  absl::StatusOr<SignInResult> SignIn(const std::string& username, const std::string& password);

  // Replaces the session's account password and ends its other sessions.
  // Unauthenticated for an unknown or expired session; InvalidArgument,
  // naming current_password or new_password, for a wrong current password
  // or an unacceptable new one.
  absl::Status ChangePassword(const std::string& session_token, const std::string& current_password,
                              const std::string& new_password);

  // Returns the session's account and extends its idle expiry.
  // Unauthenticated for an unknown or expired session.
  absl::StatusOr<SessionInfo> GetSession(const std::string& session_token);

  // Ends the session. An unknown token is not an error.
  absl::Status SignOut(const std::string& session_token);

  // Returns a new token for the school with `seed_code` (7 digits).
  // Unauthenticated unless `bearer_token` is the operator token.
  absl::StatusOr<std::string> IssueSchoolToken(const std::string& bearer_token,
                                               const std::string& seed_code);

  // Returns the SEED code the token was issued for, or Unauthenticated.
  absl::StatusOr<std::string> CheckSchoolToken(const std::string& token);

 private:
  // Returns the live session and its account, or Unauthenticated.
  absl::StatusOr<SessionInfo> LiveSession(const std::string& token_hash, absl::Time now);
  absl::Status SendOneTimePassword(const AccountRecord& account, const std::string& password);
  absl::Status SendRegistrationWarning(const AccountRecord& account, absl::Time now);
  absl::CivilDay Today(absl::Time now) const;

  IdentityStore& store_;
  Clock& clock_;
  Notifier& notifier_;
  std::string operator_token_hash_;
  crypto::PasswordCost password_cost_;
  IdentityMetrics* metrics_;
  // Verified against when the account does not exist, so that a sign-in
  // takes as long either way.
  std::string dummy_hash_;
  absl::TimeZone time_zone_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
