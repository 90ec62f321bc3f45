#include "account_fields.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

namespace pp::identity {
namespace {

const absl::CivilDay kToday(2026, 12, 4);

struct Case {
  const char* input;
  const char* expected;  // nullptr when the input is invalid
};

}  // namespace

TEST_CASE("names are kept as typed and checked") {
  const Case cases[] = {
      {"Ann", "Ann"},
      {"  Mary  Ann ", "Mary  Ann"},
      {"Nic an tSaoir", "Nic an tSaoir"},
      {"Zoë", "Zoë"},
      {"O\u2018Neill", "O\u2018Neill"},
      {"李", "李"},
      {"محمد", "محمد"},
      {"देवी", "देवी"},          // Devanagari letters with a vowel sign
      {"ʻIolani", "ʻIolani"},  // a modifier letter okina
      {"Siobhán", "Siobhán"},
      {"Ó Ceallaigh", "Ó Ceallaigh"},
      {"O'Neill", "O'Neill"},
      {"O\u2019Neill", "O\u2019Neill"},
      {"Smith-Jones", "Smith-Jones"},
      {"MacGhille\u00ECosa", "MacGhille\u00ECosa"},
      {"Zoe\u0308", "Zoe\u0308"},  // e and a combining diaeresis
      {"Łukasz", "Łukasz"},
      {"Дмитрий", "Дмитрий"},
      {"", nullptr},
      {"   ", nullptr},
      {"Ann2", nullptr},
      {"Ann!", nullptr},
      {"-'-", nullptr},
      {"Ann\x01", nullptr},
      {"\xc3", nullptr},          // cut-off UTF-8
      {"\xc0\xa0", nullptr},      // overlong encoding
      {"\u0301Ann", nullptr},     // accent with no letter
      {"Ann \u0301", nullptr},    // accent after a space
      {"Ann\u00D7Bob", nullptr},  // multiplication sign
      {"Ann\tBob", nullptr},
      {"Ann\u00A0Bob", nullptr},  // a no-break space
      {"Ann.", nullptr},
      {"Ann\U0001F600", nullptr},  // an emoji
  };
  for (const Case& c : cases) {
    INFO("input: " << c.input);
    absl::StatusOr<std::string> name = NormaliseName("forename", c.input);
    if (c.expected == nullptr) {
      CHECK(name.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(std::string(name.status().message()).rfind("forename ", 0) == 0);
    } else {
      REQUIRE(name.ok());
      CHECK(*name == c.expected);
    }
  }
}

TEST_CASE("names of 100 characters are the limit") {
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "é";
  CHECK(NormaliseName("surname", hundred).ok());
  absl::StatusOr<std::string> longer = NormaliseName("surname", hundred + "é");
  CHECK(longer.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(longer.status().message() == "surname is longer than 100 characters");
}

TEST_CASE("account email is lower-cased") {
  CHECK(*NormaliseAccountEmail(" Ann.Smith@Example.COM ") == "ann.smith@example.com");
  CHECK(*NormaliseAccountEmail("Ann.Smith+School@Example.com") == "ann.smith+school@example.com");
  CHECK(EmailAsTyped(" Ann.Smith+School@Example.com ") == "Ann.Smith+School@Example.com");
  CHECK(NormaliseAccountEmail("").status().message() == "email is missing");
  absl::StatusOr<std::string> bad = NormaliseAccountEmail("ann at example.com");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).rfind("email ", 0) == 0);
}

TEST_CASE("postcodes are normalised") {
  const Case cases[] = {
      {"EH1 1YZ", "EH1 1YZ"},     {"eh11yz", "EH1 1YZ"},
      {"eh112ab", "EH11 2AB"},    {" EH11  2AB ", "EH11 2AB"},
      {"EH!1 2AB", nullptr},      {"EH11 2AB.", nullptr},
      {"  dd1  4hn ", "DD1 4HN"}, {"SW1A 2AA", "SW1A 2AA"},
      {"W1A 0AX", "W1A 0AX"},     {"M1 1AE", "M1 1AE"},
      {"B33 8TH", "B33 8TH"},     {"CR2 6XH", "CR2 6XH"},
      {"GIR 0AA", "GIR 0AA"},     {"", nullptr},
      {"EH1", nullptr},           {"EH1 1Y", nullptr},
      {"1EH 1YZ", nullptr},       {"EHH1 1YZ", nullptr},
      {"EH1 YZ1", nullptr},       {"EH1-1YZ", nullptr},
      {"EH12 3AB C", nullptr},    {"ÉH1 1YZ", nullptr},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.input);
    absl::StatusOr<std::string> postcode = NormalisePostcode(c.input);
    if (c.expected == nullptr) {
      CHECK(postcode.status().code() == absl::StatusCode::kInvalidArgument);
    } else {
      REQUIRE(postcode.ok());
      CHECK(*postcode == c.expected);
    }
  }
}

TEST_CASE("gender is one of four values") {
  CHECK(*NormaliseGender("female") == "female");
  CHECK(*NormaliseGender(" Male ") == "male");
  CHECK(*NormaliseGender("other") == "other");
  CHECK(*NormaliseGender("Prefer-Not-To-Say") == "prefer-not-to-say");
  CHECK(NormaliseGender("woman").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(NormaliseGender("").status().message() == "gender is missing");
}

TEST_CASE("date of birth must be real and past") {
  CHECK(*ParseDateOfBirth("1985-04-23", kToday) == absl::CivilDay(1985, 4, 23));
  const char* invalid[] = {"",           "23/04/1985", "1985-4-23",  "1985-04-23T00:00",
                           "1985-02-29", "1985-13-01", "1985-00-10", "1899-12-31",
                           "2026-12-05", "abcd-ef-gh", "+985-04-23"};
  for (const char* text : invalid) {
    INFO("input: " << text);
    absl::StatusOr<absl::CivilDay> date = ParseDateOfBirth(text, kToday);
    CHECK(date.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(date.status().message()).rfind("date_of_birth ", 0) == 0);
  }
}

TEST_CASE("impossible or future date is rejected") {
  for (const char* text : {"1985-02-31", "1985-02-29"}) {
    INFO("input: " << text);
    absl::StatusOr<absl::CivilDay> date = ParseDateOfBirth(text, kToday);
    CHECK(date.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(date.status().message() == absl::StrCat("date_of_birth ", text, " is not a real date"));
  }
  for (const char* text : {"2026-12-05", "2030-01-01"}) {
    INFO("input: " << text);
    absl::StatusOr<absl::CivilDay> date = ParseDateOfBirth(text, kToday);
    CHECK(date.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(date.status().message() == absl::StrCat("date_of_birth ", text, " is in the future"));
  }
  CHECK(*ParseDateOfBirth("2000-02-29", kToday) == absl::CivilDay(2000, 2, 29));
}

TEST_CASE("registrants must be 12 or over") {
  CHECK(ParseDateOfBirth("2014-12-04", kToday).ok());
  CHECK(ParseDateOfBirth("2014-12-03", kToday).ok());
  absl::StatusOr<absl::CivilDay> young = ParseDateOfBirth("2014-12-05", kToday);
  CHECK(young.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(young.status().message() == "You must be 12 or over to register");
  CHECK(ParseDateOfBirth("2026-12-04", kToday).status().message() ==
        "You must be 12 or over to register");
}

TEST_CASE("leap-day birthday turns 12 on 1 March") {
  // Twelve years after a leap year is a leap year, except across 2100.
  CHECK_FALSE(ParseDateOfBirth("2012-02-29", absl::CivilDay(2024, 2, 28)).ok());
  CHECK(ParseDateOfBirth("2012-02-29", absl::CivilDay(2024, 2, 29)).ok());
  CHECK_FALSE(ParseDateOfBirth("2088-02-29", absl::CivilDay(2100, 2, 28)).ok());
  CHECK(ParseDateOfBirth("2088-02-29", absl::CivilDay(2100, 3, 1)).ok());
}

TEST_CASE("registration reports every invalid field") {
  RegistrationForm form{"Ann", "Smith", "ann@example.com", "eh1 1yz", "female", "1985-04-23"};
  absl::StatusOr<RegistrationForm> valid = NormaliseRegistration(form, kToday);
  REQUIRE(valid.ok());
  CHECK(valid->postcode == "EH1 1YZ");
  CHECK(valid->date_of_birth == "1985-04-23");

  form.surname = "";
  form.gender = "unknown";
  form.date_of_birth = "2020-01-01";
  absl::StatusOr<RegistrationForm> invalid = NormaliseRegistration(form, kToday);
  CHECK(invalid.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(invalid.status().message() ==
        "surname is missing\n"
        "gender must be one of female, male, other or prefer-not-to-say\n"
        "date_of_birth: You must be 12 or over to register");

  form.date_of_birth = "1985-02-30";
  CHECK(NormaliseRegistration(form, kToday).status().message() ==
        "surname is missing\n"
        "gender must be one of female, male, other or prefer-not-to-say\n"
        "date_of_birth 1985-02-30 is not a real date");
}

}  // namespace pp::identity
