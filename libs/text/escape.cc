#include "text/escape.h"

#include "absl/strings/str_format.h"

namespace pp {
namespace {

// Returns the code point of the three-byte character at `i` when it is a
// line or paragraph separator or a bidirectional formatting character in
// U+2000 to U+206F (E2 80 xx or E2 81 xx in UTF-8), else 0.
int LayoutControlAt(std::string_view text, size_t i) {
  if (i + 2 >= text.size() || static_cast<unsigned char>(text[i]) != 0xE2) return 0;
  const unsigned char second = static_cast<unsigned char>(text[i + 1]);
  const unsigned char third = static_cast<unsigned char>(text[i + 2]);
  if (second != 0x80 && second != 0x81) return 0;
  if (third < 0x80 || third > 0xBF) return 0;
  const int code_point = 0x2000 + ((second - 0x80) << 6) + (third - 0x80);
  const bool layout = code_point == 0x200E || code_point == 0x200F ||
                      (code_point >= 0x2028 && code_point <= 0x202E) ||
                      (code_point >= 0x2066 && code_point <= 0x2069);
  return layout ? code_point : 0;
}

}  // namespace

std::string EscapeControlCharacters(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if (c == '\n') {
      escaped += "\\n";
    } else if (c == '\r') {
      escaped += "\\r";
    } else if (c == '\t') {
      escaped += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      escaped += absl::StrFormat("\\x%02X", c);
    } else if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
      // U+0080 to U+009F in UTF-8: 0xC2 followed by the code point's byte.
      escaped += absl::StrFormat("\\u%04X", next);
      ++i;
    } else if (c == 0xD8 && next == 0x9C) {
      escaped += "\\u061C";
      ++i;
    } else if (const int code_point = LayoutControlAt(text, i); code_point != 0) {
      escaped += absl::StrFormat("\\u%04X", code_point);
      i += 2;
    } else {
      escaped += static_cast<char>(c);
    }
  }
  return escaped;
}

}  // namespace pp
