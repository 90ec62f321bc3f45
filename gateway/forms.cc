#include "gateway/forms.h"

#include <cctype>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace pp::gateway {
namespace {

bool AllDigits(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Returns YYYY-MM-DD when the numbers name a real day in a plausible year.
absl::StatusOr<std::string> MakeDate(int year, int month, int day, const std::string& label) {
  absl::CivilDay civil(year, month, day);
  if (civil.year() != year || civil.month() != month || civil.day() != day) {
    return absl::InvalidArgumentError(
        absl::StrCat("The ", label, " is not a real date. Check the day, month and year."));
  }
  if (year < 1900 || year > 2200) {
    return absl::InvalidArgumentError(
        absl::StrCat("The ", label, " must have a year from 1900 to 2200."));
  }
  return absl::StrFormat("%04d-%02d-%02d", year, month, day);
}

}  // namespace

std::string FormField(const httplib::Request& request, const std::string& name) {
  if (!request.has_param(name)) return "";
  return std::string(absl::StripAsciiWhitespace(request.get_param_value(name)));
}

std::string RawFormField(const httplib::Request& request, const std::string& name) {
  return request.has_param(name) ? request.get_param_value(name) : "";
}

std::string BodyFormField(const httplib::Request& request, const std::string& name) {
  // The media type may carry parameters, such as "; charset=UTF-8".
  std::string content_type = request.get_header_value("Content-Type");
  absl::string_view media_type =
      absl::StripAsciiWhitespace(absl::string_view(content_type).substr(0, content_type.find(';')));
  if (!absl::EqualsIgnoreCase(media_type, "application/x-www-form-urlencoded")) return "";

  // cpp-httplib 0.11 merges the query string and the body into
  // request.params, so the body is parsed again on its own.
  httplib::Params fields;
  httplib::detail::parse_query_text(request.body, fields);
  auto found = fields.find(name);
  if (found == fields.end()) return "";
  return std::string(absl::StripAsciiWhitespace(found->second));
}

absl::StatusOr<std::string> DateField(const httplib::Request& request, const std::string& name,
                                      const std::string& label) {
  std::string whole = FormField(request, name);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!whole.empty()) {
    // One field: exactly YYYY-MM-DD.
    std::vector<std::string> parts = absl::StrSplit(whole, '-');
    if (whole.size() != 10 || parts.size() != 3 || parts[0].size() != 4 || !AllDigits(parts[0]) ||
        !AllDigits(parts[1]) || !AllDigits(parts[2]) || !absl::SimpleAtoi(parts[0], &year) ||
        !absl::SimpleAtoi(parts[1], &month) || !absl::SimpleAtoi(parts[2], &day)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Enter the ", label, " as YYYY-MM-DD, for example 2015-03-27."));
    }
    return MakeDate(year, month, day, label);
  }

  // Three fields, as the page shows them.
  std::string day_text = FormField(request, name + "-day");
  std::string month_text = FormField(request, name + "-month");
  std::string year_text = FormField(request, name + "-year");
  if (day_text.empty() && month_text.empty() && year_text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("Enter the ", label, "."));
  }
  if (!AllDigits(day_text) || !AllDigits(month_text) || !AllDigits(year_text) ||
      year_text.size() != 4 || day_text.size() > 2 || month_text.size() > 2 ||
      !absl::SimpleAtoi(day_text, &day) || !absl::SimpleAtoi(month_text, &month) ||
      !absl::SimpleAtoi(year_text, &year)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Enter the ", label,
                     " as numbers: day, month and a four-digit year, for example 27 3 2015."));
  }
  return MakeDate(year, month, day, label);
}

std::string CookieValue(const httplib::Request& request, const std::string& name) {
  size_t headers = request.get_header_value_count("Cookie");
  for (size_t i = 0; i < headers; ++i) {
    std::string header = request.get_header_value("Cookie", i);
    for (absl::string_view pair : absl::StrSplit(header, ';')) {
      pair = absl::StripAsciiWhitespace(pair);
      size_t equals = pair.find('=');
      if (equals == absl::string_view::npos) continue;
      if (pair.substr(0, equals) != name) continue;
      absl::string_view value = pair.substr(equals + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
  }
  return "";
}

std::string SetCookieValue(const std::string& name, const std::string& value,
                           const CookieAttributes& attributes) {
  std::string header = absl::StrCat(name, "=", value, "; Path=", attributes.path);
  if (attributes.max_age >= 0) absl::StrAppend(&header, "; Max-Age=", attributes.max_age);
  absl::StrAppend(&header, "; HttpOnly; SameSite=Lax");
  if (attributes.secure) absl::StrAppend(&header, "; Secure");
  return header;
}

}  // namespace pp::gateway
