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

// Returns the form of a name that matching compares, built with ICU: NFC,
// full case folding ("ß" becomes "ss"), accents and other combining marks
// removed ("Zoë" becomes "zoe"), invisible format characters (Unicode's
// Cf, such as U+200B) removed, every apostrophe-like character made "'",
// and each run of white space, hyphens and dashes made one space, with none
// at either end. Letters without a decomposition, such as "ø" and "ł", are
// kept. Invalid UTF-8 becomes U+FFFD.
std::string NameKey(std::string_view name);

// The version of the stored keys: NameKey's rules, and since version 3 the
// contacts' PostcodeKey as well, and since version 4 format characters are
// dropped. Since version 5 PostcodeKey drops Unicode white space and format
// characters too. Stored keys made under another version are rebuilt when
// the store opens.
inline constexpr int kNameKeyVersion = 5;

// Returns the postcode in upper case without white space, Unicode's (such
// as the no-break space U+00A0) included, and without format characters
// (such as the zero-width space and the byte order mark), which exports
// copied from documents carry.
std::string PostcodeKey(std::string_view postcode);

// True when `postcode` has the shape of a UK postcode (A9 9AA, A99 9AA,
// A9A 9AA, AA9 9AA, AA99 9AA, AA9A 9AA), in any case, with or without the
// space. It does not check that the postcode exists.
bool IsUkPostcode(std::string_view postcode);

// Parses a real calendar date written as YYYY-MM-DD, or also as DD/MM/YYYY
// or D/M/YYYY when `allow_day_first` is set. Surrounding spaces are
// ignored. Returns nullopt for any other text or for a date that does not
// exist (31/02/2020).
std::optional<absl::CivilDay> ParseDate(std::string_view text, bool allow_day_first);

// Formats a day as YYYY-MM-DD.
std::string FormatDate(absl::CivilDay day);

// True for P1-P7 and S1-S6, in upper case.
bool IsStage(std::string_view stage);

// A telephone number in E.164 form (+447700900123), and whether it can
// take a text message.
struct PhoneNumber {
  std::string e164;
  bool mobile = false;
};

// Parses a number as school staff type it, with libphonenumber and the UK
// as the default country: "07700 900123", "+44 7700 900123",
// "0044 7700 900123", "+44 (0)7700 900123" and "7700900123" all give
// +447700900123. `mobile` is set for a UK number of 07 and nine digits
// other than 070, the same numbers the notification service texts, even
// where libphonenumber does not know the range (Ofcom's drama range 07700
// 900xxx among them). Returns nullopt for other text that libphonenumber
// does not accept as a valid number.
std::optional<PhoneNumber> ParsePhoneNumber(std::string_view text);

// True when `text` has one '@' with a non-empty local part before it, a
// domain with a dot after it, and no spaces.
bool IsEmailAddress(std::string_view text);

// Returns "k***@example.com" for "karen.taylor@example.com".
std::string MaskEmail(std::string_view email);

// Returns "mobile ending 3474" for "+447294053474".
std::string MaskMobile(std::string_view mobile);

// True when `text` is not usable as stored text: it contains U+FFFD (the
// mark of a failed decoding), a C0 or C1 control character other than tab,
// or a sequence that reads as UTF-8 decoded twice ("Ã©" for "é").
bool LooksGarbled(std::string_view text);

// Formats a time as RFC 3339 in UTC, to the second.
std::string FormatTimestamp(absl::Time time);

// Template values the notification service accepts are at most this many
// characters long.
inline constexpr size_t kMaxTemplateValueCharacters = 200;

// Returns valid UTF-8 `text` cut to at most `max_characters` Unicode
// characters, at a character boundary.
std::string ClipCharacters(std::string_view text, size_t max_characters);

}  // namespace pp::link

#endif  // PP_LINK_LINK_RULES_H_
