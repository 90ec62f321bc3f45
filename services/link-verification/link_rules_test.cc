#include "link_rules.h"

#include <catch2/catch.hpp>

namespace pp::link {
namespace {

absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::Time LondonTime(int year, int month, int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), London());
}

TEST_CASE("name keys forgive case, spaces and apostrophes") {
  CHECK(NameKey("  Noah  ") == "noah");
  CHECK(NameKey("Mary  Jane") == "mary jane");
  CHECK(NameKey("Mary\tJane") == "mary jane");
  CHECK(NameKey("O’Neill") == "o'neill");
  CHECK(NameKey("O‘Neill") == "o'neill");
  CHECK(NameKey("O'NEILL") == "o'neill");
  CHECK(NameKey("ÉILIDH") == "éilidh");
  CHECK(NameKey("NÍ BHRIAIN") == "ní bhriain");
  CHECK(NameKey("ŁUKASZ") == "łukasz");
  CHECK(NameKey("ŻANETA") == "żaneta");
}

TEST_CASE("name keys keep accents and hyphens") {
  CHECK(NameKey("Eòin") != NameKey("Eoin"));
  CHECK(NameKey("Smith-Jones") != NameKey("Smith Jones"));
  CHECK(NameKey("Smith-Jones") == "smith-jones");
}

TEST_CASE("name keys keep invalid UTF-8 bytes") {
  CHECK(NameKey("A\xff") == "a\xff");
  CHECK(NameKey("\xc3") == "\xc3");
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

TEST_CASE("mobiles in common formats are normalised") {
  CHECK(NormalizeUkMobile("07294 053474") == "07294053474");
  CHECK(NormalizeUkMobile("+44 7476 001182") == "07476001182");
  CHECK(NormalizeUkMobile("0044 7476 001182") == "07476001182");
  CHECK(NormalizeUkMobile("+44 (0)7476 001182") == "07476001182");
  CHECK(NormalizeUkMobile("(07442) 106 685") == "07442106685");
  CHECK(NormalizeUkMobile("07442-106-685") == "07442106685");
  CHECK_FALSE(NormalizeUkMobile("01738 123456").has_value());
  CHECK_FALSE(NormalizeUkMobile("0744210668").has_value());
  CHECK_FALSE(NormalizeUkMobile("07442 1O6 685").has_value());
  CHECK_FALSE(NormalizeUkMobile("+").has_value());
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
  CHECK(MaskMobile("07294053474") == "mobile ending 3474");
}

TEST_CASE("decide by counts five working days") {
  const absl::TimeZone london = London();
  struct Case {
    const char* name;
    absl::Time now;
    absl::Time expected;
  };
  const Case cases[] = {
      {"wednesday to next wednesday", LondonTime(2026, 3, 4, 10, 0),
       absl::FromCivil(absl::CivilSecond(2026, 3, 11, 23, 59, 59), london)},
      {"friday skips the weekend", LondonTime(2026, 3, 6, 16, 0),
       absl::FromCivil(absl::CivilSecond(2026, 3, 13, 23, 59, 59), london)},
      {"saturday counts from monday", LondonTime(2026, 3, 7, 9, 0),
       absl::FromCivil(absl::CivilSecond(2026, 3, 13, 23, 59, 59), london)},
      {"sunday counts from monday", LondonTime(2026, 3, 8, 23, 30),
       absl::FromCivil(absl::CivilSecond(2026, 3, 13, 23, 59, 59), london)},
      {"late friday in summer time", LondonTime(2026, 6, 5, 23, 30),
       absl::FromCivil(absl::CivilSecond(2026, 6, 12, 23, 59, 59), london)},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    CHECK(FormatTimestamp(DecideBy(test.now, london)) == FormatTimestamp(test.expected));
  }
  // 00:30 on a summer Saturday in London is still Friday in UTC, yet the
  // day that counts is London's.
  CHECK(FormatTimestamp(DecideBy(LondonTime(2026, 6, 6, 0, 30), london)) ==
        "2026-06-12T22:59:59+00:00");
}

}  // namespace
}  // namespace pp::link
