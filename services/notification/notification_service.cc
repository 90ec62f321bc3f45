#include "notification_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "contact/contact.h"
#include "log/log.h"

namespace pp::notification {
namespace {

constexpr size_t kMaxKeyLength = 200;
constexpr size_t kMaxSubjectCharacters = 200;
constexpr size_t kMaxEmailBodyBytes = 100 * 1024;
// Three concatenated text-message segments of 153 GSM-7 characters each.
// NOTE: a text with characters outside GSM-7 is sent as UCS-2, whose
// segments take 67 characters, so it may need more segments than this.
constexpr size_t kMaxSmsCharacters = 459;

// Returns the number of characters in `text`, or -1 when it is not valid
// UTF-8 or contains a control character other than line breaks and tabs.
int64_t CountCharacters(const std::string& text) {
  int64_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80           ? 1
                    : (lead >> 5) == 0x6  ? 2
                    : (lead >> 4) == 0xE  ? 3
                    : (lead >> 3) == 0x1E ? 4
                                          : 0;
    if (length == 0 || i + length > text.size()) return -1;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return -1;
    }
    if (length == 1 && (lead < ' ' || lead == 0x7f) && lead != '\n' && lead != '\r' &&
        lead != '\t') {
      return -1;
    }
    i += length;
    ++count;
  }
  return count;
}

bool IsBlank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }

// Returns the outbox row for a valid request, or InvalidArgument naming the
// field at fault.
absl::StatusOr<OutboxMessage> Validate(const SendRequest& request) {
  OutboxMessage message;
  if (request.idempotency_key.empty()) {
    return absl::InvalidArgumentError("idempotency_key is missing: choose one per message");
  }
  if (request.idempotency_key.size() > kMaxKeyLength) {
    return absl::InvalidArgumentError("idempotency_key is longer than 200 characters");
  }
  message.idempotency_key = request.idempotency_key;
  message.channel = request.channel;

  switch (request.channel) {
    case Channel::kEmail: {
      absl::StatusOr<std::string> email = contact::NormaliseEmail(request.to);
      if (!email.ok())
        return absl::InvalidArgumentError(absl::StrCat("to: ", email.status().message()));
      message.recipient = *email;
      if (IsBlank(request.subject)) {
        return absl::InvalidArgumentError("subject is missing: an email needs one");
      }
      int64_t characters = CountCharacters(request.subject);
      if (characters < 0 || request.subject.find_first_of("\r\n\t") != std::string::npos) {
        return absl::InvalidArgumentError(
            "subject must be one line of UTF-8 text without control characters");
      }
      if (characters > static_cast<int64_t>(kMaxSubjectCharacters)) {
        return absl::InvalidArgumentError("subject is longer than 200 characters");
      }
      message.subject = std::string(absl::StripAsciiWhitespace(request.subject));
      if (request.body.size() > kMaxEmailBodyBytes) {
        return absl::InvalidArgumentError("body is longer than 100 KiB");
      }
      break;
    }
    case Channel::kSms: {
      absl::StatusOr<std::string> mobile = contact::NormaliseUkMobile(request.to);
      if (!mobile.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("to: ", mobile.status().message()));
      }
      message.recipient = *mobile;
      if (!request.subject.empty()) {
        return absl::InvalidArgumentError("subject must be empty for a text message");
      }
      if (CountCharacters(request.body) > static_cast<int64_t>(kMaxSmsCharacters)) {
        return absl::InvalidArgumentError("body is longer than 459 characters for a text message");
      }
      break;
    }
    case Channel::kUnspecified:
    default:
      return absl::InvalidArgumentError("channel is missing: set it to EMAIL or SMS");
  }

  if (IsBlank(request.body)) return absl::InvalidArgumentError("body is missing");
  if (CountCharacters(request.body) < 0) {
    return absl::InvalidArgumentError("body must be UTF-8 text without control characters");
  }
  message.body = request.body;
  return message;
}

}  // namespace

NotificationService::NotificationService(NotificationStore& store, Clock& clock, Sender& sender,
                                         NotificationMetrics* metrics)
    : store_(store), clock_(clock), sender_(sender), metrics_(metrics) {}

absl::StatusOr<SendResult> NotificationService::Send(const SendRequest& request) {
  absl::StatusOr<OutboxMessage> message = Validate(request);
  if (!message.ok()) return message.status();
  message->created_at = clock_.Now();

  absl::StatusOr<NotificationStore::Insertion> stored = store_.InsertOrFind(*message);
  if (!stored.ok()) {
    log::Error("outbox_write_failed")
        .Field("channel", ChannelName(message->channel))
        .Field("error", stored.status().message());
    return absl::UnavailableError("storing the message in the outbox failed, so try again later");
  }
  const OutboxMessage& row = stored->message;
  SendResult result{MessageId(row.id), !stored->inserted};

  // A key seen before sends nothing again, unless its delivery failed.
  if (!stored->inserted && row.state != DeliveryState::kFailed) {
    if (metrics_ != nullptr) metrics_->CountDuplicate(row.channel);
    return result;
  }
  if (metrics_ != nullptr && stored->inserted) metrics_->CountAccepted(row.channel);

  if (absl::Status delivered = Deliver(row); !delivered.ok()) {
    return absl::UnavailableError(absl::StrCat(
        "message ", result.message_id,
        " is stored but its delivery failed, so send it again with the same idempotency key"));
  }
  result.duplicate = false;
  return result;
}

absl::Status NotificationService::Deliver(const OutboxMessage& message) {
  std::string message_id = MessageId(message.id);
  absl::Status delivered = sender_.Deliver(message);
  if (metrics_ != nullptr) metrics_->CountDelivery(message.channel, delivered.ok());

  if (!delivered.ok()) {
    log::Error("delivery_failed")
        .Field("message_id", message_id)
        .Field("channel", ChannelName(message.channel))
        .Field("error", delivered.message());
    absl::Status marked =
        store_.MarkFailed(message.id, std::string(delivered.message()), clock_.Now());
    if (!marked.ok()) {
      log::Error("outbox_update_failed")
          .Field("message_id", message_id)
          .Field("error", marked.message());
    }
    return delivered;
  }

  if (absl::Status marked = store_.MarkSent(message.id, clock_.Now()); !marked.ok()) {
    // The file exists, so the message is delivered. It stays QUEUED and is
    // written again, harmlessly, at the next start.
    log::Error("outbox_update_failed")
        .Field("message_id", message_id)
        .Field("error", marked.message());
  }
  return absl::OkStatus();
}

absl::StatusOr<MessageStatus> NotificationService::GetMessage(std::string_view message_id) {
  if (message_id.empty()) return absl::InvalidArgumentError("message_id is missing");
  absl::StatusOr<int64_t> id = ParseMessageId(message_id);
  if (!id.ok()) return id.status();
  absl::StatusOr<OutboxMessage> message = store_.Find(*id);
  if (!message.ok()) return message.status();
  return MessageStatus{MessageId(message->id), message->channel, message->state,
                       message->created_at};
}

absl::Status NotificationService::DeliverQueued() {
  absl::StatusOr<std::vector<OutboxMessage>> queued = store_.ListQueued();
  if (!queued.ok()) return queued.status();
  for (const OutboxMessage& message : *queued) {
    absl::Status delivered = Deliver(message);
    log::Info("queued_message_delivered")
        .Field("message_id", MessageId(message.id))
        .Field("ok", delivered.ok() ? "true" : "false");
  }
  return absl::OkStatus();
}

}  // namespace pp::notification
