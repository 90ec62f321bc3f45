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
    // Version 2: the sending and temporary_failure states, retry times,
    // message kinds, HTML bodies and fallback addresses. SQLite cannot
    // change a CHECK constraint in place, so the table is rebuilt.
    R"sql(
    CREATE TABLE outbox_v2 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      idempotency_key TEXT NOT NULL UNIQUE,
      kind TEXT NOT NULL DEFAULT 'unspecified',
      channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
      recipient TEXT NOT NULL,
      subject TEXT NOT NULL,
      body TEXT NOT NULL,
      html_body TEXT NOT NULL DEFAULT '',
      fallback_email TEXT NOT NULL DEFAULT '',
      state TEXT NOT NULL
        CHECK (state IN ('queued', 'sending', 'sent', 'temporary_failure', 'failed')),
      failure_reason TEXT NOT NULL DEFAULT '',
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      next_attempt_at INTEGER NOT NULL
    );
    INSERT INTO outbox_v2(id, idempotency_key, channel, recipient, subject, body, state,
                          failure_reason, attempts, created_at, updated_at, next_attempt_at)
      SELECT id, idempotency_key, channel, recipient, subject, body, state, failure_reason,
             attempts, created_at, updated_at, created_at FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v2 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox(state, next_attempt_at, id);
    )sql",
    // Version 3: each message's account, for the parent's history, and
    // parents' channel choices per message kind.
    R"sql(
    ALTER TABLE outbox ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
    CREATE INDEX outbox_by_account ON outbox(account_id, id);
    CREATE TABLE preferences (
      account_id TEXT NOT NULL,
      kind TEXT NOT NULL,
      email INTEGER NOT NULL,
      sms INTEGER NOT NULL,
      PRIMARY KEY (account_id, kind)
    );
    )sql",
    // Version 4: when each message first became due, which is its creation
    // or the end of the quiet hours that held it. Messages not yet tried are
    // due at their next attempt. The stored rows cannot show whether the
    // others were held, so they are taken as due when created.
    R"sql(
    ALTER TABLE outbox ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
    UPDATE outbox SET due_at = CASE WHEN attempts = 0 THEN next_attempt_at ELSE created_at END;
    )sql",
};

constexpr const char* kColumns =
    "id, idempotency_key, kind, channel, recipient, subject, body, html_body, fallback_email, "
    "state, failure_reason, attempts, created_at, next_attempt_at, account_id";

constexpr const char* kWaitingStates = "('queued', 'temporary_failure')";

const char* StateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kQueued:
      return "queued";
    case DeliveryState::kSending:
      return "sending";
    case DeliveryState::kSent:
      return "sent";
    case DeliveryState::kTemporaryFailure:
      return "temporary_failure";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "queued";
}

DeliveryState StateFromName(const std::string& name) {
  for (DeliveryState state : {DeliveryState::kSending, DeliveryState::kSent,
                              DeliveryState::kTemporaryFailure, DeliveryState::kFailed}) {
    if (name == StateName(state)) return state;
  }
  return DeliveryState::kQueued;
}

MessageKind KindFromName(const std::string& name) {
  for (int k = 1; k <= static_cast<int>(kLastMessageKind); ++k) {
    if (name == KindName(static_cast<MessageKind>(k))) return static_cast<MessageKind>(k);
  }
  return MessageKind::kUnspecified;
}

OutboxMessage FromRow(const Row& row) {
  OutboxMessage message;
  message.id = row.Int(0);
  message.idempotency_key = row.Text(1);
  message.kind = KindFromName(row.Text(2));
  message.channel = row.Text(3) == "sms" ? Channel::kSms : Channel::kEmail;
  message.recipient = row.Text(4);
  message.subject = row.Text(5);
  message.body = row.Text(6);
  message.html_body = row.Text(7);
  message.fallback_email = row.Text(8);
  message.state = StateFromName(row.Text(9));
  message.failure_reason = row.Text(10);
  message.attempts = static_cast<int>(row.Int(11));
  message.created_at = absl::FromUnixSeconds(row.Int(12));
  message.next_attempt_at = absl::FromUnixSeconds(row.Int(13));
  message.account_id = row.Text(14);
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

const char* KindName(MessageKind kind) {
  switch (kind) {
    case MessageKind::kOneTimePassword:
      return "one_time_password";
    case MessageKind::kUsernameReminder:
      return "username_reminder";
    case MessageKind::kSecurityCode:
      return "security_code";
    case MessageKind::kPasswordChanged:
      return "password_changed";
    case MessageKind::kLinkRequested:
      return "link_requested";
    case MessageKind::kLinkApproved:
      return "link_approved";
    case MessageKind::kLinkRejected:
      return "link_rejected";
    case MessageKind::kSchoolReminder:
      return "school_reminder";
    case MessageKind::kPasswordReset:
      return "password_reset";
    case MessageKind::kRegistrationAttempt:
      return "registration_attempt";
    case MessageKind::kLinkEnded:
      return "link_ended";
    case MessageKind::kUnspecified:
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
        "INSERT INTO outbox(idempotency_key, kind, channel, recipient, subject, body, html_body, "
        "fallback_email, state, created_at, updated_at, next_attempt_at, account_id, due_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
        {message.idempotency_key, KindName(message.kind), ChannelName(message.channel),
         message.recipient, message.subject, message.body, message.html_body,
         message.fallback_email, now, now, absl::ToUnixSeconds(message.next_attempt_at),
         message.account_id, absl::ToUnixSeconds(message.next_attempt_at)});
    if (!insert.ok()) return insert;
    result.message = message;
    result.message.id = tx.LastInsertId();
    result.message.state = DeliveryState::kQueued;
    result.message.attempts = 0;
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

absl::StatusOr<std::vector<OutboxMessage>> NotificationStore::ClaimDue(absl::Time now, int limit) {
  std::vector<OutboxMessage> claimed;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    claimed.clear();
    int64_t now_seconds = absl::ToUnixSeconds(now);
    absl::Status query =
        tx.Query(absl::StrCat("SELECT ", kColumns, " FROM outbox WHERE state IN ", kWaitingStates,
                              " AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"),
                 {now_seconds, limit}, [&](const Row& row) { claimed.push_back(FromRow(row)); });
    if (!query.ok()) return query;

    for (OutboxMessage& message : claimed) {
      absl::Status update = tx.Exec(
          "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
          "WHERE id = ?",
          {now_seconds, message.id});
      if (!update.ok()) return update;
      message.state = DeliveryState::kSending;
      ++message.attempts;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return claimed;
}

absl::StatusOr<int> NotificationStore::RequeueInterrupted(absl::Time now) {
  int requeued = 0;
  absl::Status status = store_->Write([&](Tx& tx) -> absl::Status {
    int64_t now_seconds = absl::ToUnixSeconds(now);
    absl::Status update = tx.Exec(
        "UPDATE outbox SET state = 'queued', next_attempt_at = ?, updated_at = ? "
        "WHERE state = 'sending'",
        {now_seconds, now_seconds});
    requeued = tx.Changes();
    return update;
  });
  if (!status.ok()) return status;
  return requeued;
}

absl::Status NotificationStore::Requeue(int64_t id, absl::Time now) {
  int64_t now_seconds = absl::ToUnixSeconds(now);
  return SetState(id,
                  "UPDATE outbox SET state = 'queued', next_attempt_at = ?, updated_at = ? "
                  "WHERE id = ? AND state = 'failed'",
                  {now_seconds, now_seconds, id});
}

absl::Status NotificationStore::MarkSent(int64_t id, absl::Time sent_at, bool keep_body) {
  if (keep_body) {
    return SetState(
        id, "UPDATE outbox SET state = 'sent', failure_reason = '', updated_at = ? WHERE id = ?",
        {absl::ToUnixSeconds(sent_at), id});
  }
  return SetState(id,
                  "UPDATE outbox SET state = 'sent', body = '', html_body = '', "
                  "failure_reason = '', updated_at = ? WHERE id = ?",
                  {absl::ToUnixSeconds(sent_at), id});
}

absl::Status NotificationStore::MarkTemporaryFailure(int64_t id, std::string_view reason,
                                                     absl::Time failed_at, absl::Time retry_at) {
  return SetState(
      id,
      "UPDATE outbox SET state = 'temporary_failure', failure_reason = ?, "
      "updated_at = ?, next_attempt_at = ? WHERE id = ?",
      {std::string(reason), absl::ToUnixSeconds(failed_at), absl::ToUnixSeconds(retry_at), id});
}

absl::Status NotificationStore::MarkFailed(int64_t id, std::string_view reason,
                                           absl::Time failed_at) {
  return SetState(
      id, "UPDATE outbox SET state = 'failed', failure_reason = ?, updated_at = ? WHERE id = ?",
      {std::string(reason), absl::ToUnixSeconds(failed_at), id});
}

absl::Status NotificationStore::SetState(int64_t id, std::string_view sql,
                                         const std::vector<SqlValue>& params) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status update = tx.Exec(sql, params);
    if (!update.ok()) return update;
    if (tx.Changes() == 0) return absl::NotFoundError(absl::StrCat("no message ", MessageId(id)));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<OutboxMessage>> NotificationStore::ListForAccount(
    const std::string& account_id, int limit) {
  std::vector<OutboxMessage> messages;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(absl::StrCat("SELECT ", kColumns,
                                 " FROM outbox WHERE account_id = ? ORDER BY id DESC LIMIT ?"),
                    {account_id, limit}, [&](const Row& row) { messages.push_back(FromRow(row)); });
  });
  if (!status.ok()) return status;
  return messages;
}

absl::StatusOr<std::map<MessageKind, ChannelChoice>> NotificationStore::GetPreferences(
    const std::string& account_id) {
  std::map<MessageKind, ChannelChoice> choices;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query("SELECT kind, email, sms FROM preferences WHERE account_id = ?", {account_id},
                    [&](const Row& row) {
                      choices[KindFromName(row.Text(0))] = {row.Int(1) != 0, row.Int(2) != 0};
                    });
  });
  if (!status.ok()) return status;
  return choices;
}

absl::Status NotificationStore::SetPreferences(
    const std::string& account_id, const std::map<MessageKind, ChannelChoice>& choices) {
  return store_->Write([&](Tx& tx) -> absl::Status {
    absl::Status cleared = tx.Exec("DELETE FROM preferences WHERE account_id = ?", {account_id});
    if (!cleared.ok()) return cleared;
    for (const auto& [kind, choice] : choices) {
      absl::Status inserted =
          tx.Exec("INSERT INTO preferences(account_id, kind, email, sms) VALUES (?, ?, ?, ?)",
                  {account_id, KindName(kind), choice.email, choice.sms});
      if (!inserted.ok()) return inserted;
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<absl::Time>> NotificationStore::NextDueAt() {
  std::optional<absl::Time> due;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        absl::StrCat("SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ", kWaitingStates), {},
        [&](const Row& row) {
          if (!row.IsNull(0)) due = absl::FromUnixSeconds(row.Int(0));
        });
  });
  if (!status.ok()) return status;
  return due;
}

absl::StatusOr<QueueStats> NotificationStore::Stats() {
  QueueStats stats;
  absl::Status status = store_->Read([&](Tx& tx) {
    return tx.Query(
        "SELECT COUNT(*), MIN(MAX(created_at, due_at)) FROM outbox "
        "WHERE state IN ('queued', 'sending', 'temporary_failure')",
        {}, [&](const Row& row) {
          stats.depth = row.Int(0);
          if (!row.IsNull(1)) stats.oldest_due_at = absl::FromUnixSeconds(row.Int(1));
        });
  });
  if (!status.ok()) return status;
  return stats;
}

}  // namespace pp::notification
