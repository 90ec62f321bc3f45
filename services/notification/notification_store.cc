#include "notification_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace pp::notification {
namespace {

const std::vector<std::string> kMigrations = {
    R"sql(
    CREATE TABLE outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      idempotency_key TEXT NOT NULL UNIQUE,
      channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
      recipient TEXT NOT NULL,
      subject TEXT NOT NULL,
      body TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
      failure_reason TEXT NOT NULL DEFAULT '',
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX outbox_by_state ON outbox(state, id);
    )sql",
};

constexpr const char* kColumns =
    "id, idempotency_key, channel, recipient, subject, body, state, failure_reason, created_at";

DeliveryState StateFromName(const std::string& name) {
  if (name == "sent") return DeliveryState::kSent;
  if (name == "failed") return DeliveryState::kFailed;
  return DeliveryState::kQueued;
}

OutboxMessage FromRow(const Row& row) {
  OutboxMessage message;
  message.id = row.Int(0);
  message.idempotency_key = row.Text(1);
  message.channel = row.Text(2) == "sms" ? Channel::kSms : Channel::kEmail;
  message.recipient = row.Text(3);
  message.subject = row.Text(4);
  message.body = row.Text(5);
  message.state = StateFromName(row.Text(6));
  message.failure_reason = row.Text(7);
  message.created_at = absl::FromUnixSeconds(row.Int(8));
  return message;
}

}  // namespace

std::string MessageId(int64_t id) { return absl::StrFormat("msg-%012d", id); }

absl::StatusOr<int64_t> ParseMessageId(std::string_view message_id) {
  absl::string_view text(message_id.data(), message_id.size());
  int64_t id = 0;
  if (!absl::ConsumePrefix(&text, "msg-") || text.size() != 12 || !absl::SimpleAtoi(text, &id) ||
      id <= 0) {
    return absl::NotFoundError(
        absl::StrCat("no message with id ", std::string(message_id.substr(0, 40))));
  }
  return id;
}

const char* ChannelName(Channel channel) {
  switch (channel) {
    case Channel::kEmail:
      return "email";
    case Channel::kSms:
      return "sms";
    case Channel::kUnspecified:
      break;
  }
  return "unspecified";
}

absl::StatusOr<std::unique_ptr<NotificationStore>> NotificationStore::Open(
    const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the data folder ", data_dir, ": ", error.message()));
  }
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(data_dir + "/notification.db", kMigrations);
  if (!store.ok()) return store.status();
  return std::unique_ptr<NotificationStore>(new NotificationStore(std::move(*store)));
}

absl::StatusOr<NotificationStore::Insertion> NotificationStore::InsertOrFind(
    const OutboxMessage& message) {
  Insertion result;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    // The key is looked up and inserted in one write transaction, so two
    // calls with the same key cannot both insert.
    bool found = false;
    absl::Status query =
        tx.Query(absl::StrCat("SELECT ", kColumns, " FROM outbox WHERE idempotency_key = ?"),
                 {message.idempotency_key}, [&](const Row& row) {
                   result.message = FromRow(row);
                   found = true;
                 });
    if (!query.ok() || found) return query;

    int64_t now = absl::ToUnixSeconds(message.created_at);
    absl::Status insert = tx.Exec(
        "INSERT INTO outbox(idempotency_key, channel, recipient, subject, body, state, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
        {message.idempotency_key, ChannelName(message.channel), message.recipient, message.subject,
         message.body, now, now});
    if (!insert.ok()) return insert;
    result.message = message;
    result.message.id = tx.LastInsertId();
    result.message.state = DeliveryState::kQueued;
    result.inserted = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<OutboxMessage> NotificationStore::Find(int64_t id) {
  std::optional<OutboxMessage> message;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(absl::StrCat("SELECT ", kColumns, " FROM outbox WHERE id = ?"), {id},
                    [&](const Row& row) { message = FromRow(row); });
  });
  if (!status.ok()) return status;
  if (!message.has_value()) return absl::NotFoundError(absl::StrCat("no message ", MessageId(id)));
  return *message;
}

absl::StatusOr<std::vector<OutboxMessage>> NotificationStore::ListQueued() {
  std::vector<OutboxMessage> messages;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        absl::StrCat("SELECT ", kColumns, " FROM outbox WHERE state = 'queued' ORDER BY id"), {},
        [&](const Row& row) { messages.push_back(FromRow(row)); });
  });
  if (!status.ok()) return status;
  return messages;
}

absl::Status NotificationStore::MarkSent(int64_t id, absl::Time sent_at) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec(
        "UPDATE outbox SET state = 'sent', body = '', failure_reason = '', "
        "attempts = attempts + 1, updated_at = ? WHERE id = ?",
        {absl::ToUnixSeconds(sent_at), id});
  });
}

absl::Status NotificationStore::MarkFailed(int64_t id, std::string_view reason,
                                           absl::Time failed_at) {
  return store_->Write([&](Tx& tx) {
    return tx.Exec(
        "UPDATE outbox SET state = 'failed', failure_reason = ?, attempts = attempts + 1, "
        "updated_at = ? WHERE id = ?",
        {std::string(reason), absl::ToUnixSeconds(failed_at), id});
  });
}

}  // namespace pp::notification
