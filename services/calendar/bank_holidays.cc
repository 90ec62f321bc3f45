#include "bank_holidays.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "log/log.h"

namespace pp::calendar {

// Defined in the source file that CMake generates from the data file.
extern const char kScottishBankHolidaysText[];

absl::StatusOr<BankHolidays> ParseBankHolidays(std::string_view text) {
  BankHolidays holidays;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_number;
    line = absl::StripTrailingAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;

    absl::CivilDay day;
    std::string date(line.substr(0, 10));
    absl::string_view name =
        absl::StripLeadingAsciiWhitespace(line.substr(std::min<size_t>(10, line.size())));
    if (date.size() != 10 || !absl::ParseCivilTime(date, &day) || line.size() < 11 ||
        line[10] != ' ' || name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bank holiday line ", line_number, " is not \"YYYY-MM-DD name\": \"", line, "\""));
    }
    holidays[day] = std::string(name);
  }
  return holidays;
}

const BankHolidays& ScottishBankHolidays() {
  static const BankHolidays* holidays = [] {
    absl::StatusOr<BankHolidays> parsed = ParseBankHolidays(kScottishBankHolidaysText);
    if (!parsed.ok()) {
      log::Error("bank_holidays_invalid").Field("error", parsed.status().message());
      std::abort();
    }
    return new BankHolidays(std::move(*parsed));
  }();
  return *holidays;
}

}  // namespace pp::calendar
