// Pure rules of linking: how roster values are checked, how names and
// postcodes are compared, how contact details are masked, and when a school
// must decide a request by.
#ifndef PP_LINK_LINK_RULES_H_
#define PP_LINK_LINK_RULES_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pp::link {

// Returns the form of a name that matching compares: surrounding spaces
// removed, runs of spaces made one, letters in lower case (ASCII, Latin-1
// and Latin Extended-A), and curly or modifier apostrophes made straight.
// Accents, hyphens and every other character are kept as they are.
std::string NameKey(std::string_view name);

// Returns the postcode without any spaces, in upper case.
std::string PostcodeKey(std::string_view postcode);

// True when `postcode` has the shape of a UK postcode (A9 9AA, A99 9AA,
// A9A 9AA, AA9 9AA, AA99 9AA, AA9A 9AA), in any case, with or without the
// space. It does not check that the postcode exists.
bool IsUkPostcode(std::string_view postcode);

// Parses a real calendar date written as YYYY-MM-DD, or also as DD/MM/YYYY
// when `allow_day_first` is set. Returns nullopt for any other text or for
// a date that does not exist (31/02/2020).
std::optional<absl::CivilDay> ParseDate(std::string_view text, bool allow_day_first);

// Formats a day as YYYY-MM-DD.
std::string FormatDate(absl::CivilDay day);

// True for P1-P7 and S1-S6, in upper case.
bool IsStage(std::string_view stage);

// Returns a UK mobile number as 11 digits starting 07, from the forms school
// staff type: spaces, hyphens, brackets, +44 or 0044 in front. Returns
// nullopt when it is not a UK mobile number.
std::optional<std::string> NormalizeUkMobile(std::string_view text);

// True when `text` has one '@' with a non-empty local part before it, a
// domain with a dot after it, and no spaces.
bool IsEmailAddress(std::string_view text);

// Returns "k***@example.com" for "karen.taylor@example.com".
std::string MaskEmail(std::string_view email);

// Returns "mobile ending 3474" for "07294053474".
std::string MaskMobile(std::string_view mobile);

// Returns the last second (23:59:59 in `zone`) of the fifth working day
// (Monday to Friday) after the day `now` falls on in `zone`. Bank holidays
// count as working days.
absl::Time DecideBy(absl::Time now, absl::TimeZone zone);

// Formats a time as RFC 3339 in UTC, to the second.
std::string FormatTimestamp(absl::Time time);

}  // namespace pp::link

#endif  // PP_LINK_LINK_RULES_H_
