#include "notification_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "contact/contact.h"
#include "log/log.h"
#include "utf8.h"

namespace pp::notification {
namespace {

constexpr size_t kMaxKeyLength = 200;
constexpr size_t kMaxSubjectCharacters = 200;
constexpr size_t kMaxEmailBodyBytes = 100 * 1024;
// Three concatenated text-message segments of 153 GSM-7 characters each.
// NOTE: a text with characters outside GSM-7 is sent as UCS-2, whose
// segments take 67 characters, so it may need more segments than this.
constexpr size_t kMaxSmsCharacters = 459;

bool IsBlank(const std::string& text) { return absl::StripAsciiWhitespace(text).empty(); }

// Checks the caller's own subject and body (a message without a kind).
absl::Status ValidateOwnContent(const SendRequest& request) {
  if (request.channel == Channel::kSms && !request.subject.empty()) {
    return absl::InvalidArgumentError("subject must be empty for a text message");
  }
  if (request.channel == Channel::kEmail) {
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
  }
  if (IsBlank(request.body)) return absl::InvalidArgumentError("body is missing");
  if (CountCharacters(request.body) < 0) {
    return absl::InvalidArgumentError("body must be UTF-8 text without control characters");
  }
  return absl::OkStatus();
}

// Fills `message`'s subject and bodies from the request: the caller's own
// text, or the kind's rendered template.
absl::Status FillContent(const SendRequest& request, const Templates* templates,
                         OutboxMessage* message) {
  if (request.kind == MessageKind::kUnspecified) {
    if (absl::Status valid = ValidateOwnContent(request); !valid.ok()) return valid;
    message->subject = std::string(absl::StripAsciiWhitespace(request.subject));
    message->body = request.body;
    return absl::OkStatus();
  }

  if (!request.subject.empty() || !request.body.empty()) {
    return absl::InvalidArgumentError(
        "subject and body must be empty when a kind is set: the template provides them");
  }
  if (templates == nullptr) {
    return absl::InvalidArgumentError("kind is not supported: this server has no templates");
  }
  absl::StatusOr<RenderedMessage> rendered = templates->Render(request.kind, request.template_data);
  if (!rendered.ok()) return rendered.status();
  // A text keeps the email subject for its fallback email.
  message->subject = rendered->subject;
  if (request.channel == Channel::kSms) {
    message->body = rendered->sms;
  } else {
    message->body = rendered->text;
    message->html_body = rendered->html;
  }
  return absl::OkStatus();
}

// Returns the outbox row for a valid request, or InvalidArgument naming the
// field at fault.
absl::StatusOr<OutboxMessage> Validate(const SendRequest& request, const Templates* templates) {
  OutboxMessage message;
  if (request.idempotency_key.empty()) {
    return absl::InvalidArgumentError("idempotency_key is missing: choose one per message");
  }
  if (request.idempotency_key.size() > kMaxKeyLength) {
    return absl::InvalidArgumentError("idempotency_key is longer than 200 characters");
  }
  message.idempotency_key = request.idempotency_key;
  message.channel = request.channel;
  message.kind = request.kind;

  switch (request.channel) {
    case Channel::kEmail: {
      absl::StatusOr<std::string> email = contact::NormaliseEmail(request.to);
      if (!email.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("to: ", email.status().message()));
      }
      message.recipient = *email;
      if (!request.fallback_email.empty()) {
        return absl::InvalidArgumentError("fallback_email is for text messages only");
      }
      break;
    }
    case Channel::kSms: {
      absl::StatusOr<std::string> mobile = contact::NormaliseUkMobile(request.to);
      if (!mobile.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("to: ", mobile.status().message()));
      }
      message.recipient = *mobile;
      if (!request.fallback_email.empty()) {
        absl::StatusOr<std::string> fallback = contact::NormaliseEmail(request.fallback_email);
        if (!fallback.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("fallback_email: ", fallback.status().message()));
        }
        message.fallback_email = *fallback;
      }
      break;
    }
    case Channel::kUnspecified:
    default:
      return absl::InvalidArgumentError("channel is missing: set it to EMAIL or SMS");
  }

  if (absl::Status filled = FillContent(request, templates, &message); !filled.ok()) {
    return filled;
  }
  if (message.channel == Channel::kEmail && message.body.size() > kMaxEmailBodyBytes) {
    return absl::InvalidArgumentError("body is longer than 100 KiB");
  }
  if (message.channel == Channel::kSms &&
      CountCharacters(message.body) > static_cast<int64_t>(kMaxSmsCharacters)) {
    return absl::InvalidArgumentError("body is longer than 459 characters for a text message");
  }
  return message;
}

}  // namespace

MessageStatus StatusOf(const OutboxMessage& message) {
  return MessageStatus{MessageId(message.id), message.channel,  message.kind,
                       message.state,         message.attempts, message.failure_reason,
                       message.created_at,    message.recipient};
}

NotificationService::NotificationService(NotificationStore& store, Clock& clock, Sender& sender,
                                         NotificationMetrics* metrics, DeliveryPolicy policy,
                                         const Templates* templates)
    : store_(store),
      clock_(clock),
      sender_(sender),
      metrics_(metrics),
      policy_(std::move(policy)),
      templates_(templates) {}

absl::StatusOr<SendResult> NotificationService::Send(const SendRequest& request) {
  absl::StatusOr<OutboxMessage> message = Validate(request, templates_);
  if (!message.ok()) return message.status();
  message->created_at = clock_.Now();
  message->next_attempt_at = HoldIfQuiet(message->kind, message->created_at);
  message->account_id = request.account_id;
  absl::StatusOr<std::vector<OutboxMessage>> rows = ApplyPreferences(request, *message);
  if (!rows.ok()) return rows.status();

  SendResult result;
  result.duplicate = true;
  for (const OutboxMessage& row : *rows) {
    absl::StatusOr<bool> queued = Store(row, result.message_id.empty() ? &result : nullptr);
    if (!queued.ok()) return queued.status();
    if (*queued) result.duplicate = false;
  }
  if (!result.duplicate && stored_hook_) stored_hook_();
  return result;
}

absl::StatusOr<bool> NotificationService::Store(const OutboxMessage& message, SendResult* result) {
  absl::StatusOr<NotificationStore::Insertion> stored = store_.InsertOrFind(message);
  if (!stored.ok()) {
    log::Error("outbox_write_failed")
        .Field("channel", ChannelName(message.channel))
        .Field("error", stored.status().message());
    return absl::UnavailableError("storing the message in the outbox failed, so try again later");
  }
  const OutboxMessage& row = stored->message;
  if (result != nullptr) result->message_id = MessageId(row.id);
  if (stored->inserted) {
    if (metrics_ != nullptr) metrics_->CountAccepted(row.channel, row.kind);
    return true;
  }

  // A key seen before queues nothing again, unless its delivery failed.
  if (row.state != DeliveryState::kFailed) {
    if (metrics_ != nullptr) metrics_->CountDuplicate(row.channel);
    return false;
  }
  if (absl::Status requeued = store_.Requeue(row.id, clock_.Now()); !requeued.ok()) {
    log::Error("outbox_write_failed")
        .Field("message_id", MessageId(row.id))
        .Field("error", requeued.message());
    return absl::UnavailableError("queueing the message again failed, so try again later");
  }
  log::Info("failed_message_requeued").Field("message_id", MessageId(row.id));
  return true;
}

absl::StatusOr<MessageStatus> NotificationService::GetMessage(std::string_view message_id) {
  if (message_id.empty()) return absl::InvalidArgumentError("message_id is missing");
  absl::StatusOr<int64_t> id = ParseMessageId(message_id);
  if (!id.ok()) return id.status();
  absl::StatusOr<OutboxMessage> message = store_.Find(*id);
  if (!message.ok()) return message.status();
  return StatusOf(*message);
}

absl::StatusOr<MessageStatus> NotificationService::RecordReceipt(std::string_view message_id,
                                                                 std::string_view status) {
  if (message_id.empty()) return absl::InvalidArgumentError("message_id is missing");
  absl::StatusOr<int64_t> id = ParseMessageId(message_id);
  if (!id.ok()) return id.status();
  absl::StatusOr<OutboxMessage> message = store_.Find(*id);
  if (!message.ok()) return message.status();

  absl::Time now = clock_.Now();
  absl::Status recorded;
  if (status == "delivered") {
    recorded = store_.MarkSent(*id, now);
  } else if (status == "permanent-failure" || status == "temporary-failure") {
    FailPermanently(*message, absl::StrCat("the provider reported ", std::string(status)));
  } else if (status == "technical-failure") {
    recorded = store_.MarkTemporaryFailure(*id, "the provider reported technical-failure", now,
                                           now + RetryDelay(message->attempts));
  } else {
    return absl::InvalidArgumentError(
        "status must be delivered, permanent-failure, temporary-failure or technical-failure");
  }
  if (!recorded.ok()) return recorded;
  if (metrics_ != nullptr) metrics_->CountReceipt(std::string(status));
  log::Info("receipt_recorded")
      .Field("message_id", MessageId(*id))
      .Field("status", std::string(status));
  return GetMessage(message_id);
}

}  // namespace pp::notification
