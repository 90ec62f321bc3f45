#include "email_format.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace pp::notification {
namespace {

// RFC 2047 limits an encoded word to 75 characters. 45 bytes of text
// become 60 characters of base64 plus the 12 of "=?UTF-8?B?" and "?=".
constexpr size_t kEncodedWordBytes = 45;
// RFC 5322's limit on a line, without its CRLF.
constexpr size_t kMaxLineBytes = 998;
// RFC 2045's limit on a quoted-printable line, without its CRLF.
constexpr size_t kMaxQuotedPrintableLine = 76;

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

// Returns `text` with every line ending as LF.
std::string WithLf(const std::string& text) {
  return absl::StrReplaceAll(text, {{"\r\n", "\n"}, {"\r", "\n"}});
}

// Returns `text` with every line ending as CRLF and a final CRLF.
std::string WithCrlf(const std::string& text) {
  std::string crlf = absl::StrReplaceAll(WithLf(text), {{"\n", "\r\n"}});
  if (crlf.size() < 2 || crlf.compare(crlf.size() - 2, 2, "\r\n") != 0) crlf += "\r\n";
  return crlf;
}

bool HasLongLine(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(WithLf(text), '\n')) {
    if (line.size() > kMaxLineBytes) return true;
  }
  return false;
}

std::string DomainOf(const std::string& from) {
  std::string address = AddressOf(from);
  size_t at = address.rfind('@');
  if (at == std::string::npos || at + 1 == address.size()) return "localhost";
  return address.substr(at + 1);
}

}  // namespace

std::string AddressOf(const std::string& from) {
  size_t open = from.rfind('<');
  size_t close = from.rfind('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return from;
  return from.substr(open + 1, close - open - 1);
}

std::string QuotedPrintable(const std::string& text) {
  std::string out;
  std::vector<std::string> lines = absl::StrSplit(WithLf(text), '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  for (const std::string& line : lines) {
    size_t width = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      // Spaces and tabs at the end of a line would be stripped in transit.
      bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
      std::string piece =
          literal ? std::string(1, static_cast<char>(c)) : absl::StrFormat("=%02X", c);
      // A soft line break ("=" at the end) keeps lines within 76 characters.
      if (width + piece.size() > kMaxQuotedPrintableLine - 1) {
        out += "=\r\n";
        width = 0;
      }
      out += piece;
      width += piece.size();
    }
    out += "\r\n";
  }
  return out;
}

std::string FormatEmail(const OutboxMessage& message, const std::string& from) {
  std::string message_id = MessageId(message.id);
  std::string date =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", message.created_at, absl::UTCTimeZone());
  std::string headers = absl::StrCat("From: ", from, "\r\n",                                  //
                                     "To: ", message.recipient, "\r\n",                       //
                                     "Subject: ", EncodeHeaderText(message.subject), "\r\n",  //
                                     "Date: ", date, "\r\n",                                  //
                                     "Message-ID: <", message_id, "@", DomainOf(from), ">\r\n",
                                     "MIME-Version: 1.0\r\n");

  if (message.html_body.empty()) {
    if (HasLongLine(message.body)) {
      return absl::StrCat(headers, "Content-Type: text/plain; charset=utf-8\r\n",
                          "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                          QuotedPrintable(message.body));
    }
    return absl::StrCat(headers, "Content-Type: text/plain; charset=utf-8\r\n",
                        "Content-Transfer-Encoding: 8bit\r\n\r\n", WithCrlf(message.body));
  }

  // "=_" never occurs in quoted-printable text, so the boundary cannot
  // appear inside a part.
  std::string boundary = absl::StrCat("=_", message_id);
  return absl::StrCat(headers, "Content-Type: multipart/alternative; boundary=\"", boundary,
                      "\"\r\n\r\n",                                           //
                      "--", boundary, "\r\n",                                 //
                      "Content-Type: text/plain; charset=utf-8\r\n",          //
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n",  //
                      QuotedPrintable(message.body),                          //
                      "--", boundary, "\r\n",                                 //
                      "Content-Type: text/html; charset=utf-8\r\n",           //
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n",  //
                      QuotedPrintable(message.html_body),                     //
                      "--", boundary, "--\r\n");
}

}  // namespace pp::notification
