#include "gateway/forms.h"

#include <catch2/catch.hpp>

namespace pp::gateway {
namespace {

httplib::Request WithParams(httplib::Params params) {
  httplib::Request request;
  request.params = std::move(params);
  return request;
}

TEST_CASE("date field accepts one YYYY-MM-DD value") {
  absl::StatusOr<std::string> date =
      DateField(WithParams({{"dob", " 2015-03-27 "}}), "dob", "date of birth");
  REQUIRE(date.ok());
  CHECK(*date == "2015-03-27");
}

TEST_CASE("date field pads three parts") {
  absl::StatusOr<std::string> date = DateField(
      WithParams({{"dob-day", "7"}, {"dob-month", "3"}, {"dob-year", "2015"}}), "dob", "date");
  REQUIRE(date.ok());
  CHECK(*date == "2015-03-07");
}

TEST_CASE("date field rejects bad dates") {
  const httplib::Params cases[] = {
      {},
      {{"dob", "27/03/2015"}},
      {{"dob", "2015-3-7"}},
      {{"dob", "2015-02-29"}},
      {{"dob", "2015-13-01"}},
      {{"dob-day", "31"}, {"dob-month", "4"}, {"dob-year", "2015"}},
      {{"dob-day", "1"}, {"dob-month", "4"}},
      {{"dob-day", "1"}, {"dob-month", "4"}, {"dob-year", "15"}},
      {{"dob-day", "x"}, {"dob-month", "4"}, {"dob-year", "2015"}},
      {{"dob-day", "1"}, {"dob-month", "4"}, {"dob-year", "1066"}},
  };
  for (const httplib::Params& params : cases) {
    absl::StatusOr<std::string> date = DateField(WithParams(params), "dob", "date of birth");
    INFO((date.ok() ? *date : std::string(date.status().message())));
    CHECK(date.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("date field names a year out of range") {
  for (const char* year : {"1066", "1899", "2201"}) {
    INFO(year);
    absl::StatusOr<std::string> date =
        DateField(WithParams({{"dob-day", "1"}, {"dob-month", "4"}, {"dob-year", year}}), "dob",
                  "date of birth");
    CHECK(date.status().message() == "The date of birth must have a year from 1900 to 2200.");
  }
  CHECK(*DateField(WithParams({{"dob", "1900-01-01"}}), "dob", "date of birth") == "1900-01-01");
}

TEST_CASE("date field message names the field") {
  absl::StatusOr<std::string> date = DateField(WithParams({}), "dob", "child's date of birth");
  CHECK(date.status().message() == "Enter the child's date of birth.");
}

TEST_CASE("cookie found among several") {
  httplib::Request request;
  request.headers.emplace("Cookie", "a=1; pp_session=abc; pp_csrf=\"quoted\"");
  request.headers.emplace("Cookie", "later=2");
  CHECK(CookieValue(request, "pp_session") == "abc");
  CHECK(CookieValue(request, "pp_csrf") == "quoted");
  CHECK(CookieValue(request, "later") == "2");
  CHECK(CookieValue(request, "pp_sess").empty());
  CHECK(CookieValue(request, "missing").empty());
}

TEST_CASE("set-cookie carries attributes") {
  CookieAttributes attributes;
  CHECK(SetCookieValue("a", "b", attributes) == "a=b; Path=/; HttpOnly; SameSite=Lax");
  attributes.max_age = 1800;
  attributes.path = "/link";
  attributes.secure = true;
  CHECK(SetCookieValue("a", "b", attributes) ==
        "a=b; Path=/link; Max-Age=1800; HttpOnly; SameSite=Lax; Secure");
}

TEST_CASE("body field ignores query string") {
  httplib::Request request;
  request.set_header("Content-Type", "application/x-www-form-urlencoded");
  request.body = "token=%20from+body%20&other=1";
  request.params = {{"token", "from query"}, {"token", " from body "}, {"other", "1"}};
  CHECK(BodyFormField(request, "token") == "from body");
  CHECK(BodyFormField(request, "missing").empty());

  // The query string alone gives nothing.
  request.body = "";
  CHECK(BodyFormField(request, "token").empty());
  CHECK(FormField(request, "token") == "from query");

  // Nor does a body that is not url-encoded.
  request.body = "token=x";
  request.headers = {{"Content-Type", "text/plain"}};
  CHECK(BodyFormField(request, "token").empty());
  request.headers = {{"Content-Type", "Application/X-WWW-Form-Urlencoded ; charset=utf-8"}};
  CHECK(BodyFormField(request, "token") == "x");
}

TEST_CASE("only FormField trims whitespace") {
  httplib::Request request = WithParams({{"password", "  two spaces  "}});
  CHECK(FormField(request, "password") == "two spaces");
  CHECK(RawFormField(request, "password") == "  two spaces  ");
  CHECK(FormField(request, "missing").empty());
}

}  // namespace
}  // namespace pp::gateway
