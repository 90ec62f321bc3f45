#include "handoff_store.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace pp::payments {
namespace {

// Migration i takes the schema from version i to i + 1. Never edit one that
// has shipped: add another.
const std::vector<std::string> kMigrations = {
    R"sql(
-- The one Ed25519 key pair that signs tokens, both halves base64url.
CREATE TABLE signing_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  public_key TEXT NOT NULL,
  secret_key TEXT NOT NULL,
  created_at TEXT NOT NULL
);
-- Times are seconds since the epoch. State is created, redeemed, completed
-- or expired.
CREATE TABLE handoffs (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  redeemed_at INTEGER
);
CREATE INDEX handoffs_by_state ON handoffs(state, expires_at);
-- The personal data of a hand-off, deleted when it completes or expires.
CREATE TABLE handoff_details (
  handoff_id TEXT PRIMARY KEY REFERENCES handoffs(id) ON DELETE CASCADE,
  account_id TEXT NOT NULL,
  parent_name TEXT NOT NULL,
  parent_email TEXT NOT NULL,
  seed_code TEXT NOT NULL,
  school_name TEXT NOT NULL,
  child_id TEXT NOT NULL,
  child_name TEXT NOT NULL,
  stage TEXT NOT NULL
);
CREATE TABLE receipts (
  handoff_id TEXT PRIMARY KEY REFERENCES handoffs(id),
  outcome TEXT NOT NULL,
  provider_reference TEXT NOT NULL,
  completed_at TEXT NOT NULL
)
)sql",
};

api::HandoffState StateFromText(const std::string& text) {
  if (text == "created") return api::CREATED;
  if (text == "redeemed") return api::REDEEMED;
  if (text == "completed") return api::COMPLETED;
  if (text == "expired") return api::EXPIRED;
  return api::HANDOFF_STATE_UNSPECIFIED;
}

// Reads the hand-off inside a transaction. Returns NotFound when there is
// none.
absl::StatusOr<HandoffRecord> ReadRecord(Tx& tx, const std::string& id) {
  std::optional<HandoffRecord> record;
  absl::Status status = tx.Query(
      "SELECT h.state, h.expires_at, r.outcome, r.provider_reference, "
      "d.handoff_id IS NOT NULL FROM handoffs h "
      "LEFT JOIN receipts r ON r.handoff_id = h.id "
      "LEFT JOIN handoff_details d ON d.handoff_id = h.id WHERE h.id = ?",
      {id}, [&](const Row& row) {
        record.emplace();
        record->id = id;
        record->state = StateFromText(row.Text(0));
        record->expires_at = absl::FromUnixSeconds(row.Int(1));
        record->outcome = row.Text(2);
        record->provider_reference = row.Text(3);
        record->holds_personal_data = row.Int(4) != 0;
      });
  if (!status.ok()) return status;
  if (!record.has_value()) return absl::NotFoundError(absl::StrCat("no hand-off with id ", id));
  return *record;
}

// Sets a file's mode to owner read and write, when the file exists.
absl::Status RestrictToOwner(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return absl::OkStatus();
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
      std::filesystem::perm_options::replace, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot make ", path.string(), " private: ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoffStore>> HandoffStore::Open(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the data folder ", data_dir, ": ", error.message()));
  }
  std::filesystem::path path = std::filesystem::path(data_dir) / "payments-handoff.db";
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path.string(), kMigrations);
  if (!store.ok()) return store.status();

  // SQLite creates the -wal and -shm files with the database file's mode,
  // so restricting all three covers the files created later too.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    absl::Status status = RestrictToOwner(path.string() + suffix);
    if (!status.ok()) return status;
  }
  return std::make_unique<HandoffStore>(std::move(*store));
}

absl::StatusOr<crypto::SigningKey> HandoffStore::LoadOrCreateSigningKey(absl::Time now) {
  std::optional<crypto::SigningKey> key;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    std::string public_text;
    std::string secret_text;
    absl::Status read = tx.Query("SELECT public_key, secret_key FROM signing_key WHERE id = 1", {},
                                 [&](const Row& row) {
                                   public_text = row.Text(0);
                                   secret_text = row.Text(1);
                                 });
    if (!read.ok()) return read;

    if (public_text.empty()) {
      key = crypto::NewSigningKey();
      return tx.Exec(
          "INSERT INTO signing_key(id, public_key, secret_key, created_at) VALUES (1, ?, ?, ?)",
          {crypto::Base64UrlEncode(key->public_key), crypto::Base64UrlEncode(key->secret_key),
           absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())});
    }
    absl::StatusOr<std::string> public_key = crypto::Base64UrlDecode(public_text);
    absl::StatusOr<std::string> secret_key = crypto::Base64UrlDecode(secret_text);
    if (!public_key.ok() || !secret_key.ok()) {
      return absl::DataLossError("the stored signing key is not valid base64url");
    }
    key = crypto::SigningKey{*public_key, *secret_key};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *key;
}

absl::Status HandoffStore::Insert(const std::string& id, const HandoffDetails& details,
                                  absl::Time created_at, absl::Time expires_at) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status status = tx.Exec(
        "INSERT INTO handoffs(id, state, created_at, expires_at) VALUES (?, 'created', ?, ?)",
        {id, absl::ToUnixSeconds(created_at), absl::ToUnixSeconds(expires_at)});
    if (!status.ok()) return status;
    return tx.Exec(
        "INSERT INTO handoff_details(handoff_id, account_id, parent_name, parent_email, "
        "seed_code, school_name, child_id, child_name, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {id, details.account_id, details.parent_name, details.parent_email, details.seed_code,
         details.school_name, details.child_id, details.child_name, details.stage});
  });
}

absl::StatusOr<HandoffRecord> HandoffStore::Get(const std::string& id) {
  absl::StatusOr<HandoffRecord> record;
  absl::Status status = store_->Read([&](Tx& tx) {
    record = ReadRecord(tx, id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return record;
}

absl::StatusOr<HandoffDetails> HandoffStore::Redeem(const std::string& id, absl::Time now) {
  HandoffDetails details;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<HandoffRecord> record = ReadRecord(tx, id);
    if (!record.ok()) return record.status();
    if (record->state == api::EXPIRED ||
        (record->state == api::CREATED && now >= record->expires_at)) {
      return absl::FailedPreconditionError(
          "the hand-off token expired; start the payment again from Parents Portal");
    }
    if (record->state != api::CREATED) {
      return absl::FailedPreconditionError(
          "the hand-off token was already redeemed; each token works once");
    }

    absl::Status read = tx.Query(
        "SELECT account_id, parent_name, parent_email, seed_code, school_name, child_id, "
        "child_name, stage FROM handoff_details WHERE handoff_id = ?",
        {id}, [&](const Row& row) {
          details = HandoffDetails{row.Text(0), row.Text(1), row.Text(2), row.Text(3),
                                   row.Text(4), row.Text(5), row.Text(6), row.Text(7)};
        });
    if (!read.ok()) return read;
    return tx.Exec("UPDATE handoffs SET state = 'redeemed', redeemed_at = ? WHERE id = ?",
                   {absl::ToUnixSeconds(now), id});
  });
  if (!status.ok()) return status;
  return details;
}

absl::StatusOr<HandoffRecord> HandoffStore::Complete(const std::string& id,
                                                     const std::string& outcome,
                                                     const std::string& provider_reference,
                                                     absl::Time now, bool* repeated) {
  absl::StatusOr<HandoffRecord> result;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    *repeated = false;
    absl::StatusOr<HandoffRecord> record = ReadRecord(tx, id);
    if (!record.ok()) return record.status();
    switch (record->state) {
      case api::COMPLETED:
        if (record->outcome == outcome && record->provider_reference == provider_reference) {
          result = *record;
          *repeated = true;
          return absl::OkStatus();
        }
        return absl::FailedPreconditionError(
            absl::StrCat("hand-off ", id, " already completed with outcome ", record->outcome,
                         " and provider reference ", record->provider_reference));
      case api::CREATED:
        return absl::FailedPreconditionError(absl::StrCat(
            "hand-off ", id, " has not been redeemed; only a redeemed hand-off can complete"));
      case api::EXPIRED:
        return absl::FailedPreconditionError(
            absl::StrCat("hand-off ", id, " expired before it completed"));
      case api::REDEEMED:
        break;
      default:
        return absl::InternalError(absl::StrCat("hand-off ", id, " has an unknown state"));
    }

    absl::Status status = tx.Exec(
        "INSERT INTO receipts(handoff_id, outcome, provider_reference, completed_at) "
        "VALUES (?, ?, ?, ?)",
        {id, outcome, provider_reference,
         absl::FormatTime(absl::RFC3339_sec, now, absl::UTCTimeZone())});
    if (!status.ok()) return status;
    status = tx.Exec("DELETE FROM handoff_details WHERE handoff_id = ?", {id});
    if (!status.ok()) return status;
    status = tx.Exec("UPDATE handoffs SET state = 'completed' WHERE id = ?", {id});
    if (!status.ok()) return status;
    result = ReadRecord(tx, id);
    return result.status();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<int> HandoffStore::Expire(absl::Time now, absl::Time redeemed_cutoff) {
  int expired = 0;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    const char* kDue =
        "(state = 'created' AND expires_at <= ?) OR (state = 'redeemed' AND created_at <= ?)";
    std::vector<SqlValue> params = {absl::ToUnixSeconds(now), absl::ToUnixSeconds(redeemed_cutoff)};
    absl::Status status = tx.Exec(absl::StrCat("DELETE FROM handoff_details WHERE handoff_id IN "
                                               "(SELECT id FROM handoffs WHERE ",
                                               kDue, ")"),
                                  params);
    if (!status.ok()) return status;
    status = tx.Exec(absl::StrCat("UPDATE handoffs SET state = 'expired' WHERE ", kDue), params);
    if (!status.ok()) return status;
    expired = tx.Changes();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return expired;
}

}  // namespace pp::payments
