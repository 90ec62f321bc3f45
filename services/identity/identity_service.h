// The identity logic: registration with an emailed one-time password,
// sign-in with a stored throttle, sessions, password changes and resets,
// username reminders, account events and school-system tokens.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
#define PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "account_fields.h"
#include "clock/clock.h"
#include "identity_metrics.h"
#include "identity_store.h"
#include "notifier.h"
#include "password_hashing.h"
#include "server/work_pool.h"

namespace pp::identity {

// Sessions end after `kSessionIdle` without use, and `kSessionMax` after
// sign-in in any case.
inline constexpr absl::Duration kSessionIdle = absl::Minutes(30);
inline constexpr absl::Duration kSessionMax = absl::Hours(12);
// Session tokens are this many random bytes (128 bits).
inline constexpr int kSessionTokenBytes = 16;
inline constexpr absl::Duration kOneTimePasswordLifetime = absl::Hours(24);
// After `kFailuresBeforeLock` wrong passwords for one username, each
// further wrong password locks the username's password step, for
// `kFirstLock` and then twice as long each time, up to `kLongestLock`.
inline constexpr int kFailuresBeforeLock = 5;
inline constexpr absl::Duration kFirstLock = absl::Minutes(1);
inline constexpr absl::Duration kLongestLock = absl::Hours(2);
// Failures are forgotten after a day without any, unless a lock still runs.
inline constexpr absl::Duration kFailureMemory = absl::Hours(24);
// A password reset sends at most one email in this time, while the last
// one-time password is unused.
inline constexpr absl::Duration kResetEmailInterval = absl::Minutes(5);
// An account whose one-time password email was never accepted is replaced
// by a new registration for the same address after this long.
inline constexpr absl::Duration kUnsentAccountTimeout = absl::Minutes(10);
// A registration with the same details as an account made this recently,
// whose one-time password is still unused, is taken for the same form sent
// again, so it sends nothing.
inline constexpr absl::Duration kRepeatedRegistrationWindow = absl::Hours(1);

struct SessionInfo {
  AccountRecord account;
  bool must_change_password = false;
};

struct SignInResult {
  std::string session_token;
  SessionInfo session;
};

// The details a parent enters to be reminded of their username.
struct ForgotUsernameForm {
  std::string email;
  std::string postcode;
  std::string gender;
  std::string date_of_birth;
};

// The details a parent enters to reset their password.
struct ForgotPasswordForm {
  std::string username;
  std::string email;
  std::string postcode;
  std::string date_of_birth;
};

// Returns a new one-time password: 12 characters chosen by libsodium from
// letters and digits that are hard to confuse.
std::string NewOneTimePassword();

class IdentityService {
 public:
  // `operator_token` authorises IssueSchoolToken. `metrics` may be null.
  // Emails for forgotten usernames and passwords are sent on `mail_pool`,
  // so that the caller does not wait for them; when it is null they are
  // sent before returning (tests).
  IdentityService(IdentityStore& store, Clock& clock, Notifier& notifier,
                  std::string operator_token, Argon2Cost password_cost, IdentityMetrics* metrics,
                  WorkPool* mail_pool = nullptr);

  // Creates an account and emails it a one-time password. For an address
  // that already has an account, creates nothing, emails that address a
  // warning instead (at most one a day) and still returns OK, so that the
  // result does not reveal who is registered. The same form sent again soon
  // after (IsRepeatedRegistration) sends nothing and returns OK. InvalidArgument names every
  // invalid field (NormaliseRegistration). Unavailable when the email cannot
  // be sent now; no account is then kept, so the same registration can
  // simply be retried.
  absl::Status Register(const RegistrationForm& form, const std::string& source_address = "");
  // Checks the fields as Register does, and nothing else. It reads no store
  // and hashes nothing, so it is cheap and reveals no account.
  absl::Status CheckRegistration(const RegistrationForm& form) const;

  // Opens a session for the username (the email address) and either its
  // password or its unused one-time password. Every wrong password or
  // unknown username is Unauthenticated with the same message, after the
  // same password-hashing work. While the username is locked after too many
  // wrong passwords, the ResourceExhausted message gives the wait. A one-time
  // password from a reset still opens a session then, and clears the lock.
  // Unavailable when a wrong password's failure cannot be stored.
  absl::StatusOr<SignInResult> SignIn(const std::string& username, const std::string& password,
                                      const std::string& source_address = "");

  // Replaces the session's account password, emails the holder, ends the
  // account's other sessions and returns a new token for this session (the
  // old one stops working). After signing in with a one-time password, the
  // current password is that one-time password. Unauthenticated for an
  // unknown or expired session; InvalidArgument, naming current_password
  // or new_password, for a wrong current password or a rejected new one.
  absl::StatusOr<std::string> ChangePassword(const std::string& session_token,
                                             const std::string& current_password,
                                             const std::string& new_password,
                                             const std::string& source_address = "");

  // Returns the session's account and extends its idle expiry.
  // Unauthenticated for an unknown or expired session.
  absl::StatusOr<SessionInfo> GetSession(const std::string& session_token);

  // Ends the session. An unknown token is not an error.
  absl::Status SignOut(const std::string& session_token);

  // Emails the username to the account whose email, postcode, gender and
  // date of birth all match. Returns OK whether or not one matches, so
  // that the result does not reveal who is registered; InvalidArgument only
  // for a field that is not valid at all.
  absl::Status ForgotUsername(const ForgotUsernameForm& form,
                              const std::string& source_address = "");

  // Emails a new one-time password to the account whose username, email,
  // postcode and date of birth all match. The current password keeps
  // working until the one-time password is used. Returns OK whether or not
  // one matches, after the same hashing work; InvalidArgument only for a
  // field that is not valid at all.
  absl::Status ForgotPassword(const ForgotPasswordForm& form,
                              const std::string& source_address = "");

  // Returns the session's account events, newest first, at most `limit`.
  absl::StatusOr<std::vector<AccountEvent>> ListAccountEvents(const std::string& session_token,
                                                              int limit);

  // Returns a new token for the school with `seed_code` (7 digits).
  // Unauthenticated unless `bearer_token` is the operator token, with a
  // message that distinguishes a missing token from a wrong one.
  absl::StatusOr<std::string> IssueSchoolToken(const std::string& bearer_token,
                                               const std::string& seed_code);

  // Returns the SEED code the token was issued for, or Unauthenticated.
  absl::StatusOr<std::string> CheckSchoolToken(const std::string& token);

 private:
  // Returns the live session and its account, or Unauthenticated.
  absl::StatusOr<SessionInfo> LiveSession(const std::string& token_hash, absl::Time now);
  // Counts a wrong password for `username`. Returns Unauthenticated,
  // ResourceExhausted once the username locks, or Unavailable when the
  // failure cannot be stored.
  absl::Status CountFailure(const std::string& username, ThrottleRecord throttle,
                            const AccountRecord* account, const std::string& source_address,
                            absl::Time now);
  // Returns the throttle of `username` as it is at `now`, with failures
  // forgotten after kFailureMemory.
  absl::StatusOr<ThrottleRecord> CurrentThrottle(const std::string& username, absl::Time now);
  // Stores a new hash of `password` at the configured cost. A failure is
  // logged, and the old hash keeps working.
  void UpgradeHash(const AccountRecord& account, const std::string& password);
  void RecordEvent(const std::string& account_id, const char* kind, absl::Time now,
                   const std::string& source_address);
  // Runs `send` on the mail pool, or now when there is none.
  void SendLater(std::function<void()> send);

  absl::Status SendOneTimePassword(const AccountRecord& account, const std::string& password);
  absl::Status SendRegistrationWarning(const AccountRecord& account, absl::Time now);
  // True when `fields` (normalised) repeat the registration that made
  // `holder` within kRepeatedRegistrationWindow, after its one-time
  // password was sent and before it was used. A holder whose password is
  // not yet sent may never get it, so a repeat then still warns.
  static bool IsRepeatedRegistration(const AccountRecord& holder, const RegistrationForm& fields,
                                     absl::Time now);
  absl::Status SendPasswordChanged(const AccountRecord& account, absl::Time now);
  Email ResetEmail(const AccountRecord& account, const std::string& password, absl::Time now);
  Email UsernameEmail(const AccountRecord& account, absl::Time now);
  absl::CivilDay Today(absl::Time now) const;

  IdentityStore& store_;
  Clock& clock_;
  Notifier& notifier_;
  std::string operator_token_hash_;
  Argon2Cost password_cost_;
  IdentityMetrics* metrics_;
  WorkPool* mail_pool_;
  // Verified against when there is no real hash to check, so that every
  // sign-in does the same hashing work whether or not the account exists.
  std::string dummy_hash_;
  absl::TimeZone time_zone_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_IDENTITY_SERVICE_H_
