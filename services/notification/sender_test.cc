#include "sender.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "testing/temp_dir.h"

namespace pp::notification {
namespace {

const char kFrom[] = "Parents Portal <no-reply@parentsportal.localhost>";

OutboxMessage Email() {
  OutboxMessage message;
  message.id = 7;
  message.channel = Channel::kEmail;
  message.recipient = "parent@example.com";
  message.subject = "Your Parents Portal account";
  message.body = "One-time password: ABCDEFGHJKLM";
  message.created_at = absl::FromUnixSeconds(1796400000);
  return message;
}

}  // namespace

TEST_CASE("file sender writes an email file") {
  pp::TempDir dir;
  FileSender sender(dir.Path("outbox"), kFrom);
  REQUIRE(sender.Deliver(Email()).ok());
  std::string text = pp::ReadFile(dir.Path("outbox/msg-000000000007.eml"));
  CHECK(absl::StartsWith(text, "From: Parents Portal <no-reply@parentsportal.localhost>\r\n"));
  CHECK(absl::EndsWith(text, "\r\n\r\nOne-time password: ABCDEFGHJKLM\r\n"));
}

TEST_CASE("text message file holds number and text") {
  pp::TempDir dir;
  FileSender sender(dir.Path("outbox"), kFrom);
  OutboxMessage message;
  message.id = 12;
  message.channel = Channel::kSms;
  message.recipient = "+447294053474";
  message.body = "Your Parents Portal code is 482913";
  REQUIRE(sender.Deliver(message).ok());
  CHECK(pp::ReadFile(dir.Path("outbox/msg-000000000012.sms")) ==
        "To: +447294053474\n\nYour Parents Portal code is 482913\n");
}

TEST_CASE("outbox that cannot be created fails temporarily") {
  pp::TempDir dir;
  dir.WriteFile("blocked", "a file where the folder should be");
  FileSender sender(dir.Path("blocked/outbox"), kFrom);
  absl::Status status = sender.Deliver(Email());
  CHECK(status.code() == absl::StatusCode::kInternal);
  CHECK(IsTemporaryFailure(status));
}

TEST_CASE("no temporary files are left in the outbox") {
  pp::TempDir dir;
  FileSender sender(dir.Path("outbox"), kFrom);
  REQUIRE(sender.Deliver(Email()).ok());
  REQUIRE(sender.Deliver(Email()).ok());
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Path("outbox"))) {
    CHECK(entry.path().filename() == "msg-000000000007.eml");
    ++files;
  }
  CHECK(files == 1);
}

TEST_CASE("failure codes split into temporary and permanent") {
  CHECK(IsTemporaryFailure(absl::UnavailableError("")));
  CHECK(IsTemporaryFailure(absl::ResourceExhaustedError("")));
  CHECK(IsTemporaryFailure(absl::DeadlineExceededError("")));
  CHECK_FALSE(IsTemporaryFailure(absl::InvalidArgumentError("")));
  CHECK_FALSE(IsTemporaryFailure(absl::PermissionDeniedError("")));
}

}  // namespace pp::notification
