#include "link_rules.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace pp::link {
namespace {

// Reads one UTF-8 code point at `text[*pos]` and advances `*pos`. Returns
// nullopt, after advancing one byte, for a byte that does not start a valid
// sequence.
std::optional<char32_t> NextCodePoint(std::string_view text, size_t* pos) {
  unsigned char lead = static_cast<unsigned char>(text[*pos]);
  int length = lead < 0x80           ? 1
               : (lead >> 5) == 0x6  ? 2
               : (lead >> 4) == 0xE  ? 3
               : (lead >> 3) == 0x1E ? 4
                                     : 0;
  if (length == 0 || *pos + length > text.size()) {
    ++*pos;
    return std::nullopt;
  }
  char32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
  for (int i = 1; i < length; ++i) {
    unsigned char next = static_cast<unsigned char>(text[*pos + i]);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return std::nullopt;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  *pos += length;
  return code_point;
}

void AppendUtf8(char32_t code_point, std::string* out) {
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

// Lower-cases the letters of Basic Latin, Latin-1 Supplement and Latin
// Extended-A, enough for Gaelic, Irish, Welsh, Polish and Czech names.
char32_t ToLower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  // In Latin Extended-A each capital is followed by its small letter,
  // except for the dotted and dotless i (0x130, 0x131) and the kra (0x138).
  if (c >= 0x100 && c <= 0x137 && c != 0x130 && c % 2 == 0) return c + 1;
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;
  if (c == 0x178) return 0xFF;
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
  return c;
}

bool IsSpace(char32_t c) { return c == ' ' || c == '\t' || c == 0xA0; }

bool IsApostrophe(char32_t c) { return c == 0x2018 || c == 0x2019 || c == 0x02BC; }

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsLetter(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

std::optional<absl::CivilDay> MakeDay(std::string_view year, std::string_view month,
                                      std::string_view day) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return std::nullopt;
  if (!absl::SimpleAtoi(absl::string_view(year.data(), year.size()), &y) ||
      !absl::SimpleAtoi(absl::string_view(month.data(), month.size()), &m) ||
      !absl::SimpleAtoi(absl::string_view(day.data(), day.size()), &d)) {
    return std::nullopt;
  }
  // CivilDay normalises 31/02 to 02/03, so a changed field means no such day.
  absl::CivilDay civil(y, m, d);
  if (civil.year() != y || civil.month() != m || civil.day() != d) return std::nullopt;
  return civil;
}

}  // namespace

std::string NameKey(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  bool pending_space = false;
  size_t pos = 0;
  while (pos < name.size()) {
    size_t start = pos;
    std::optional<char32_t> decoded = NextCodePoint(name, &pos);
    // Invalid UTF-8 is kept byte for byte, so it matches only itself.
    char32_t c = decoded.value_or(0);
    if (decoded.has_value() && IsSpace(c)) {
      pending_space = !key.empty();
      continue;
    }
    if (pending_space) key.push_back(' ');
    pending_space = false;
    if (!decoded.has_value()) {
      key.push_back(name[start]);
      continue;
    }
    AppendUtf8(IsApostrophe(c) ? U'\'' : ToLower(c), &key);
  }
  return key;
}

std::string PostcodeKey(std::string_view postcode) {
  std::string key;
  for (char c : postcode) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
    key.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

bool IsUkPostcode(std::string_view postcode) {
  std::string key = PostcodeKey(postcode);
  if (key.size() < 5 || key.size() > 7) return false;
  std::string_view inward = std::string_view(key).substr(key.size() - 3);
  std::string_view outward = std::string_view(key).substr(0, key.size() - 3);
  if (!IsDigit(inward[0]) || !IsLetter(inward[1]) || !IsLetter(inward[2])) return false;

  // The outward code: one or two letters, a digit, then an optional digit
  // or letter.
  size_t i = 0;
  while (i < outward.size() && i < 2 && IsLetter(outward[i])) ++i;
  if (i == 0 || i >= outward.size() || !IsDigit(outward[i])) return false;
  ++i;
  if (i < outward.size() && (IsDigit(outward[i]) || IsLetter(outward[i]))) ++i;
  return i == outward.size();
}

std::optional<absl::CivilDay> ParseDate(std::string_view text, bool allow_day_first) {
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    return MakeDay(text.substr(0, 4), text.substr(5, 2), text.substr(8, 2));
  }
  if (!allow_day_first) return std::nullopt;
  size_t first = text.find('/');
  size_t second = first == std::string_view::npos ? first : text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view day = text.substr(0, first);
  std::string_view month = text.substr(first + 1, second - first - 1);
  std::string_view year = text.substr(second + 1);
  if (day.size() > 2 || month.size() > 2 || year.size() != 4) return std::nullopt;
  return MakeDay(year, month, day);
}

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

bool IsStage(std::string_view stage) {
  if (stage.size() != 2) return false;
  if (stage[0] == 'P') return stage[1] >= '1' && stage[1] <= '7';
  if (stage[0] == 'S') return stage[1] >= '1' && stage[1] <= '6';
  return false;
}

std::optional<std::string> NormalizeUkMobile(std::string_view text) {
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '-' || c == '(' || c == ')' || c == '.') continue;
    if (c == '+' && digits.empty() && i + 1 < text.size()) {
      digits = "00";
      continue;
    }
    if (!IsDigit(c)) return std::nullopt;
    digits.push_back(c);
  }
  // +44 and 0044 stand for the leading 0, which "+44 (0)7..." also keeps.
  if (absl::StartsWith(digits, "0044")) {
    digits = digits.substr(4);
    if (!absl::StartsWith(digits, "0")) digits.insert(0, "0");
  }
  if (digits.size() != 11 || !absl::StartsWith(digits, "07")) return std::nullopt;
  return digits;
}

bool IsEmailAddress(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) return false;
  }
  std::string_view domain = text.substr(at + 1);
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

std::string MaskEmail(std::string_view email) {
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return absl::StrCat(std::string(email.substr(0, 1)), "***", std::string(email.substr(at)));
}

std::string MaskMobile(std::string_view mobile) {
  std::string_view last = mobile.size() >= 4 ? mobile.substr(mobile.size() - 4) : mobile;
  return absl::StrCat("mobile ending ", std::string(last));
}

absl::Time DecideBy(absl::Time now, absl::TimeZone zone) {
  absl::CivilDay day = absl::ToCivilDay(now, zone);
  int working_days = 0;
  while (working_days < 5) {
    ++day;
    absl::Weekday weekday = absl::GetWeekday(day);
    if (weekday != absl::Weekday::saturday && weekday != absl::Weekday::sunday) ++working_days;
  }
  return absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 23, 59, 59), zone);
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

}  // namespace pp::link
