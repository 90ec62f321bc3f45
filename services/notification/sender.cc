#include "sender.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "email_format.h"
#include "files/files.h"

namespace pp::notification {

bool IsTemporaryFailure(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

FileSender::FileSender(std::string outbox_dir, std::string from)
    : outbox_dir_(std::move(outbox_dir)), from_(std::move(from)) {}

absl::Status FileSender::Deliver(const OutboxMessage& message) {
  std::error_code error;
  std::filesystem::create_directories(outbox_dir_, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("creating the outbox folder ", outbox_dir_, " failed: ", error.message()));
  }

  std::string path = absl::StrCat(outbox_dir_, "/", MessageId(message.id));
  if (message.channel == Channel::kSms) {
    return WriteFileAtomically(path + ".sms",
                               absl::StrCat("To: ", message.recipient, "\n\n", message.body, "\n"));
  }
  return WriteFileAtomically(path + ".eml", FormatEmail(message, from_));
}

}  // namespace pp::notification
