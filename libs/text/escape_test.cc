#include "text/escape.h"

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("control characters are escaped") {
  const struct {
    std::string text;
    std::string escaped;
  } cases[] = {
      {"Ann\nMarie", "Ann\\nMarie"},
      {"Ann\r\nMarie", "Ann\\r\\nMarie"},
      {"a\tb", "a\\tb"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"a\x1b[31mb", "a\\x1B[31mb"},
      {"a\x7f", "a\\x7F"},
      {"Zo\u0085", "Zo\\u0085"},
      {"Zoë Müller", "Zoë Müller"},
      {"O’Neill", "O’Neill"},
      {"Zo\xEB", "Zo\xEB"},
      // A right-to-left override would show "Court order" backwards, and
      // the text after it in its place.
      {"Court \u202Eredro", "Court \\u202Eredro"},
      {"a\u200Eb\u200Fc\u202Ad\u2066e\u2069f\u061Cg",
       "a\\u200Eb\\u200Fc\\u202Ad\\u2066e\\u2069f\\u061Cg"},
      {"line\u2028next\u2029", "line\\u2028next\\u2029"},
      // Their neighbours in U+2000 to U+206F are kept: a dash, a zero-width
      // joiner, an ellipsis and a word joiner.
      {"a\u2014b\u200Dc\u2026d\u2060", "a\u2014b\u200Dc\u2026d\u2060"},
      // A lone lead byte at the end is kept as it is.
      {"a\xE2\x80", "a\xE2\x80"},
      {"", ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(pp::EscapeControlCharacters(c.text) == c.escaped);
  }
}
