#include "contact/contact.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace pp::contact {
namespace {

constexpr size_t kMaxEmailLength = 254;
constexpr size_t kMaxLocalPartLength = 64;
constexpr size_t kMaxLabelLength = 63;

bool IsLocalPartChar(char c) {
  // Printable ASCII except the characters that would need quoting in a
  // header or make the address ambiguous.
  if (c <= ' ' || c >= 0x7f) return false;
  return c != '"' && c != '(' && c != ')' && c != ',' && c != ':' && c != ';' && c != '<' &&
         c != '>' && c != '@' && c != '[' && c != '\\' && c != ']';
}

bool IsDomainLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::string> NormaliseEmail(std::string_view text) {
  std::string email(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  const absl::Status invalid = absl::InvalidArgumentError(
      "the email address is not valid: it needs a name, one @ and a domain such as example.com");
  if (email.empty()) return absl::InvalidArgumentError("the email address is missing");
  if (email.size() > kMaxEmailLength) {
    return absl::InvalidArgumentError("the email address is longer than 254 characters");
  }

  size_t at = email.find('@');
  if (at == std::string::npos || email.find('@', at + 1) != std::string::npos) return invalid;
  absl::string_view local(email.data(), at);
  std::string domain = absl::AsciiStrToLower(email.substr(at + 1));

  if (local.empty() || local.size() > kMaxLocalPartLength) return invalid;
  for (char c : local) {
    if (!IsLocalPartChar(c)) return invalid;
  }
  if (local.front() == '.' || local.back() == '.' || absl::StrContains(local, "..")) {
    return invalid;
  }

  std::vector<absl::string_view> labels = absl::StrSplit(domain, '.');
  if (labels.size() < 2) return invalid;
  for (absl::string_view label : labels) {
    if (!IsDomainLabel(label)) return invalid;
  }
  absl::string_view top_level = labels.back();
  if (top_level.size() < 2) return invalid;
  for (char c : top_level) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return invalid;
  }
  return std::string(local) + "@" + domain;
}

absl::StatusOr<std::string> NormaliseUkMobile(std::string_view text) {
  const absl::Status invalid = absl::InvalidArgumentError(
      "the mobile number is not a UK mobile: write it as 07xxx xxxxxx or +44 7xxx xxxxxx");

  // Keep the digits and a leading '+', dropping the separators people type.
  std::string digits;
  bool plus = false;
  for (char c : text) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '\t') {
      return invalid;
    }
  }
  if (digits.empty()) return absl::InvalidArgumentError("the mobile number is missing");

  // Reduce the international forms to the national one: +44, 0044 and 44,
  // each optionally followed by the "(0)" that people copy from letterheads.
  std::string national;
  if (plus) {
    if (!absl::StartsWith(digits, "44")) return invalid;
    national = digits.substr(2);
  } else if (absl::StartsWith(digits, "0044")) {
    national = digits.substr(4);
  } else if (absl::StartsWith(digits, "44") && digits.size() >= 12) {
    national = digits.substr(2);
  } else {
    national = digits;
  }
  if (!absl::StartsWith(national, "0")) national = "0" + national;

  // UK mobiles are 07 followed by nine digits. 070 numbers are personal
  // numbers, which forward anywhere and cannot take a text reliably.
  if (national.size() != 11 || national[1] != '7' || national[2] == '0') return invalid;
  return "+44" + national.substr(1);
}

}  // namespace pp::contact
