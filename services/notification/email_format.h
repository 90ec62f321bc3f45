// The RFC 5322 / MIME text of an email: headers with RFC 2047 encoded
// subjects, and a plain text part with an optional HTML alternative.
#ifndef PP_SERVICES_NOTIFICATION_EMAIL_FORMAT_H_
#define PP_SERVICES_NOTIFICATION_EMAIL_FORMAT_H_

#include <string>

#include "notification_store.h"

namespace pp::notification {

// Returns the full text of `message` as an email from `from` (such as
// "Parents Portal <no-reply@example.org>"), with CRLF line ends. The
// Message-ID is <message_id@domain of from>, so every attempt at one
// message carries the same id and receivers can drop repeats.
//
// Without an HTML body the email is one text/plain part, sent as 8bit
// unless a line is longer than RFC 5322's 998 bytes. With one it is
// multipart/alternative, both parts quoted-printable.
std::string FormatEmail(const OutboxMessage& message, const std::string& from);

// Returns the address inside a From value: "user@domain" from
// "Name <user@domain>", or the value itself when it has no angle brackets.
std::string AddressOf(const std::string& from);

// Returns `text` (UTF-8) as quoted-printable with CRLF line ends and lines
// of at most 76 characters.
std::string QuotedPrintable(const std::string& text);

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_EMAIL_FORMAT_H_
