#include "sender.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "files/files.h"

namespace pp::notification {
namespace {

// RFC 2047 limits an encoded word to 75 characters. 45 bytes of text
// become 60 characters of base64 plus the 12 of "=?UTF-8?B?" and "?=".
constexpr size_t kEncodedWordBytes = 45;

bool IsPrintableAscii(const std::string& text) {
  for (char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

// Returns a Subject value that is plain ASCII: the text itself when it is,
// otherwise base64 encoded words, folded one per line and never splitting a
// UTF-8 character.
std::string EncodeHeaderText(const std::string& text) {
  if (IsPrintableAscii(text)) return text;

  std::string encoded;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = std::min(start + kEncodedWordBytes, text.size());
    // Step back over continuation bytes (10xxxxxx) to a character boundary.
    while (end < text.size() && end > start + 1 &&
           (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      --end;
    }
    if (!encoded.empty()) encoded += "\r\n ";
    absl::StrAppend(&encoded, "=?UTF-8?B?", absl::Base64Escape(text.substr(start, end - start)),
                    "?=");
    start = end;
  }
  return encoded;
}

// Returns `text` with every line ending as CRLF and a final CRLF.
std::string WithCrlf(const std::string& text) {
  std::string lf = absl::StrReplaceAll(text, {{"\r\n", "\n"}, {"\r", "\n"}});
  std::string crlf = absl::StrReplaceAll(lf, {{"\n", "\r\n"}});
  if (crlf.size() < 2 || crlf.compare(crlf.size() - 2, 2, "\r\n") != 0) crlf += "\r\n";
  return crlf;
}

// Returns the domain of the address in a From value such as
// "Name <user@domain>", or "localhost" when there is none.
std::string DomainOf(const std::string& from) {
  size_t at = from.rfind('@');
  if (at == std::string::npos) return "localhost";
  size_t end = from.find('>', at);
  std::string domain = from.substr(at + 1, end == std::string::npos ? end : end - at - 1);
  return domain.empty() ? "localhost" : domain;
}

}  // namespace

std::string FormatEmail(const OutboxMessage& message, const std::string& from,
                        const std::string& message_id_domain) {
  std::string date =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", message.created_at, absl::UTCTimeZone());
  return absl::StrCat("From: ", from, "\r\n",                                          //
                      "To: ", message.recipient, "\r\n",                               //
                      "Subject: ", EncodeHeaderText(message.subject), "\r\n",          //
                      "Date: ", date, "\r\n",                                          //
                      "Message-ID: <", MessageId(message.id), "@", message_id_domain,  //
                      ">\r\n",                                                         //
                      "MIME-Version: 1.0\r\n",                                         //
                      "Content-Type: text/plain; charset=utf-8\r\n",                   //
                      "Content-Transfer-Encoding: 8bit\r\n",                           //
                      "\r\n", WithCrlf(message.body));
}

FileSender::FileSender(std::string outbox_dir, std::string from)
    : outbox_dir_(std::move(outbox_dir)),
      from_(std::move(from)),
      message_id_domain_(DomainOf(from_)) {}

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
  return WriteFileAtomically(path + ".eml", FormatEmail(message, from_, message_id_domain_));
}

}  // namespace pp::notification
