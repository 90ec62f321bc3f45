#include "account_fields.h"

#include <cstdint>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "contact/contact.h"

namespace pp::identity {
namespace {

constexpr size_t kMaxNameCharacters = 100;
constexpr int kMinimumAge = 12;
constexpr int kEarliestBirthYear = 1900;

// Decodes UTF-8 into code points. Returns false for invalid or overlong
// sequences, surrogates and values above U+10FFFF.
bool DecodeUtf8(std::string_view text, std::vector<char32_t>& code_points) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    char32_t value = 0;
    size_t length = 0;
    if (lead < 0x80) {
      value = lead;
      length = 1;
    } else if ((lead >> 5) == 0x6) {
      value = lead & 0x1F;
      length = 2;
    } else if ((lead >> 4) == 0xE) {
      value = lead & 0x0F;
      length = 3;
    } else if ((lead >> 3) == 0x1E) {
      value = lead & 0x07;
      length = 4;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      value = (value << 6) | (next & 0x3F);
    }
    const char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
      return false;
    }
    code_points.push_back(value);
    i += length;
  }
  return true;
}

bool IsNameLetter(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  // Latin-1 Supplement letters (without the multiplication and division
  // signs), Latin Extended-A and -B.
  if (c >= 0x00C0 && c <= 0x024F) return c != 0x00D7 && c != 0x00F7;
  if (c >= 0x1E00 && c <= 0x1EFF) return true;         // Latin Extended Additional
  if (c >= 0x0386 && c <= 0x03CE) return c != 0x0387;  // Greek letters
  if (c >= 0x0400 && c <= 0x04FF) return true;         // Cyrillic
  return false;
}

bool IsCombiningAccent(char32_t c) { return c >= 0x0300 && c <= 0x036F; }

bool IsNamePunctuation(char32_t c) { return c == '-' || c == '\'' || c == 0x2019; }

}  // namespace

absl::StatusOr<std::string> NormaliseName(std::string_view field, std::string_view text) {
  std::string name_field(field);
  std::string trimmed(absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size())));
  if (trimmed.empty()) return absl::InvalidArgumentError(absl::StrCat(name_field, " is missing"));

  const absl::Status invalid = absl::InvalidArgumentError(
      absl::StrCat(name_field, " may contain only letters, spaces, hyphens and apostrophes"));
  std::vector<char32_t> code_points;
  if (!DecodeUtf8(trimmed, code_points)) return invalid;

  // Collapse runs of white space to one space, and check every character.
  std::string normalised;
  size_t characters = 0;
  bool has_letter = false;
  bool after_space = false;
  char32_t previous = 0;
  for (char32_t c : code_points) {
    bool is_space = c == ' ' || c == '\t';
    if (is_space) {
      after_space = true;
      continue;
    }
    if (IsNameLetter(c)) {
      has_letter = true;
    } else if (IsCombiningAccent(c)) {
      if (after_space || (!IsNameLetter(previous) && !IsCombiningAccent(previous))) {
        return invalid;
      }
    } else if (!IsNamePunctuation(c)) {
      return invalid;
    }
    if (after_space) {
      normalised += ' ';
      ++characters;
      after_space = false;
    }
    // Re-encode the code point as UTF-8.
    if (c < 0x80) {
      normalised += static_cast<char>(c);
    } else if (c < 0x800) {
      normalised += static_cast<char>(0xC0 | (c >> 6));
      normalised += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      normalised += static_cast<char>(0xE0 | (c >> 12));
      normalised += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      normalised += static_cast<char>(0x80 | (c & 0x3F));
    }
    ++characters;
    previous = c;
  }
  if (!has_letter) return invalid;
  if (characters > kMaxNameCharacters) {
    return absl::InvalidArgumentError(absl::StrCat(name_field, " is longer than 100 characters"));
  }
  return normalised;
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

absl::StatusOr<absl::CivilDay> ParseDateOfBirth(std::string_view text, absl::CivilDay today) {
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
  // the date does not exist.
  absl::CivilDay birth(year, month, day);
  if (birth.year() != year || birth.month() != month || birth.day() != day) {
    return absl::InvalidArgumentError(absl::StrCat("date_of_birth ", date, " is not a real date"));
  }
  if (year < kEarliestBirthYear) {
    return absl::InvalidArgumentError("date_of_birth must be in 1900 or later");
  }
  if (birth > today) return absl::InvalidArgumentError("date_of_birth is in the future");

  absl::CivilDay twelfth_birthday(year + kMinimumAge, month, day);
  if (today < twelfth_birthday) {
    return absl::InvalidArgumentError("You must be 12 or over to register");
  }
  return birth;
}

absl::StatusOr<RegistrationForm> NormaliseRegistration(const RegistrationForm& form,
                                                       absl::CivilDay today) {
  RegistrationForm normalised;
  absl::StatusOr<std::string> forename = NormaliseName("forename", form.forename);
  if (!forename.ok()) return forename.status();
  normalised.forename = *forename;

  absl::StatusOr<std::string> surname = NormaliseName("surname", form.surname);
  if (!surname.ok()) return surname.status();
  normalised.surname = *surname;

  absl::StatusOr<std::string> email = NormaliseAccountEmail(form.email);
  if (!email.ok()) return email.status();
  normalised.email = *email;

  absl::StatusOr<std::string> postcode = NormalisePostcode(form.postcode);
  if (!postcode.ok()) return postcode.status();
  normalised.postcode = *postcode;

  absl::StatusOr<std::string> gender = NormaliseGender(form.gender);
  if (!gender.ok()) return gender.status();
  normalised.gender = *gender;

  absl::StatusOr<absl::CivilDay> birth = ParseDateOfBirth(form.date_of_birth, today);
  if (!birth.ok()) return birth.status();
  normalised.date_of_birth =
      absl::StrFormat("%04d-%02d-%02d", birth->year(), birth->month(), birth->day());
  return normalised;
}

}  // namespace pp::identity
