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
}

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
    if (request->kind() < 0 || request->kind() > v1::SCHOOL_REMINDER) {
      return absl::InvalidArgumentError("kind is not a known message kind");
    }
    send.kind = static_cast<MessageKind>(request->kind());
    send.template_data.insert(request->template_data().begin(), request->template_data().end());
    send.fallback_email = request->fallback_email();

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

}  // namespace pp::notification
