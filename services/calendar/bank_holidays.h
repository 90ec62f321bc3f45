// Bank holidays in Scotland, from data/scotland_bank_holidays.txt, which is
// compiled into the binary.
#ifndef PP_SERVICES_CALENDAR_BANK_HOLIDAYS_H_
#define PP_SERVICES_CALENDAR_BANK_HOLIDAYS_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace pp::calendar {

// Bank holidays by date, with their names.
using BankHolidays = std::map<absl::CivilDay, std::string>;

// Parses the data file format: one "YYYY-MM-DD name" a line, with blank
// lines and lines starting with # ignored. InvalidArgument names the first
// bad line.
absl::StatusOr<BankHolidays> ParseBankHolidays(std::string_view text);

// The shipped list, parsed once. A bad line in the data file logs an error
// and aborts the process at the first call, which the tests make.
const BankHolidays& ScottishBankHolidays();

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_BANK_HOLIDAYS_H_
