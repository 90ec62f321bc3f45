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
};

constexpr const char* kAccountColumns =
    "account_id, forename, surname, email, postcode, gender, date_of_birth, password_hash, "
    "password_is_one_time, password_expires_at, password_sent, failed_sign_ins, locked_until, "
    "created_at";

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
  account.postcode = row.Text(4);
  account.gender = row.Text(5);
  account.date_of_birth = row.Text(6);
  account.password_hash = row.Text(7);
  account.password_is_one_time = row.Int(8) != 0;
  account.password_expires_at = OptionalTime(row, 9);
  account.password_sent = row.Int(10) != 0;
  account.failed_sign_ins = static_cast<int>(row.Int(11));
  account.locked_until = OptionalTime(row, 12);
  account.created_at = absl::FromUnixSeconds(row.Int(13));
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
        "INSERT INTO accounts(account_id, forename, surname, email, postcode, gender, "
        "date_of_birth, password_hash, password_is_one_time, password_expires_at, "
        "password_sent, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        {account.account_id, account.forename, account.surname, account.email, account.postcode,
         account.gender, account.date_of_birth, account.password_hash, account.password_is_one_time,
         OptionalSeconds(account.password_expires_at), now, now});
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

absl::Status IdentityStore::RecordFailedSignIn(const std::string& account_id, absl::Time now,
                                               int failures_before_lock, absl::Duration lock_for) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status counted =
        tx.Exec("UPDATE accounts SET failed_sign_ins = failed_sign_ins + 1 WHERE account_id = ?",
                {account_id});
    if (!counted.ok()) return counted;
    return tx.Exec(
        "UPDATE accounts SET failed_sign_ins = 0, locked_until = ? "
        "WHERE account_id = ? AND failed_sign_ins >= ?",
        {absl::ToUnixSeconds(now + lock_for), account_id, failures_before_lock});
  });
}

absl::Status IdentityStore::StartSession(const std::string& account_id,
                                         const std::string& token_hash, absl::Time now,
                                         absl::Time expired_before_idle,
                                         absl::Time expired_before_start) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status purged = tx.Exec(
        "DELETE FROM sessions WHERE last_used_at < ? OR created_at < ?",
        {absl::ToUnixSeconds(expired_before_idle), absl::ToUnixSeconds(expired_before_start)});
    if (!purged.ok()) return purged;
    absl::Status reset =
        tx.Exec("UPDATE accounts SET failed_sign_ins = 0, locked_until = NULL WHERE account_id = ?",
                {account_id});
    if (!reset.ok()) return reset;
    int64_t seconds = absl::ToUnixSeconds(now);
    return tx.Exec(
        "INSERT INTO sessions(token_hash, account_id, created_at, last_used_at) VALUES (?, ?, ?, "
        "?)",
        {token_hash, account_id, seconds, seconds});
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
                                            const std::string& kept_session_hash, absl::Time now) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status updated = tx.Exec(
        "UPDATE accounts SET password_hash = ?, password_is_one_time = 0, "
        "password_expires_at = NULL, updated_at = ? WHERE account_id = ?",
        {password_hash, absl::ToUnixSeconds(now), account_id});
    if (!updated.ok()) return updated;
    return tx.Exec("DELETE FROM sessions WHERE account_id = ? AND token_hash != ?",
                   {account_id, kept_session_hash});
  });
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
