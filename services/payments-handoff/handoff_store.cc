#include "handoff_store.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "provider_crypto.h"

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
    R"sql(
-- Version 2: hand-offs carry only what the provider needs, and assertions
-- are JWTs signed by rotating keys. Version 1 rows held names and no
-- owner, so they cannot become receipts and are dropped.
DROP TABLE receipts;
DROP TABLE handoff_details;
DROP TABLE handoffs;
DROP TABLE signing_key;
-- Ed25519 key pairs, both halves base64url. The active key has no
-- retired_at; a retired key stays published until unpublish_at and is then
-- deleted. Times are seconds since the epoch.
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  public_key TEXT NOT NULL,
  secret_key TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  retired_at INTEGER,
  unpublish_at INTEGER
);
-- Secrets for keyed hashes: the parent's pseudonym for each provider and the
-- receipt owner.
CREATE TABLE secrets (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- State is created, completed or expired. owner is a keyed hash of the
-- parent's account id.
CREATE TABLE handoffs (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL,
  provider_name TEXT NOT NULL,
  service TEXT NOT NULL,
  seed_code TEXT NOT NULL,
  owner TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  data_expires_at INTEGER NOT NULL,
  completed_at INTEGER,
  outcome TEXT,
  provider_reference TEXT,
  data_deleted_at INTEGER
);
CREATE INDEX handoffs_by_owner ON handoffs(owner, created_at);
CREATE INDEX handoffs_by_state ON handoffs(state, data_expires_at);
-- The personal data of a hand-off, deleted when it completes or expires.
-- Nothing indexes these columns, so no index page keeps a copy.
CREATE TABLE handoff_personal_data (
  handoff_id TEXT PRIMARY KEY REFERENCES handoffs(id),
  pupil_ref TEXT NOT NULL,
  parent_pseudonym TEXT NOT NULL
);
-- Provider callbacks already answered, so that a replay gets the same
-- answer. code is an absl::StatusCode.
CREATE TABLE callback_events (
  provider_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  body_hash TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  handoff_id TEXT NOT NULL,
  code INTEGER NOT NULL,
  message TEXT NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (provider_id, event_id)
)
)sql",
};

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

api::HandoffState StateFromText(const std::string& text) {
  if (text == "created") return api::CREATED;
  if (text == "completed") return api::COMPLETED;
  if (text == "expired") return api::EXPIRED;
  return api::HANDOFF_STATE_UNSPECIFIED;
}

std::string StateText(api::HandoffState state) {
  switch (state) {
    case api::CREATED:
      return "created";
    case api::COMPLETED:
      return "completed";
    case api::EXPIRED:
      return "expired";
    default:
      return "unspecified";
  }
}

std::optional<absl::Time> OptionalTime(const Row& row, int column) {
  if (row.IsNull(column)) return std::nullopt;
  return absl::FromUnixSeconds(row.Int(column));
}

// Every hand-off query selects these columns, in this order.
constexpr char kHandoffColumns[] =
    "h.id, h.provider_id, h.provider_name, h.service, h.state, h.created_at, h.completed_at, "
    "h.data_deleted_at, h.outcome, h.provider_reference, d.handoff_id IS NOT NULL "
    "FROM handoffs h LEFT JOIN handoff_personal_data d ON d.handoff_id = h.id";

HandoffRecord ReadHandoff(const Row& row) {
  HandoffRecord record;
  record.id = row.Text(0);
  record.provider_id = row.Text(1);
  record.provider_name = row.Text(2);
  record.service = row.Text(3);
  record.state = StateFromText(row.Text(4));
  record.created_at = absl::FromUnixSeconds(row.Int(5));
  record.completed_at = OptionalTime(row, 6);
  record.data_deleted_at = OptionalTime(row, 7);
  record.outcome = row.Text(8);
  record.provider_reference = row.Text(9);
  record.holds_personal_data = row.Int(10) != 0;
  return record;
}

// Reads the hand-off inside a transaction. NotFound when there is none.
absl::StatusOr<HandoffRecord> ReadRecord(Tx& tx, const std::string& id) {
  std::optional<HandoffRecord> record;
  absl::Status status = tx.Query(absl::StrCat("SELECT ", kHandoffColumns, " WHERE h.id = ?"), {id},
                                 [&](const Row& row) { record = ReadHandoff(row); });
  if (!status.ok()) return status;
  if (!record.has_value()) return absl::NotFoundError(absl::StrCat("no hand-off with id ", id));
  return *record;
}

absl::StatusOr<SigningKeyRecord> DecodeKey(const std::string& kid, const std::string& public_text,
                                           const std::string& secret_text, int64_t created_at) {
  absl::StatusOr<std::string> public_key = crypto::Base64UrlDecode(public_text);
  absl::StatusOr<std::string> secret_key = crypto::Base64UrlDecode(secret_text);
  if (!public_key.ok() || !secret_key.ok()) {
    return absl::DataLossError(absl::StrCat("signing key ", kid, " is not valid base64url"));
  }
  return SigningKeyRecord{kid, {*public_key, *secret_key}, absl::FromUnixSeconds(created_at)};
}

// Creates a key pair, stores it as the active key and returns it.
absl::StatusOr<SigningKeyRecord> InsertNewKey(Tx& tx, absl::Time now) {
  crypto::SigningKey key = crypto::NewSigningKey();
  SigningKeyRecord record{KeyThumbprint(key.public_key), key, now};
  absl::Status status = tx.Exec(
      "INSERT INTO signing_keys(kid, public_key, secret_key, created_at) VALUES (?, ?, ?, ?)",
      {record.kid, crypto::Base64UrlEncode(key.public_key), crypto::Base64UrlEncode(key.secret_key),
       absl::ToUnixSeconds(now)});
  if (!status.ok()) return status;
  return record;
}

// Reads the active key. NotFound when there is none.
absl::StatusOr<SigningKeyRecord> ReadActiveKey(Tx& tx) {
  absl::StatusOr<SigningKeyRecord> key = absl::NotFoundError("no active signing key");
  absl::Status status = tx.Query(
      "SELECT kid, public_key, secret_key, created_at FROM signing_keys "
      "WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1",
      {},
      [&](const Row& row) { key = DecodeKey(row.Text(0), row.Text(1), row.Text(2), row.Int(3)); });
  if (!status.ok()) return status;
  return key;
}

// Deletes the hand-off's personal data and records when.
absl::Status DeletePersonalData(Tx& tx, const std::string& id, absl::Time now) {
  absl::Status status = tx.Exec("DELETE FROM handoff_personal_data WHERE handoff_id = ?", {id});
  if (!status.ok()) return status;
  return tx.Exec("UPDATE handoffs SET data_deleted_at = ? WHERE id = ?",
                 {absl::ToUnixSeconds(now), id});
}

// Decides the response to a new event, and applies the event when it
// completes the hand-off.
absl::StatusOr<CallbackAnswer> CompleteFromEvent(Tx& tx, const CallbackEvent& event,
                                                 absl::Time now) {
  CallbackAnswer answer;
  answer.handoff_id = event.handoff_id;
  absl::StatusOr<HandoffRecord> record = ReadRecord(tx, event.handoff_id);
  // Another provider's hand-off reads as unknown, so ids cannot be probed.
  if (record.status().code() == absl::StatusCode::kNotFound ||
      (record.ok() && record->provider_id != event.provider_id)) {
    answer.status = absl::NotFoundError("no hand-off with this id for this provider");
    return answer;
  }
  if (!record.ok()) return record.status();
  answer.state = record->state;

  switch (record->state) {
    case api::EXPIRED:
      answer.status = absl::FailedPreconditionError(
          "the hand-off expired before it completed; its data is deleted");
      return answer;
    case api::COMPLETED:
      if (record->outcome != event.outcome ||
          record->provider_reference != event.provider_reference) {
        answer.status = absl::FailedPreconditionError(
            "the hand-off already completed with another outcome or reference");
      }
      return answer;
    case api::CREATED:
      break;
    default:
      return absl::InternalError(
          absl::StrCat("hand-off ", event.handoff_id, " has state ", StateText(record->state)));
  }

  absl::Status status = tx.Exec(
      "UPDATE handoffs SET state = 'completed', completed_at = ?, outcome = ?, "
      "provider_reference = ? WHERE id = ?",
      {absl::ToUnixSeconds(now), event.outcome, event.provider_reference, event.handoff_id});
  if (!status.ok()) return status;
  status = DeletePersonalData(tx, event.handoff_id, now);
  if (!status.ok()) return status;
  answer.state = api::COMPLETED;
  return answer;
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

absl::StatusOr<std::string> HandoffStore::LoadOrCreateSecret(const std::string& name) {
  std::string secret;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    std::string text;
    absl::Status read = tx.Query("SELECT value FROM secrets WHERE name = ?", {name},
                                 [&](const Row& row) { text = row.Text(0); });
    if (!read.ok()) return read;
    if (text.empty()) {
      text = crypto::RandomToken(32);
      absl::Status written =
          tx.Exec("INSERT INTO secrets(name, value) VALUES (?, ?)", {name, text});
      if (!written.ok()) return written;
    }
    absl::StatusOr<std::string> bytes = crypto::Base64UrlDecode(text);
    if (!bytes.ok()) return absl::DataLossError(absl::StrCat("secret ", name, " is not base64url"));
    secret = *bytes;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return secret;
}

absl::StatusOr<SigningKeyRecord> HandoffStore::ActiveSigningKey(absl::Time now) {
  absl::StatusOr<SigningKeyRecord> key;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    key = ReadActiveKey(tx);
    if (key.status().code() == absl::StatusCode::kNotFound) key = InsertNewKey(tx, now);
    return key.status();
  });
  if (!status.ok()) return status;
  return key;
}

absl::StatusOr<SigningKeyRecord> HandoffStore::RotateSigningKey(absl::Time now,
                                                                absl::Time old_key_unpublish_at,
                                                                std::string* retired_kid) {
  absl::StatusOr<SigningKeyRecord> key;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    retired_kid->clear();
    absl::StatusOr<SigningKeyRecord> old_key = ReadActiveKey(tx);
    if (old_key.ok()) {
      *retired_kid = old_key->kid;
      absl::Status retired = tx.Exec(
          "UPDATE signing_keys SET retired_at = ?, unpublish_at = ? WHERE kid = ?",
          {absl::ToUnixSeconds(now), absl::ToUnixSeconds(old_key_unpublish_at), old_key->kid});
      if (!retired.ok()) return retired;
    } else if (old_key.status().code() != absl::StatusCode::kNotFound) {
      return old_key.status();
    }
    key = InsertNewKey(tx, now);
    return key.status();
  });
  if (!status.ok()) return status;
  return key;
}

absl::StatusOr<std::vector<PublishedKey>> HandoffStore::PublishedKeys(absl::Time now) {
  std::vector<PublishedKey> keys;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT kid, public_key FROM signing_keys WHERE unpublish_at IS NULL OR unpublish_at > ? "
        "ORDER BY created_at DESC",
        {absl::ToUnixSeconds(now)}, [&](const Row& row) {
          absl::StatusOr<std::string> public_key = crypto::Base64UrlDecode(row.Text(1));
          if (public_key.ok()) keys.push_back({row.Text(0), *public_key});
        });
  });
  if (!status.ok()) return status;
  return keys;
}

std::shared_ptr<prometheus::Collectable> HandoffStore::Gauges() {
  StoreGauge open{
      "pp_payments_handoff_open",
      "Hand-offs still holding personal data: neither completed nor expired.", "",
      [](Tx& tx) -> absl::StatusOr<std::vector<std::pair<std::string, double>>> {
        absl::StatusOr<int64_t> count = tx.QueryInt("SELECT COUNT(*) FROM handoff_personal_data");
        if (!count.ok()) return count.status();
        return std::vector<std::pair<std::string, double>>{{"", static_cast<double>(*count)}};
      }};
  return std::make_shared<StoreGaugeCollector>(*store_, std::vector<StoreGauge>{open});
}

absl::StatusOr<int> HandoffStore::DeleteUnpublishedKeys(absl::Time now) {
  int deleted = 0;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status status =
        tx.Exec("DELETE FROM signing_keys WHERE unpublish_at IS NOT NULL AND unpublish_at <= ?",
                {absl::ToUnixSeconds(now)});
    deleted = tx.Changes();
    return status;
  });
  if (!status.ok()) return status;
  return deleted;
}

absl::Status HandoffStore::Insert(const NewHandoff& handoff) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status status = tx.Exec(
        "INSERT INTO handoffs(id, provider_id, provider_name, service, seed_code, owner, state, "
        "created_at, data_expires_at) VALUES (?, ?, ?, ?, ?, ?, 'created', ?, ?)",
        {handoff.id, handoff.provider_id, handoff.provider_name, handoff.service, handoff.seed_code,
         handoff.owner, absl::ToUnixSeconds(handoff.created_at),
         absl::ToUnixSeconds(handoff.data_expires_at)});
    if (!status.ok()) return status;
    return tx.Exec(
        "INSERT INTO handoff_personal_data(handoff_id, pupil_ref, parent_pseudonym) "
        "VALUES (?, ?, ?)",
        {handoff.id, handoff.pupil_ref, handoff.parent_pseudonym});
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

absl::StatusOr<std::vector<HandoffRecord>> HandoffStore::ListByOwner(const std::string& owner,
                                                                     int limit) {
  std::vector<HandoffRecord> records;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(absl::StrCat("SELECT ", kHandoffColumns,
                                 " WHERE h.owner = ? ORDER BY h.created_at DESC, h.id LIMIT ?"),
                    {owner, limit}, [&](const Row& row) { records.push_back(ReadHandoff(row)); });
  });
  if (!status.ok()) return status;
  return records;
}

absl::StatusOr<CallbackAnswer> HandoffStore::ApplyCallback(const CallbackEvent& event,
                                                           absl::Time now) {
  absl::StatusOr<CallbackAnswer> answer;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    // A replay gets the stored response without touching the hand-off.
    std::optional<CallbackAnswer> stored;
    std::string stored_hash;
    absl::Status read = tx.Query(
        "SELECT body_hash, handoff_id, code, message, state FROM callback_events "
        "WHERE provider_id = ? AND event_id = ?",
        {event.provider_id, event.event_id}, [&](const Row& row) {
          stored_hash = row.Text(0);
          stored.emplace();
          stored->handoff_id = row.Text(1);
          stored->status = absl::Status(static_cast<absl::StatusCode>(row.Int(2)), row.Text(3));
          stored->state = StateFromText(row.Text(4));
          stored->replayed = true;
        });
    if (!read.ok()) return read;
    if (stored.has_value()) {
      if (stored_hash != event.body_hash) {
        return absl::FailedPreconditionError(
            "this event id was already used for a callback with another body");
      }
      answer = *stored;
      return absl::OkStatus();
    }

    answer = CompleteFromEvent(tx, event, now);
    if (!answer.ok()) return answer.status();
    return tx.Exec(
        "INSERT INTO callback_events(provider_id, event_id, body_hash, received_at, handoff_id, "
        "code, message, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {event.provider_id, event.event_id, event.body_hash, absl::ToUnixSeconds(now),
         event.handoff_id, static_cast<int>(answer->status.code()),
         std::string(answer->status.message()), StateText(answer->state)});
  });
  if (!status.ok()) return status;
  return answer;
}

absl::StatusOr<int> HandoffStore::Expire(absl::Time now) {
  int expired = 0;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    std::vector<std::string> due;
    absl::Status status =
        tx.Query("SELECT id FROM handoffs WHERE state = 'created' AND data_expires_at <= ?",
                 {absl::ToUnixSeconds(now)}, [&](const Row& row) { due.push_back(row.Text(0)); });
    if (!status.ok()) return status;
    for (const std::string& id : due) {
      status = tx.Exec("UPDATE handoffs SET state = 'expired' WHERE id = ?", {id});
      if (!status.ok()) return status;
      status = DeletePersonalData(tx, id, now);
      if (!status.ok()) return status;
    }
    expired = static_cast<int>(due.size());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return expired;
}

absl::Status HandoffStore::PruneCallbackEvents(absl::Time cutoff) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec("DELETE FROM callback_events WHERE received_at < ?",
                   {absl::ToUnixSeconds(cutoff)});
  });
}

}  // namespace pp::payments
