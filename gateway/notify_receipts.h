// Delivery receipts from a GOV.UK Notify-compatible provider: Notify posts
// a JSON callback for each message it sent, with the bearer token the
// service set up, and the gateway passes its reference and status to the
// notification service.
#ifndef PP_GATEWAY_NOTIFY_RECEIPTS_H_
#define PP_GATEWAY_NOTIFY_RECEIPTS_H_

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "parentsportal/notification.grpc.pb.h"

namespace pp::gateway {

inline constexpr char kNotifyReceiptsPath[] = "/notify/receipts";

// The destination of receipts: the notification service's RecordReceipt.
class ReceiptRecorder {
 public:
  virtual ~ReceiptRecorder() = default;
  // Records `status` for the outbox message `message_id`. Returns the
  // service's error: InvalidArgument, NotFound or Unavailable.
  virtual absl::Status Record(const std::string& message_id, const std::string& status) = 0;
};

// Calls parentsportal.notification.v1.Notifications/RecordReceipt with a
// 2-second deadline.
class GrpcReceiptRecorder : public ReceiptRecorder {
 public:
  explicit GrpcReceiptRecorder(std::shared_ptr<grpc::Channel> notification);
  absl::Status Record(const std::string& message_id, const std::string& status) override;

 private:
  std::unique_ptr<parentsportal::notification::v1::Notifications::Stub> stub_;
};

// Returns the value of the string field `name` at the top level of a flat
// JSON object, or "" when it is missing, not a string, or contains escapes.
std::string JsonStringField(const std::string& json, const std::string& name);

// Registers POST /notify/receipts, which returns 204 once the receipt is
// recorded. A request without `Authorization: Bearer <token>` gets 401, a
// body without "reference" and "status" or with an unknown status 400, an
// unknown reference 404, and a notification outage 503, so that a provider
// that retries tries again later. `recorder` must outlive the server.
void RegisterNotifyReceipts(httplib::Server& server, std::string token, ReceiptRecorder& recorder);

}  // namespace pp::gateway

#endif  // PP_GATEWAY_NOTIFY_RECEIPTS_H_
