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
  message.body = "Hello Ann,\nOne-time password: ABCDEFGHJKLM\n\nChange it when you sign in.";
  message.created_at = absl::FromUnixSeconds(1796400000);  // 2026-12-04 16:00:00 UTC
  return message;
}

}  // namespace

TEST_CASE("email file is an RFC 5322 message") {
  pp::TempDir dir;
  FileSender sender(dir.Path("outbox"), kFrom);
  REQUIRE(sender.Deliver(Email()).ok());

  std::string text = pp::ReadFile(dir.Path("outbox/msg-000000000007.eml"));
  CHECK(text ==
        "From: Parents Portal <no-reply@parentsportal.localhost>\r\n"
        "To: parent@example.com\r\n"
        "Subject: Your Parents Portal account\r\n"
        "Date: Fri, 04 Dec 2026 16:00:00 +0000\r\n"
        "Message-ID: <msg-000000000007@parentsportal.localhost>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Hello Ann,\r\n"
        "One-time password: ABCDEFGHJKLM\r\n"
        "\r\n"
        "Change it when you sign in.\r\n");
}

TEST_CASE("non-ASCII subject is encoded as UTF-8 words") {
  OutboxMessage message = Email();
  message.subject = "Fàilte gu Parents Portal, Siobhán Ó Ceallaigh: your account is ready";
  std::string text = FormatEmail(message, kFrom, "parentsportal.localhost");

  size_t start = text.find("Subject: ");
  size_t end = text.find("\r\nDate:");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string subject = text.substr(start, end - start);
  CHECK(absl::StartsWith(subject, "Subject: =?UTF-8?B?"));
  CHECK(absl::StrContains(subject, "?=\r\n =?UTF-8?B?"));
  for (char c : subject) CHECK(static_cast<unsigned char>(c) < 0x80);
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

TEST_CASE("outbox that cannot be created fails delivery") {
  pp::TempDir dir;
  dir.WriteFile("blocked", "a file where the folder should be");
  FileSender sender(dir.Path("blocked/outbox"), kFrom);
  CHECK(sender.Deliver(Email()).code() == absl::StatusCode::kInternal);
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

}  // namespace pp::notification
