#include "identity_store.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"

namespace pp::identity {
namespace {

const std::vector<std::string> kMigrations = {
    R"sql(
    CREATE TABLE accounts (
      id INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL UNIQUE,
      email TEXT NOT NULL UNIQUE,
      forename TEXT NOT NULL,
      surname TEXT NOT NULL,
      postcode TEXT NOT NULL,
      gender TEXT NOT NULL,
      date_of_birth TEXT NOT NULL,
      password_hash TEXT NOT NULL,
      password_is_one_time INTEGER NOT NULL,
      password_expires_at INTEGER,
      password_sent INTEGER NOT NULL DEFAULT 0,
      failed_sign_ins INTEGER NOT NULL DEFAULT 0,
      locked_until INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
      token_hash TEXT PRIMARY KEY,
      account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_account ON sessions(account_id);
    CREATE TABLE school_tokens (
      token_hash TEXT PRIMARY KEY,
      seed_code TEXT NOT NULL,
      issued_at INTEGER NOT NULL
    );
    )sql",
    // Keeps one-time passwords apart from the chosen password, so that a
    // reset does not stop the current password working until it is used.
    // Sign-in failures move to a table keyed by the username typed, known
    // or not, and account events are recorded.
    R"sql(
    ALTER TABLE accounts ADD COLUMN email_as_typed TEXT NOT NULL DEFAULT '';
    ALTER TABLE accounts ADD COLUMN one_time_password_hash TEXT NOT NULL DEFAULT '';
    ALTER TABLE accounts ADD COLUMN one_time_password_issued_at INTEGER;
    ALTER TABLE accounts ADD COLUMN one_time_password_expires_at INTEGER;
    ALTER TABLE accounts ADD COLUMN one_time_password_used_at INTEGER;
    UPDATE accounts SET email_as_typed = email;
    UPDATE accounts SET one_time_password_hash = password_hash,
        one_time_password_issued_at = created_at,
        one_time_password_expires_at = password_expires_at, password_hash = ''
      WHERE password_is_one_time = 1;
    ALTER TABLE accounts DROP COLUMN password_is_one_time;
    ALTER TABLE accounts DROP COLUMN password_expires_at;
    ALTER TABLE accounts DROP COLUMN failed_sign_ins;
    ALTER TABLE accounts DROP COLUMN locked_until;
    CREATE TABLE sign_in_throttles (
      username TEXT PRIMARY KEY,
      failures INTEGER NOT NULL,
      locked_until INTEGER,
      last_failure_at INTEGER NOT NULL
    );
    CREATE TABLE account_events (
      id INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      at INTEGER NOT NULL,
      source_address TEXT NOT NULL
    );
    CREATE INDEX account_events_by_account ON account_events(account_id, at);
    )sql",
};

constexpr const char* kAccountColumns =
    "account_id, forename, surname, email, email_as_typed, postcode, gender, date_of_birth, "
    "password_hash, one_time_password_hash, one_time_password_issued_at, "
    "one_time_password_expires_at, one_time_password_used_at, password_sent, created_at";

std::optional<absl::Time> OptionalTime(const Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return absl::FromUnixSeconds(row.Int(column));
}

SqlValue OptionalSeconds(const std::optional<absl::Time>& time) {
  if (!time.has_value()) return SqlValue();
  return SqlValue(absl::ToUnixSeconds(*time));
}

AccountRecord AccountFromRow(const Row& row) {
  AccountRecord account;
  account.account_id = row.Text(0);
  account.forename = row.Text(1);
  account.surname = row.Text(2);
  account.email = row.Text(3);
  account.email_as_typed = row.Text(4);
  account.postcode = row.Text(5);
  account.gender = row.Text(6);
  account.date_of_birth = row.Text(7);
  account.password_hash = row.Text(8);
  account.one_time_password_hash = row.Text(9);
  account.one_time_password_issued_at = OptionalTime(row, 10);
  account.one_time_password_expires_at = OptionalTime(row, 11);
  account.one_time_password_used_at = OptionalTime(row, 12);
  account.password_sent = row.Int(13) != 0;
  account.created_at = absl::FromUnixSeconds(row.Int(14));
  return account;
}

absl::StatusOr<std::optional<AccountRecord>> QueryAccount(Tx& tx, const char* column,
                                                          const std::string& value) {
  std::optional<AccountRecord> account;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kAccountColumns, " FROM accounts WHERE ", column, " = ?"),
               {value}, [&](const Row& row) { account = AccountFromRow(row); });
  if (!status.ok()) return status;
  return account;
}

}  // namespace

absl::StatusOr<std::unique_ptr<IdentityStore>> IdentityStore::Open(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the data folder ", data_dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(data_dir + "/identity.db", kMigrations);
  if (!store.ok()) return store.status();
  return std::unique_ptr<IdentityStore>(new IdentityStore(std::move(*store)));
}

absl::StatusOr<std::optional<AccountRecord>> IdentityStore::InsertAccountUnlessTaken(
    const AccountRecord& account, absl::Time abandoned_before) {
  std::optional<AccountRecord> existing;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::optional<AccountRecord>> found = QueryAccount(tx, "email", account.email);
    if (!found.ok()) return found.status();
    if (found->has_value()) {
      const AccountRecord& taken = **found;
      if (taken.password_sent || taken.created_at >= abandoned_before) {
        existing = taken;
        return absl::OkStatus();
      }
      absl::Status deleted =
          tx.Exec("DELETE FROM accounts WHERE account_id = ?", {taken.account_id});
      if (!deleted.ok()) return deleted;
    }

    int64_t now = absl::ToUnixSeconds(account.created_at);
    return tx.Exec(
        "INSERT INTO accounts(account_id, forename, surname, email, email_as_typed, postcode, "
        "gender, date_of_birth, password_hash, one_time_password_hash, "
        "one_time_password_issued_at, one_time_password_expires_at, password_sent, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        {account.account_id, account.forename, account.surname, account.email,
         account.email_as_typed, account.postcode, account.gender, account.date_of_birth,
         account.password_hash, account.one_time_password_hash,
         OptionalSeconds(account.one_time_password_issued_at),
         OptionalSeconds(account.one_time_password_expires_at), now, now});
  });
  if (!status.ok()) return status;
  return existing;
}

absl::Status IdentityStore::DeleteUnsentAccount(const std::string& account_id) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("DELETE FROM accounts WHERE account_id = ? AND password_sent = 0", {account_id});
  });
}

absl::Status IdentityStore::MarkPasswordSent(const std::string& account_id) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("UPDATE accounts SET password_sent = 1 WHERE account_id = ?", {account_id});
  });
}

absl::StatusOr<std::optional<AccountRecord>> IdentityStore::FindAccountByEmail(
    const std::string& email) {
  absl::StatusOr<std::optional<AccountRecord>> account;
  absl::Status status = store_->Read([&](Tx& tx) {
    account = QueryAccount(tx, "email", email);
    return account.status();
  });
  if (!status.ok()) return status;
  return account;
}

absl::StatusOr<std::optional<AccountRecord>> IdentityStore::FindAccount(
    const std::string& account_id) {
  absl::StatusOr<std::optional<AccountRecord>> account;
  absl::Status status = store_->Read([&](Tx& tx) {
    account = QueryAccount(tx, "account_id", account_id);
    return account.status();
  });
  if (!status.ok()) return status;
  return account;
}

absl::StatusOr<std::optional<ThrottleRecord>> IdentityStore::FindThrottle(
    const std::string& username) {
  std::optional<ThrottleRecord> throttle;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT failures, locked_until, last_failure_at FROM sign_in_throttles WHERE username = ?",
        {username}, [&](const Row& row) {
          throttle = ThrottleRecord{static_cast<int>(row.Int(0)), OptionalTime(row, 1),
                                    absl::FromUnixSeconds(row.Int(2))};
        });
  });
  if (!status.ok()) return status;
  return throttle;
}

absl::Status IdentityStore::PutThrottle(const std::string& username, const ThrottleRecord& throttle,
                                        absl::Time now, absl::Time stale_before) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    // Usernames nobody has tried for a while would otherwise pile up.
    absl::Status purged = tx.Exec(
        "DELETE FROM sign_in_throttles WHERE last_failure_at < ? AND "
        "(locked_until IS NULL OR locked_until <= ?)",
        {absl::ToUnixSeconds(stale_before), absl::ToUnixSeconds(now)});
    if (!purged.ok()) return purged;
    return tx.Exec(
        "INSERT INTO sign_in_throttles(username, failures, locked_until, last_failure_at) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET failures = excluded.failures, "
        "locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at",
        {username, throttle.failures, OptionalSeconds(throttle.locked_until),
         absl::ToUnixSeconds(throttle.last_failure_at)});
  });
}

absl::Status IdentityStore::StartSession(const AccountRecord& account,
                                         const std::string& token_hash, absl::Time now,
                                         absl::Time expired_before_idle,
                                         absl::Time expired_before_start,
                                         bool used_one_time_password) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status purged = tx.Exec(
        "DELETE FROM sessions WHERE last_used_at < ? OR created_at < ?",
        {absl::ToUnixSeconds(expired_before_idle), absl::ToUnixSeconds(expired_before_start)});
    if (!purged.ok()) return purged;
    absl::Status cleared =
        tx.Exec("DELETE FROM sign_in_throttles WHERE username = ?", {account.email});
    if (!cleared.ok()) return cleared;

    int64_t seconds = absl::ToUnixSeconds(now);
    if (used_one_time_password) {
      absl::Status used = tx.Exec(
          "UPDATE accounts SET one_time_password_used_at = ?, password_hash = '', updated_at = ? "
          "WHERE account_id = ?",
          {seconds, seconds, account.account_id});
      if (!used.ok()) return used;
      absl::Status ended =
          tx.Exec("DELETE FROM sessions WHERE account_id = ?", {account.account_id});
      if (!ended.ok()) return ended;
    }
    return tx.Exec(
        "INSERT INTO sessions(token_hash, account_id, created_at, last_used_at) "
        "VALUES (?, ?, ?, ?)",
        {token_hash, account.account_id, seconds, seconds});
  });
}

absl::StatusOr<std::optional<SessionRecord>> IdentityStore::FindSession(
    const std::string& token_hash) {
  std::optional<SessionRecord> session;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT account_id, created_at, last_used_at FROM sessions WHERE token_hash = ?",
        {token_hash}, [&](const Row& row) {
          session = SessionRecord{row.Text(0), absl::FromUnixSeconds(row.Int(1)),
                                  absl::FromUnixSeconds(row.Int(2))};
        });
  });
  if (!status.ok()) return status;
  return session;
}

absl::Status IdentityStore::TouchSession(const std::string& token_hash, absl::Time now) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("UPDATE sessions SET last_used_at = ? WHERE token_hash = ?",
                   {absl::ToUnixSeconds(now), token_hash});
  });
}

absl::Status IdentityStore::DeleteSession(const std::string& token_hash) {
  return store_->Write(
      [&](Tx& tx) { return tx.Exec("DELETE FROM sessions WHERE token_hash = ?", {token_hash}); });
}

absl::Status IdentityStore::ReplacePassword(const std::string& account_id,
                                            const std::string& password_hash,
                                            const std::string& old_session_hash,
                                            const std::string& new_session_hash, absl::Time now,
                                            const std::string& throttle_key) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    int64_t seconds = absl::ToUnixSeconds(now);
    absl::Status updated =
        tx.Exec("UPDATE accounts SET password_hash = ?, updated_at = ? WHERE account_id = ?",
                {password_hash, seconds, account_id});
    if (!updated.ok()) return updated;
    absl::Status cleared = tx.Exec(
        "UPDATE accounts SET one_time_password_hash = '', one_time_password_issued_at = NULL, "
        "one_time_password_expires_at = NULL, one_time_password_used_at = NULL "
        "WHERE account_id = ?",
        {account_id});
    if (!cleared.ok()) return cleared;
    absl::Status forgiven =
        tx.Exec("DELETE FROM sign_in_throttles WHERE username = ?", {throttle_key});
    if (!forgiven.ok()) return forgiven;
    absl::Status ended = tx.Exec("DELETE FROM sessions WHERE account_id = ? AND token_hash != ?",
                                 {account_id, old_session_hash});
    if (!ended.ok()) return ended;
    absl::Status renamed =
        tx.Exec("UPDATE sessions SET token_hash = ?, last_used_at = ? WHERE token_hash = ?",
                {new_session_hash, seconds, old_session_hash});
    if (!renamed.ok()) return renamed;
    if (tx.Changes() != 1) return absl::UnauthenticatedError("the session has ended");
    return absl::OkStatus();
  });
}

absl::Status IdentityStore::UpgradePasswordHash(const std::string& account_id,
                                                const std::string& old_hash,
                                                const std::string& new_hash) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec(
        "UPDATE accounts SET password_hash = ? WHERE account_id = ? AND password_hash = ?",
        {new_hash, account_id, old_hash});
  });
}

absl::Status IdentityStore::SetOneTimePassword(const std::string& account_id,
                                               const std::string& hash, absl::Time issued_at,
                                               absl::Time expires_at) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec(
        "UPDATE accounts SET one_time_password_hash = ?, one_time_password_issued_at = ?, "
        "one_time_password_expires_at = ?, one_time_password_used_at = NULL, updated_at = ? "
        "WHERE account_id = ?",
        {hash, absl::ToUnixSeconds(issued_at), absl::ToUnixSeconds(expires_at),
         absl::ToUnixSeconds(issued_at), account_id});
  });
}

absl::Status IdentityStore::AddEvent(const std::string& account_id, const AccountEvent& event) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec(
        "INSERT INTO account_events(account_id, kind, at, source_address) VALUES (?, ?, ?, ?)",
        {account_id, event.kind, absl::ToUnixSeconds(event.at), event.source_address});
  });
}

absl::StatusOr<std::vector<AccountEvent>> IdentityStore::ListEvents(
    const std::string& account_id, const std::vector<std::string>& kinds, int limit) {
  std::string sql = "SELECT kind, at, source_address FROM account_events WHERE account_id = ?";
  std::vector<SqlValue> params = {account_id};
  if (!kinds.empty()) {
    sql += " AND kind IN (";
    for (size_t i = 0; i < kinds.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      params.push_back(kinds[i]);
    }
    sql += ")";
  }
  sql += " ORDER BY at DESC, id DESC LIMIT ?";
  params.push_back(limit);

  std::vector<AccountEvent> events;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(sql, params, [&](const Row& row) {
      events.push_back(AccountEvent{row.Text(0), absl::FromUnixSeconds(row.Int(1)), row.Text(2)});
    });
  });
  if (!status.ok()) return status;
  return events;
}

absl::Status IdentityStore::InsertSchoolToken(const std::string& token_hash,
                                              const std::string& seed_code, absl::Time now) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("INSERT INTO school_tokens(token_hash, seed_code, issued_at) VALUES (?, ?, ?)",
                   {token_hash, seed_code, absl::ToUnixSeconds(now)});
  });
}

absl::StatusOr<std::optional<std::string>> IdentityStore::FindSchoolToken(
    const std::string& token_hash) {
  std::optional<std::string> seed_code;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT seed_code FROM school_tokens WHERE token_hash = ?", {token_hash},
                    [&](const Row& row) { seed_code = row.Text(0); });
  });
  if (!status.ok()) return status;
  return seed_code;
}

}  // namespace pp::identity
