#include "text/escape.h"

#include "absl/strings/str_format.h"

namespace pp {

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
    } else {
      escaped += static_cast<char>(c);
    }
  }
  return escaped;
}

}  // namespace pp
