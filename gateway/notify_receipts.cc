#include "gateway/notify_receipts.h"

#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "log/log.h"
#include "server/grpc_status.h"
#include "server/server.h"

namespace pp::gateway {

namespace notification = parentsportal::notification::v1;

GrpcReceiptRecorder::GrpcReceiptRecorder(std::shared_ptr<grpc::Channel> channel)
    : stub_(notification::Notifications::NewStub(channel)) {}

absl::Status GrpcReceiptRecorder::Record(const std::string& message_id, const std::string& status) {
  notification::RecordReceiptRequest request;
  request.set_message_id(message_id);
  request.set_status(status);
  notification::Message message;
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  grpc::Status result = stub_->RecordReceipt(&context, request, &message);
  if (result.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(result.error_code()), result.error_message());
}

std::string JsonStringField(const std::string& json, const std::string& name) {
  std::string key = absl::StrCat("\"", name, "\"");
  size_t at = json.find(key);
  if (at == std::string::npos) return "";
  at = json.find_first_not_of(" \t\r\n", at + key.size());
  if (at == std::string::npos || json[at] != ':') return "";
  at = json.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string::npos || json[at] != '"') return "";
  size_t end = json.find('"', at + 1);
  if (end == std::string::npos) return "";
  std::string value = json.substr(at + 1, end - at - 1);
  return value.find('\\') == std::string::npos ? value : "";
}

void RegisterNotifyReceipts(httplib::Server& server, std::string token, ReceiptRecorder& recorder) {
  server.Post(
      kNotifyReceiptsPath, [token = std::move(token), &recorder](const httplib::Request& request,
                                                                 httplib::Response& response) {
        std::string expected = absl::StrCat("Bearer ", token);
        if (!crypto::ConstantTimeEquals(request.get_header_value("Authorization"), expected)) {
          response.status = 401;
          return;
        }
        std::string reference = JsonStringField(request.body, "reference");
        std::string status = JsonStringField(request.body, "status");
        if (reference.empty() || status.empty()) {
          response.status = 400;
          response.set_content("reference and status are required\n", "text/plain");
          return;
        }

        absl::Status recorded = recorder.Record(reference, status);
        switch (recorded.code()) {
          case absl::StatusCode::kOk:
            response.status = 204;
            return;
          case absl::StatusCode::kInvalidArgument:
            response.status = 400;
            response.set_content("the status is not a known receipt status\n", "text/plain");
            return;
          case absl::StatusCode::kNotFound:
            response.status = 404;
            return;
          default:
            log::Warning("receipt_not_recorded")
                .Field("reference", reference.substr(0, 40))
                .Field("error", recorded.message());
            response.status = 503;
            return;
        }
      });
}

}  // namespace pp::gateway
