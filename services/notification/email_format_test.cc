#include "email_format.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

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

TEST_CASE("plain email is one 8bit text part") {
  CHECK(FormatEmail(Email(), kFrom) ==
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
  std::string text = FormatEmail(message, kFrom);

  size_t start = text.find("Subject: ");
  size_t end = text.find("\r\nDate:");
  REQUIRE(start != std::string::npos);
  REQUIRE(end != std::string::npos);
  std::string subject = text.substr(start, end - start);
  CHECK(absl::StartsWith(subject, "Subject: =?UTF-8?B?"));
  CHECK(absl::StrContains(subject, "?=\r\n =?UTF-8?B?"));
  for (char c : subject) CHECK(static_cast<unsigned char>(c) < 0x80);
}

TEST_CASE("email with HTML is multipart alternative") {
  OutboxMessage message = Email();
  message.html_body = "<p>Hello <bdi>Ann</bdi></p>\n";
  std::string text = FormatEmail(message, kFrom);
  CHECK(absl::StrContains(
      text,
      "Content-Type: multipart/alternative; boundary=\"=_msg-000000000007\"\r\n\r\n"
      "--=_msg-000000000007\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\nHello Ann,\r\n"));
  CHECK(absl::StrContains(text, "--=_msg-000000000007\r\nContent-Type: text/html; charset=utf-8"));
  CHECK(absl::StrContains(text, "<p>Hello <bdi>Ann</bdi></p>\r\n--=_msg-000000000007--\r\n"));
}

TEST_CASE("message id is the same on every attempt") {
  OutboxMessage message = Email();
  std::string first = FormatEmail(message, kFrom);
  message.created_at += absl::Hours(1);
  std::string second = FormatEmail(message, kFrom);
  CHECK(absl::StrContains(first, "Message-ID: <msg-000000000007@parentsportal.localhost>"));
  CHECK(absl::StrContains(second, "Message-ID: <msg-000000000007@parentsportal.localhost>"));
}

TEST_CASE("quoted-printable keeps lines short") {
  std::string encoded = QuotedPrintable(std::string(200, 'a') + " é=x \nnext");
  for (absl::string_view line : absl::StrSplit(encoded, "\r\n")) CHECK(line.size() <= 76);
  CHECK(absl::StrContains(encoded, " =C3=A9=3Dx=20\r\nnext\r\n"));
}

TEST_CASE("long plain line switches to quoted-printable") {
  OutboxMessage message = Email();
  message.body = std::string(1200, 'b');
  std::string text = FormatEmail(message, kFrom);
  CHECK(absl::StrContains(text, "Content-Transfer-Encoding: quoted-printable\r\n"));
  for (absl::string_view line : absl::StrSplit(text, "\r\n")) CHECK(line.size() <= 998);
}

TEST_CASE("address is taken from a From value") {
  CHECK(AddressOf(kFrom) == "no-reply@parentsportal.localhost");
  CHECK(AddressOf("plain@example.org") == "plain@example.org");
}

}  // namespace pp::notification
