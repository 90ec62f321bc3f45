// Accounts, sessions, sign-in throttles, account events and school-system
// tokens, in <data_dir>/identity.db. Secrets are stored only as hashes:
// passwords and one-time passwords as Argon2id, session and school tokens
// as SHA-256.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_STORE_H_
#define PP_SERVICES_IDENTITY_IDENTITY_STORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace pp::identity {

struct AccountRecord {
  std::string account_id;
  // As typed, trimmed at both ends.
  std::string forename;
  std::string surname;
  // The lookup key and username: trimmed and in lower case.
  std::string email;
  // The address as typed (trimmed), where emails are sent.
  std::string email_as_typed;
  std::string postcode;
  std::string gender;
  // YYYY-MM-DD.
  std::string date_of_birth;
  // The chosen password's hash, or empty when there is none: before the
  // first password is chosen, and after a one-time password was used.
  std::string password_hash;
  // The latest one-time password's hash, or empty when there is none.
  std::string one_time_password_hash;
  std::optional<absl::Time> one_time_password_issued_at;
  std::optional<absl::Time> one_time_password_expires_at;
  // Set when the one-time password opened a session; it opens no other.
  std::optional<absl::Time> one_time_password_used_at;
  // False until the email carrying the first one-time password was accepted.
  bool password_sent = false;
  absl::Time created_at;

  // True until the holder chooses a password.
  bool must_change_password() const { return password_hash.empty(); }
};

struct SessionRecord {
  std::string account_id;
  absl::Time created_at;
  absl::Time last_used_at;
};

// Wrong passwords given for one username, known or not.
struct ThrottleRecord {
  int failures = 0;
  std::optional<absl::Time> locked_until;
  absl::Time last_failure_at;
};

// Kinds of account event, as stored.
inline constexpr char kEventRegistered[] = "registered";
inline constexpr char kEventSignedIn[] = "signed_in";
inline constexpr char kEventSignInFailed[] = "sign_in_failed";
inline constexpr char kEventLocked[] = "locked";
inline constexpr char kEventResetRequested[] = "reset_requested";
inline constexpr char kEventResetCompleted[] = "reset_completed";
inline constexpr char kEventPasswordChanged[] = "password_changed";

struct AccountEvent {
  std::string kind;
  absl::Time at;
  // The client's IP address as the gateway saw it, or empty.
  std::string source_address;
};

class IdentityStore {
 public:
  // Opens or creates <data_dir>/identity.db, creating the folder first.
  static absl::StatusOr<std::unique_ptr<IdentityStore>> Open(const std::string& data_dir);

  // Inserts `account` unless its email is taken, and returns nullopt.
  // When the email is taken, returns that account instead and changes
  // nothing, except that an account whose password was never sent and that
  // was created before `abandoned_before` is deleted and replaced.
  absl::StatusOr<std::optional<AccountRecord>> InsertAccountUnlessTaken(
      const AccountRecord& account, absl::Time abandoned_before);

  // Deletes the account if its password was never sent.
  absl::Status DeleteUnsentAccount(const std::string& account_id);
  absl::Status MarkPasswordSent(const std::string& account_id);

  // Returns the account, or nullopt when there is none.
  absl::StatusOr<std::optional<AccountRecord>> FindAccountByEmail(const std::string& email);
  absl::StatusOr<std::optional<AccountRecord>> FindAccount(const std::string& account_id);

  // Returns the throttle of `username`, or nullopt when it has none.
  absl::StatusOr<std::optional<ThrottleRecord>> FindThrottle(const std::string& username);
  // Stores the throttle of `username`, and deletes the throttles of other
  // usernames whose last failure was before `stale_before` and that are not
  // locked at `now`.
  absl::Status PutThrottle(const std::string& username, const ThrottleRecord& throttle,
                           absl::Time now, absl::Time stale_before);

  // Opens a session, in one transaction: clears the throttle of the
  // account's email, inserts the session and deletes every session that
  // ended before `expired_before_idle` (idle) or `expired_before_start`
  // (absolute). When `used_one_time_password` is set, also marks the
  // one-time password used, removes the chosen password and deletes the
  // account's other sessions.
  absl::Status StartSession(const AccountRecord& account, const std::string& token_hash,
                            absl::Time now, absl::Time expired_before_idle,
                            absl::Time expired_before_start, bool used_one_time_password);

  // Returns the session, or nullopt when there is none.
  absl::StatusOr<std::optional<SessionRecord>> FindSession(const std::string& token_hash);
  absl::Status TouchSession(const std::string& token_hash, absl::Time now);
  absl::Status DeleteSession(const std::string& token_hash);

  // Replaces the chosen password, in one transaction: gives the session
  // `old_session_hash` the new token hash `new_session_hash` (keeping its
  // start time) and deletes every other session of the account. Also
  // clears any one-time password, so that a change ends a pending reset,
  // and deletes the failures counted under `throttle_key`.
  absl::Status ReplacePassword(const std::string& account_id, const std::string& password_hash,
                               const std::string& old_session_hash,
                               const std::string& new_session_hash, absl::Time now,
                               const std::string& throttle_key);

  // Replaces the password hash with one of a higher cost, unless the
  // password changed since `old_hash` was read.
  absl::Status UpgradePasswordHash(const std::string& account_id, const std::string& old_hash,
                                   const std::string& new_hash);

  // Stores a new one-time password for an account that keeps its chosen
  // password, replacing any earlier one-time password.
  absl::Status SetOneTimePassword(const std::string& account_id, const std::string& hash,
                                  absl::Time issued_at, absl::Time expires_at);

  // Appends an event to the account's history.
  absl::Status AddEvent(const std::string& account_id, const AccountEvent& event);
  // Returns the account's latest events of the given kinds (every kind
  // when `kinds` is empty), newest first, at most `limit`.
  absl::StatusOr<std::vector<AccountEvent>> ListEvents(const std::string& account_id,
                                                       const std::vector<std::string>& kinds,
                                                       int limit);

  absl::Status InsertSchoolToken(const std::string& token_hash, const std::string& seed_code,
                                 absl::Time now);
  // Returns the SEED code of the token, or nullopt when there is none.
  absl::StatusOr<std::optional<std::string>> FindSchoolToken(const std::string& token_hash);

 private:
  explicit IdentityStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  std::unique_ptr<Store> store_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_IDENTITY_STORE_H_
