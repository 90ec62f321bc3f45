// Accounts, sessions and school-system tokens, in <data_dir>/identity.db.
// Secrets are stored only as hashes: passwords as Argon2id, session and
// school tokens as SHA-256.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_STORE_H_
#define PP_SERVICES_IDENTITY_IDENTITY_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace pp::identity {

struct AccountRecord {
  std::string account_id;
  std::string forename;
  std::string surname;
  // Lower case; the username.
  std::string email;
  std::string postcode;
  std::string gender;
  // YYYY-MM-DD.
  std::string date_of_birth;
  std::string password_hash;
  // True while the password is the one-time password from registration.
  bool password_is_one_time = false;
  // When a one-time password stops working; unset for a chosen password.
  std::optional<absl::Time> password_expires_at;
  // False until the email carrying the one-time password was accepted.
  bool password_sent = false;
  int failed_sign_ins = 0;
  std::optional<absl::Time> locked_until;
  absl::Time created_at;
};

struct SessionRecord {
  std::string account_id;
  absl::Time created_at;
  absl::Time last_used_at;
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

  // Counts a wrong password. Once `failures_before_lock` follow one another,
  // the account is locked until `now + lock_for` and the count restarts.
  absl::Status RecordFailedSignIn(const std::string& account_id, absl::Time now,
                                  int failures_before_lock, absl::Duration lock_for);

  // Clears the failure count and inserts a session, in one transaction. Also
  // deletes every session that ended before `expired_before_idle` (idle) or
  // `expired_before_start` (absolute).
  absl::Status StartSession(const std::string& account_id, const std::string& token_hash,
                            absl::Time now, absl::Time expired_before_idle,
                            absl::Time expired_before_start);

  // Returns the session, or nullopt when there is none.
  absl::StatusOr<std::optional<SessionRecord>> FindSession(const std::string& token_hash);
  absl::Status TouchSession(const std::string& token_hash, absl::Time now);
  absl::Status DeleteSession(const std::string& token_hash);

  // Replaces the password with a chosen one and deletes every other
  // session of the account, in one transaction.
  absl::Status ReplacePassword(const std::string& account_id, const std::string& password_hash,
                               const std::string& kept_session_hash, absl::Time now);

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
