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
      {"", ""},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(pp::EscapeControlCharacters(c.text) == c.escaped);
  }
}
