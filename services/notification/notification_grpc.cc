#include "notification_grpc.h"

#include "absl/time/time.h"
#include "server/server.h"

namespace pp::notification {

namespace v1 = parentsportal::notification::v1;

namespace {

void ToProto(const MessageStatus& message, v1::Message* response) {
  response->set_message_id(message.message_id);
  response->set_channel(static_cast<v1::Channel>(message.channel));
  response->set_kind(static_cast<v1::MessageKind>(message.kind));
  response->set_state(static_cast<v1::DeliveryState>(message.state));
  response->set_attempts(message.attempts);
  response->set_failure_reason(message.failure_reason);
  response->set_created_at(
      absl::FormatTime(absl::RFC3339_sec, message.created_at, absl::UTCTimeZone()));
  response->set_recipient(message.recipient);
}

void ToProto(const std::string& account_id, const std::map<MessageKind, ChannelChoice>& choices,
             v1::Preferences* response) {
  response->set_account_id(account_id);
  for (const auto& [kind, choice] : choices) {
    v1::KindPreference* preference = response->add_kinds();
    preference->set_kind(static_cast<v1::MessageKind>(kind));
    preference->set_email(choice.email);
    preference->set_sms(choice.sms);
  }
}

bool IsKnownKind(int kind) { return kind >= 0 && kind <= v1::MessageKind_MAX; }
static_assert(static_cast<int>(kLastMessageKind) == v1::MessageKind_MAX,
              "MessageKind in notification_store.h must list every kind of notification.proto");

}  // namespace

grpc::ServerUnaryReactor* NotificationsGrpc::Send(grpc::CallbackServerContext* context,
                                                  const v1::SendRequest* request,
                                                  v1::SendResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    SendRequest send;
    switch (request->channel()) {
      case v1::EMAIL:
        send.channel = Channel::kEmail;
        break;
      case v1::SMS:
        send.channel = Channel::kSms;
        break;
      default:
        send.channel = Channel::kUnspecified;
        break;
    }
    send.to = request->to();
    send.subject = request->subject();
    send.body = request->body();
    send.idempotency_key = request->idempotency_key();
    if (!IsKnownKind(request->kind())) {
      return absl::InvalidArgumentError("kind is not a known message kind");
    }
    send.kind = static_cast<MessageKind>(request->kind());
    send.template_data.insert(request->template_data().begin(), request->template_data().end());
    send.fallback_email = request->fallback_email();
    send.account_id = request->account_id();
    send.mobile = request->mobile();

    absl::StatusOr<SendResult> result = service_.Send(send);
    if (!result.ok()) return result.status();
    response->set_message_id(result->message_id);
    response->set_duplicate(result->duplicate);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsGrpc::GetMessage(grpc::CallbackServerContext* context,
                                                        const v1::GetMessageRequest* request,
                                                        v1::Message* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<MessageStatus> message = service_.GetMessage(request->message_id());
    if (!message.ok()) return message.status();
    ToProto(*message, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsGrpc::RecordReceipt(grpc::CallbackServerContext* context,
                                                           const v1::RecordReceiptRequest* request,
                                                           v1::Message* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<MessageStatus> message =
        service_.RecordReceipt(request->message_id(), request->status());
    if (!message.ok()) return message.status();
    ToProto(*message, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsGrpc::ListMessages(grpc::CallbackServerContext* context,
                                                          const v1::ListMessagesRequest* request,
                                                          v1::ListMessagesResponse* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::vector<MessageStatus>> messages =
        service_.ListMessages(request->account_id(), request->limit());
    if (!messages.ok()) return messages.status();
    for (const MessageStatus& message : *messages) ToProto(message, response->add_messages());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsGrpc::GetPreferences(
    grpc::CallbackServerContext* context, const v1::GetPreferencesRequest* request,
    v1::Preferences* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    auto choices = service_.GetPreferences(request->account_id());
    if (!choices.ok()) return choices.status();
    ToProto(request->account_id(), *choices, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationsGrpc::SetPreferences(grpc::CallbackServerContext* context,
                                                            const v1::Preferences* request,
                                                            v1::Preferences* response) {
  return RunOnPool(context, pool_, [this, request, response]() -> absl::Status {
    std::map<MessageKind, ChannelChoice> choices;
    for (const v1::KindPreference& preference : request->kinds()) {
      if (!IsKnownKind(preference.kind())) {
        return absl::InvalidArgumentError("kinds: a kind is not a known message kind");
      }
      choices[static_cast<MessageKind>(preference.kind())] = {preference.email(), preference.sms()};
    }
    if (absl::Status stored = service_.SetPreferences(request->account_id(), choices);
        !stored.ok()) {
      return stored;
    }
    auto current = service_.GetPreferences(request->account_id());
    if (!current.ok()) return current.status();
    ToProto(request->account_id(), *current, response);
    return absl::OkStatus();
  });
}

}  // namespace pp::notification
