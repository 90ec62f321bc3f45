#include "contact/contact.h"

#include <catch2/catch.hpp>

namespace {

struct Case {
  const char* input;
  const char* expected;  // nullptr when the input is invalid
};

}  // namespace

TEST_CASE("email addresses are accepted or rejected") {
  const Case cases[] = {
      {"ann@example.com", "ann@example.com"},
      {"  Ann.Smith@Example.CO.UK \n", "Ann.Smith@example.co.uk"},
      {"o'neill+school@mail.example.org", "o'neill+school@mail.example.org"},
      {"a@b-c.scot", "a@b-c.scot"},
      {"", nullptr},
      {"   ", nullptr},
      {"ann", nullptr},
      {"ann@", nullptr},
      {"@example.com", nullptr},
      {"ann@example", nullptr},
      {"ann@@example.com", nullptr},
      {"ann@b@example.com", nullptr},
      {"ann smith@example.com", nullptr},
      {"ann@example.c", nullptr},
      {"ann@example.123", nullptr},
      {"ann@-example.com", nullptr},
      {"ann@example..com", nullptr},
      {".ann@example.com", nullptr},
      {"ann..smith@example.com", nullptr},
      {"<ann@example.com>", nullptr},
      {"ann@example.com\r\nBcc: x@example.com", nullptr},
      {"\xc3\xa9lise@example.com", nullptr},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.input);
    absl::StatusOr<std::string> email = pp::contact::NormaliseEmail(c.input);
    if (c.expected == nullptr) {
      CHECK(email.status().code() == absl::StatusCode::kInvalidArgument);
    } else {
      REQUIRE(email.ok());
      CHECK(*email == c.expected);
    }
  }
}

TEST_CASE("email longer than 254 characters is rejected") {
  std::string email = std::string(64, 'a') + "@" + std::string(60, 'b') + "." +
                      std::string(62, 'c') + "." + std::string(63, 'd') + ".com";
  REQUIRE(email.size() > 254);
  CHECK(pp::contact::NormaliseEmail(email).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("UK mobile numbers are normalised to E.164") {
  const Case cases[] = {
      {"07294 053474", "+447294053474"},
      {"07294053474", "+447294053474"},
      {"+44 7294 053474", "+447294053474"},
      {"+447294053474", "+447294053474"},
      {"0044 7294 053474", "+447294053474"},
      {"44 7294 053474", "+447294053474"},
      {"+44 (0)7294 053474", "+447294053474"},
      {"(07294) 053-474", "+447294053474"},
      {"07294.053.474", "+447294053474"},
      {"7294 053474", "+447294053474"},
      {"", nullptr},
      {"mobile", nullptr},
      {"0131 496 0000", nullptr},
      {"07294 05347", nullptr},
      {"07294 0534745", nullptr},
      {"07012 345678", nullptr},
      {"+33 6 12 34 56 78", nullptr},
      {"+1 7294 053474", nullptr},
      {"07294 053474 ext 2", nullptr},
      {"07294+053474", nullptr},
  };
  for (const Case& c : cases) {
    INFO("input: " << c.input);
    absl::StatusOr<std::string> mobile = pp::contact::NormaliseUkMobile(c.input);
    if (c.expected == nullptr) {
      CHECK(mobile.status().code() == absl::StatusCode::kInvalidArgument);
    } else {
      REQUIRE(mobile.ok());
      CHECK(*mobile == c.expected);
    }
  }
}
