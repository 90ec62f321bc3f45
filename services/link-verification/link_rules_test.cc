#include "link_rules.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace pp::link {
namespace {

TEST_CASE("name keys match typing variants") {
  struct Case {
    const char* typed;
    const char* roster;
  };
  const Case cases[] = {
      {"O’Neill", "O'Neill"},
      {"O‘Neill", "O'Neill"},
      {"Oʼneill", "O'Neill"},
      {"Zoe", "Zoë"},
      {"Zoe\u0308", "Zoë"},
      {"campbell rennie", "Campbell-Rennie"},
      {"Campbell – Rennie", "Campbell-Rennie"},
      {"Campbell\u2010Rennie", "Campbell-Rennie"},
      {"CATRÌONA NIC AN TSAOIR", "Catrìona Nic an tSaoir"},
      {"catriona  nic an   tsaoir", "Catrìona Nic an tSaoir"},
      {"  Noah  ", "Noah"},
      {"Mary\tJane", "Mary Jane"},
      {"EOIN", "Eòin"},
      {"NI BHRIAIN", "Ní Bhriain"},
      {"STRASSE", "Straße"},
      {"ŁUKASZ", "Łukasz"},
      {"McDonald", "McDonald\u200B"},
      {"McDonald", "Mc\u00ADDonald"},
      {"Noah", "\uFEFFNoah"},
  };
  for (const Case& test : cases) {
    INFO(test.typed << " / " << test.roster);
    CHECK(NameKey(test.typed) == NameKey(test.roster));
  }
}

TEST_CASE("name keys keep what identifies") {
  struct Case {
    const char* typed;
    const char* roster;
  };
  const Case cases[] = {
      {"Rennie", "Campbell-Rennie"}, {"Campbell", "Campbell-Rennie"},
      {"ONeill", "O'Neill"},         {"Zoey", "Zoë"},
      {"Lukasz", "Łukasz"},          {"Mac Donald", "MacDonald"},
  };
  for (const Case& test : cases) {
    INFO(test.typed << " / " << test.roster);
    CHECK(NameKey(test.typed) != NameKey(test.roster));
  }
}

TEST_CASE("name key form") {
  CHECK(NameKey(" Campbell-Rennie ") == "campbell rennie");
  CHECK(NameKey("O’NEILL") == "o'neill");
  CHECK(NameKey("Zoë") == "zoe");
  CHECK(NameKey(" - ").empty());
}

TEST_CASE("an ASCII name has the key it has with any invisible character added") {
  // A zero-width space makes the name non-ASCII, so it takes the full
  // Unicode path; the key must be the same either way.
  std::vector<std::string> names = {"Mary-Jane  O'Neill", "de`Ath", "ANNE\tMARIE", " -x- ", ""};
  std::string every_ascii_character;
  for (int c = 1; c < 0x80; ++c) every_ascii_character.push_back(static_cast<char>(c));
  names.push_back(every_ascii_character);
  for (int c = 1; c < 0x80; ++c) names.push_back(std::string("Ro") + static_cast<char>(c) + "ss");
  for (const std::string& name : names) {
    INFO(name);
    CHECK(NameKey(name) == NameKey(name + "\u200B"));
  }
  CHECK(NameKey("Mary-Jane  O`NEILL") == "mary jane o'neill");
}

TEST_CASE("garbled text is detected") {
  CHECK_FALSE(LooksGarbled("Zoë Müller"));
  CHECK_FALSE(LooksGarbled("Catrìona Nic an tSaoir"));
  CHECK_FALSE(LooksGarbled("O’Neill"));
  CHECK_FALSE(LooksGarbled("Plain ASCII"));
  // Invisible characters copied from a document, which NameKey drops.
  CHECK_FALSE(LooksGarbled("Ro\u200Bss"));
  CHECK_FALSE(LooksGarbled("\uFEFFRoss"));
  CHECK_FALSE(LooksGarbled("Ross\u00A0Smith"));
  CHECK(LooksGarbled("ZoÃ«"));
  CHECK(LooksGarbled("Oâ€™Neill"));
  CHECK(LooksGarbled("Zo\uFFFD"));
  CHECK(LooksGarbled("Zo\xEB"));
  CHECK(LooksGarbled("Zo\u0085"));
  CHECK(LooksGarbled("line\nbreak"));
}

TEST_CASE("postcodes are checked for UK shape") {
  for (const char* valid :
       {"PH3 2QY", "ph32qy", "KY13 9RR", "EH1 1YZ", "W1A 0AX", "M1 1AE", "SW1A 1AA", " B33 8TH "}) {
    INFO(valid);
    CHECK(IsUkPostcode(valid));
  }
  for (const char* invalid :
       {"", "12345", "PH3", "PH3 QY2", "PHH3 2QY", "P 2QY", "PH3 2QYY", "PH3-2QY"}) {
    INFO(invalid);
    CHECK_FALSE(IsUkPostcode(invalid));
  }
  CHECK(PostcodeKey(" ph3  2qy ") == "PH32QY");
}

TEST_CASE("postcode key drops Unicode spaces") {
  // No-break, narrow no-break, thin and zero-width spaces, an ideographic
  // space and a byte order mark, as exports copied from documents carry.
  for (const char* postcode : {"PH5\u00A05EE", "PH5\u202F5EE", "PH5\u20095EE", "PH55EE\u200B",
                               "\uFEFFph5 5ee", "PH5\u30005EE"}) {
    INFO(postcode);
    CHECK(PostcodeKey(postcode) == "PH55EE");
    CHECK(IsUkPostcode(postcode));
  }
  // Other characters stay, so the key still distinguishes postcodes.
  CHECK(PostcodeKey("PH5\u20105EE") == "PH5\u20105EE");
}

TEST_CASE("dates must exist") {
  CHECK(ParseDate("2020-10-01", false) == absl::CivilDay(2020, 10, 1));
  CHECK(ParseDate("01/10/2020", true) == absl::CivilDay(2020, 10, 1));
  CHECK(ParseDate("1/2/2020", true) == absl::CivilDay(2020, 2, 1));
  CHECK(ParseDate("29/02/2020", true) == absl::CivilDay(2020, 2, 29));
  CHECK_FALSE(ParseDate("29/02/2021", true).has_value());
  CHECK_FALSE(ParseDate("31/04/2020", true).has_value());
  CHECK_FALSE(ParseDate("2020-13-01", false).has_value());
  CHECK_FALSE(ParseDate("01/10/2020", false).has_value());
  CHECK_FALSE(ParseDate("2020-1-01", false).has_value());
  CHECK_FALSE(ParseDate("01/10/20", true).has_value());
  CHECK_FALSE(ParseDate("aa/bb/cccc", true).has_value());
  CHECK_FALSE(ParseDate("", true).has_value());
}

TEST_CASE("stages are P1 to P7 and S1 to S6") {
  for (const char* stage : {"P1", "P7", "S1", "S6"}) CHECK(IsStage(stage));
  for (const char* stage : {"P0", "P8", "S7", "s1", "N1", "P", "P10"}) CHECK_FALSE(IsStage(stage));
}

TEST_CASE("phone numbers become E.164") {
  struct Case {
    const char* typed;
    const char* e164;
    bool mobile;
  };
  const Case cases[] = {
      {"07700 900123", "+447700900123", true},     {"+44 7700 900123", "+447700900123", true},
      {"0044 7700 900123", "+447700900123", true}, {"+44 (0)7700 900123", "+447700900123", true},
      {"7700900123", "+447700900123", true},       {"07294 053474", "+447294053474", true},
      {"(07442) 106 685", "+447442106685", true},  {"07442-106-685", "+447442106685", true},
      {"01738 123456", "+441738123456", false},    {"0131 496 0000", "+441314960000", false},
      {"07678 929994", "+447678929994", true},     {"07911 543107", "+447911543107", true},
  };
  for (const Case& test : cases) {
    INFO(test.typed);
    std::optional<PhoneNumber> number = ParsePhoneNumber(test.typed);
    REQUIRE(number.has_value());
    CHECK(number->e164 == test.e164);
    CHECK(number->mobile == test.mobile);
  }
  CHECK_FALSE(ParsePhoneNumber("0744210668").has_value());
  // 070 numbers are personal numbers that forward anywhere, not mobiles.
  std::optional<PhoneNumber> personal = ParsePhoneNumber("07000 123456");
  CHECK_FALSE((personal.has_value() && personal->mobile));
  CHECK_FALSE(ParsePhoneNumber("not a number").has_value());
  CHECK_FALSE(ParsePhoneNumber("").has_value());
}

TEST_CASE("email addresses are checked loosely") {
  CHECK(IsEmailAddress("karen.taylor72@example.com"));
  CHECK(IsEmailAddress("Craig.nbhriain12@example.org"));
  CHECK_FALSE(IsEmailAddress("karen.example.com"));
  CHECK_FALSE(IsEmailAddress("@example.com"));
  CHECK_FALSE(IsEmailAddress("karen@example"));
  CHECK_FALSE(IsEmailAddress("karen@example."));
  CHECK_FALSE(IsEmailAddress("karen @example.com"));
  CHECK_FALSE(IsEmailAddress("a@b@example.com"));
}

TEST_CASE("destinations are masked") {
  CHECK(MaskEmail("karen.taylor72@example.com") == "k***@example.com");
  CHECK(MaskMobile("+447294053474") == "mobile ending 3474");
}

TEST_CASE("dates of birth in school and ISO forms") {
  REQUIRE(ParseDate("29/2/2016", true).has_value());
  CHECK(FormatDate(*ParseDate("29/2/2016", true)) == "2016-02-29");
  CHECK(FormatDate(*ParseDate("29/02/2016", true)) == "2016-02-29");
  CHECK(FormatDate(*ParseDate(" 2016-02-29 ", true)) == "2016-02-29");
  CHECK_FALSE(ParseDate("29/2/2017", true).has_value());
  CHECK_FALSE(ParseDate("", true).has_value());
  CHECK_FALSE(ParseDate("0000-00-00", true).has_value());
}

TEST_CASE("clipping keeps whole characters") {
  CHECK(ClipCharacters("Noah", 10) == "Noah");
  CHECK(ClipCharacters("Noah", 2) == "No");
  CHECK(ClipCharacters("Zoë Ní", 3) == "Zoë");
  CHECK(ClipCharacters("Zoë Ní", 6) == "Zoë Ní");
  CHECK(ClipCharacters("", 0).empty());
}

}  // namespace
}  // namespace pp::link
