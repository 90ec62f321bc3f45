#include "account_fields.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "contact/contact.h"

namespace pp::identity {
namespace {

constexpr size_t kMaxNameCharacters = 100;
constexpr int kMinimumAge = 12;
constexpr int kEarliestBirthYear = 1900;

// The characters a name may contain besides letters and marks: the space,
// the hyphen, and the straight and curly apostrophes (U+2019, and U+2018,
// which keyboards sometimes put in its place).
bool IsNamePunctuation(UChar32 c) {
  return c == ' ' || c == '-' || c == '\'' || c == 0x2019 || c == 0x2018;
}

bool IsLetter(UChar32 c) {
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return true;
    default:
      return false;
  }
}

// Combining accents and the vowel signs of scripts such as Devanagari.
bool IsMark(UChar32 c) {
  switch (u_charType(c)) {
    case U_NON_SPACING_MARK:
    case U_COMBINING_SPACING_MARK:
    case U_ENCLOSING_MARK:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::StatusOr<std::string> NormaliseName(std::string_view field, std::string_view text) {
  std::string name_field(field);
  std::string trimmed(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  if (trimmed.empty()) return absl::InvalidArgumentError(absl::StrCat(name_field, " is missing"));

  const absl::Status invalid = absl::InvalidArgumentError(
      absl::StrCat(name_field, " may contain only letters, spaces, hyphens and apostrophes"));
  // U8_NEXT returns a negative code point for invalid UTF-8.
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(trimmed.data());
  int32_t length = static_cast<int32_t>(trimmed.size());
  int32_t offset = 0;
  size_t characters = 0;
  bool has_letter = false;
  bool after_letter_or_mark = false;
  while (offset < length) {
    UChar32 c = 0;
    U8_NEXT(bytes, offset, length, c);
    if (c < 0) return invalid;
    ++characters;
    if (IsLetter(c)) {
      has_letter = true;
      after_letter_or_mark = true;
    } else if (IsMark(c)) {
      // A mark changes the letter before it, so it cannot stand alone.
      if (!after_letter_or_mark) return invalid;
    } else if (IsNamePunctuation(c)) {
      after_letter_or_mark = false;
    } else {
      return invalid;
    }
  }
  if (!has_letter) return invalid;
  if (characters > kMaxNameCharacters) {
    return absl::InvalidArgumentError(absl::StrCat(name_field, " is longer than 100 characters"));
  }
  return trimmed;
}

std::string EmailAsTyped(std::string_view text) {
  return std::string(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
}

absl::StatusOr<std::string> NormaliseAccountEmail(std::string_view text) {
  absl::StatusOr<std::string> email = contact::NormaliseEmail(text);
  if (!email.ok()) {
    if (absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())).empty()) {
      return absl::InvalidArgumentError("email is missing");
    }
    return absl::InvalidArgumentError(
        "email is not a valid email address: it needs a name, one @ and a domain, such as "
        "name@example.com");
  }
  return absl::AsciiStrToLower(*email);
}

absl::StatusOr<std::string> NormalisePostcode(std::string_view text) {
  std::string compact;
  for (char c : text) {
    if (c == ' ' || c == '\t') continue;
    compact += absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  if (compact.empty()) return absl::InvalidArgumentError("postcode is missing");
  const absl::Status invalid =
      absl::InvalidArgumentError("postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA");

  // Outward code A9, A99, AA9, AA99, A9A or AA9A, then inward code 9AA.
  if (compact.size() < 5 || compact.size() > 7) return invalid;
  std::string outward = compact.substr(0, compact.size() - 3);
  std::string inward = compact.substr(compact.size() - 3);
  auto letter = [](char c) { return absl::ascii_isupper(static_cast<unsigned char>(c)); };
  auto digit = [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); };
  if (!digit(inward[0]) || !letter(inward[1]) || !letter(inward[2])) return invalid;

  size_t letters = 0;
  while (letters < outward.size() && letter(outward[letters])) ++letters;
  bool outward_ok = false;
  if ((letters == 1 || letters == 2) && letters < outward.size() && digit(outward[letters])) {
    std::string rest = outward.substr(letters + 1);
    outward_ok = rest.empty() || (rest.size() == 1 && (digit(rest[0]) || letter(rest[0])));
  }
  // GIR 0AA is the one postcode outside the pattern still in use.
  if (compact == "GIR0AA") outward_ok = true;
  if (!outward_ok) return invalid;
  return absl::StrCat(outward, " ", inward);
}

absl::StatusOr<std::string> NormaliseGender(std::string_view text) {
  std::string gender = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  if (gender.empty()) return absl::InvalidArgumentError("gender is missing");
  if (gender == "female" || gender == "male" || gender == "other" ||
      gender == "prefer-not-to-say") {
    return gender;
  }
  return absl::InvalidArgumentError(
      "gender must be one of female, male, other or prefer-not-to-say");
}

absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text, absl::CivilDay today) {
  std::string date(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  if (date.empty()) return absl::InvalidArgumentError("date_of_birth is missing");
  const absl::Status badly_written =
      absl::InvalidArgumentError("date_of_birth must be written YYYY-MM-DD, such as 1985-04-23");

  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return badly_written;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(date[i]))) return badly_written;
  }
  int year = 0;
  int month = 0;
  int day = 0;
  if (!absl::SimpleAtoi(date.substr(0, 4), &year) || !absl::SimpleAtoi(date.substr(5, 2), &month) ||
      !absl::SimpleAtoi(date.substr(8, 2), &day)) {
    return badly_written;
  }

  // CivilDay normalises 2023-02-30 to 2023-03-02, so a changed field means
  // the date does not exist. A date after today cannot be a birth date.
  absl::CivilDay birth(year, month, day);
  if (birth.year() != year || birth.month() != month || birth.day() != day) {
    return absl::InvalidArgumentError(absl::StrCat("date_of_birth ", date, " is not a real date"));
  }
  if (birth > today) {
    return absl::InvalidArgumentError(absl::StrCat("date_of_birth ", date, " is in the future"));
  }
  if (year < kEarliestBirthYear) {
    return absl::InvalidArgumentError("date_of_birth must be in 1900 or later");
  }
  return birth;
}

absl::StatusOr<absl::CivilDay> ParseDateOfBirth(std::string_view text, absl::CivilDay today) {
  absl::StatusOr<absl::CivilDay> birth = ParseDate(text, today);
  if (!birth.ok()) return birth.status();

  // Someone born on 29 February turns 12 on 1 March in a year without
  // that day, because CivilDay normalises 29 February to 1 March.
  absl::CivilDay twelfth_birthday(birth->year() + kMinimumAge, birth->month(), birth->day());
  if (today < twelfth_birthday) {
    return absl::InvalidArgumentError("You must be 12 or over to register");
  }
  return birth;
}

absl::StatusOr<RegistrationForm> NormaliseRegistration(const RegistrationForm& form,
                                                       absl::CivilDay today) {
  RegistrationForm normalised;
  std::vector<std::string> errors;
  // Keeps a field's normal form, or its error in the list of them.
  auto keep = [&errors](const absl::StatusOr<std::string>& checked, std::string& field) {
    if (checked.ok()) {
      field = *checked;
    } else {
      errors.emplace_back(checked.status().message());
    }
  };
  keep(NormaliseName("forename", form.forename), normalised.forename);
  keep(NormaliseName("surname", form.surname), normalised.surname);
  keep(NormaliseAccountEmail(form.email), normalised.email);
  keep(NormalisePostcode(form.postcode), normalised.postcode);
  keep(NormaliseGender(form.gender), normalised.gender);

  absl::StatusOr<absl::CivilDay> birth = ParseDateOfBirth(form.date_of_birth, today);
  if (birth.ok()) {
    normalised.date_of_birth =
        absl::StrFormat("%04d-%02d-%02d", birth->year(), birth->month(), birth->day());
  } else if (absl::StartsWith(birth.status().message(), "date_of_birth ")) {
    errors.emplace_back(birth.status().message());
  } else {
    // The age message is written to the person, so it gets a prefix that
    // names its field.
    errors.push_back(absl::StrCat("date_of_birth: ", birth.status().message()));
  }

  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  return normalised;
}

}  // namespace pp::identity
