#include "server/grpc_status.h"

#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "parentsportal/status.pb.h"

namespace pp {
namespace {

namespace status_proto = parentsportal::status::v1;

constexpr char kRetryDelayType[] = "type.googleapis.com/parentsportal.status.v1.RetryDelay";

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  std::string message(status.message());
  status_proto::StatusDetails details;
  status.ForEachPayload([&details](absl::string_view type_url, const absl::Cord& value) {
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(value));
  });
  if (details.details().empty()) return grpc::Status(code, message);
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  return grpc::Status(code, message, details.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status converted(static_cast<absl::StatusCode>(status.error_code()),
                         status.error_message());
  status_proto::StatusDetails details;
  // Details that do not parse are left out, since the code and message
  // still describe the failure.
  if (!status.error_details().empty() && details.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& any : details.details()) {
      converted.SetPayload(any.type_url(), absl::Cord(any.value()));
    }
  }
  return converted;
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  status_proto::RetryDelay retry;
  const int64_t seconds = absl::IDivDuration(delay, absl::Seconds(1), &delay);
  retry.mutable_retry_delay()->set_seconds(seconds);
  retry.mutable_retry_delay()->set_nanos(
      static_cast<int32_t>(absl::IDivDuration(delay, absl::Nanoseconds(1), &delay)));
  status.SetPayload(kRetryDelayType, absl::Cord(retry.SerializeAsString()));
  return status;
}

std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryDelayType);
  if (!payload.has_value()) return std::nullopt;
  status_proto::RetryDelay retry;
  if (!retry.ParseFromString(std::string(*payload))) return std::nullopt;
  return absl::Seconds(retry.retry_delay().seconds()) +
         absl::Nanoseconds(retry.retry_delay().nanos());
}

}  // namespace pp
