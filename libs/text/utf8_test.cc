#include "text/utf8.h"

#include <catch2/catch.hpp>
#include <string_view>

TEST_CASE("first invalid UTF-8 byte") {
  using namespace std::string_view_literals;
  struct Case {
    std::string_view text;
    size_t offset;
  };
  constexpr size_t kValid = std::string_view::npos;
  const Case cases[] = {
      {""sv, kValid},
      {"Parents' night"sv, kValid},
      {"Caf\xC3\xA9 \xF0\x9F\x8E\x84"sv, kValid},
      // Windows-1252 "é".
      {"Caf\xE9"sv, 3},
      // An overlong "/", a UTF-16 surrogate, and a character cut short.
      {"\xC0\xAF"sv, 0},
      {"ab\xED\xA0\x80"sv, 2},
      {"ab\xE2\x82"sv, 2},
      {"a\xF4\x90\x80\x80"sv, 1},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(pp::text::FindInvalidUtf8(c.text) == c.offset);
  }
}

TEST_CASE("truncated UTF-8 keeps whole characters") {
  using namespace std::string_view_literals;
  // "Café 🎄": the é takes bytes 3 and 4, the tree bytes 6 to 9.
  constexpr std::string_view kText = "Caf\xC3\xA9 \xF0\x9F\x8E\x84"sv;
  CHECK(pp::text::TruncateUtf8(kText, 100) == kText);
  CHECK(pp::text::TruncateUtf8(kText, 10) == kText);
  CHECK(pp::text::TruncateUtf8(kText, 9) == "Caf\xC3\xA9 "sv);
  CHECK(pp::text::TruncateUtf8(kText, 7) == "Caf\xC3\xA9 "sv);
  CHECK(pp::text::TruncateUtf8(kText, 5) == "Caf\xC3\xA9"sv);
  CHECK(pp::text::TruncateUtf8(kText, 4) == "Caf"sv);
  CHECK(pp::text::TruncateUtf8(kText, 0) == ""sv);
}
