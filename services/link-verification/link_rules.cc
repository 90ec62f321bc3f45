#include "link_rules.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "contact/contact.h"
#include "phonenumbers/phonenumberutil.h"

namespace pp::link {
namespace {

// ICU calls here fail only when ICU's data is missing or memory runs out.
// The service cannot compare names without ICU, so it stops.
#define CHECK_ICU(error)                                            \
  do {                                                              \
    if (U_FAILURE(error)) {                                         \
      std::fprintf(stderr, "ICU failed: %s\n", u_errorName(error)); \
      std::abort();                                                 \
    }                                                               \
  } while (false)

// Characters that people and keyboards use for an apostrophe: the straight
// one, the curly ones, the modifier letter, the grave and acute accents, the
// prime and the full-width form.
bool IsApostrophe(UChar32 c) {
  return c == 0x27 || c == 0x2018 || c == 0x2019 || c == 0x201B || c == 0x02BC || c == 0x60 ||
         c == 0xB4 || c == 0x2032 || c == 0xFF07;
}

// Returns true for a format character, such as the zero-width space, the
// soft hyphen or the byte order mark, which shows nothing where it stands.
bool IsInvisible(UChar32 c) { return u_charType(c) == U_FORMAT_CHAR; }

// White space, and hyphens and dashes of every kind, separate the parts of
// a double-barrelled or multi-word name.
bool IsSeparator(UChar32 c) {
  return u_isUWhiteSpace(c) || u_charType(c) == U_DASH_PUNCTUATION || c == 0x2212;
}

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsLetter(char c) { return absl::ascii_isalpha(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }

std::optional<absl::CivilDay> MakeDay(std::string_view year, std::string_view month,
                                      std::string_view day) {
  int y = 0;
  int m = 0;
  int d = 0;
  if (!AllDigits(year) || !AllDigits(month) || !AllDigits(day)) return std::nullopt;
  if (!absl::SimpleAtoi(absl::string_view(year.data(), year.size()), &y) ||
      !absl::SimpleAtoi(absl::string_view(month.data(), month.size()), &m) ||
      !absl::SimpleAtoi(absl::string_view(day.data(), day.size()), &d)) {
    return std::nullopt;
  }
  // CivilDay normalises 31/02 to 02/03, so a changed field means no such day.
  absl::CivilDay civil(y, m, d);
  if (civil.year() != y || civil.month() != m || civil.day() != d) return std::nullopt;
  return civil;
}

// Appends the key characters of a folded name to `folded`, as NameKey's
// last steps do. `next` returns each character in turn, then nullopt.
template <typename NextChar>
void AppendKeyCharacters(NextChar next, icu::UnicodeString& folded) {
  bool pending_separator = false;
  for (std::optional<UChar32> c = next(); c.has_value(); c = next()) {
    // Format characters, such as the zero-width space and the soft hyphen,
    // are invisible, so a name typed without them must still match.
    if (u_charType(*c) == U_NON_SPACING_MARK || IsInvisible(*c)) continue;
    if (IsSeparator(*c)) {
      pending_separator = !folded.isEmpty();
      continue;
    }
    if (pending_separator) folded.append(static_cast<UChar>(' '));
    pending_separator = false;
    folded.append(IsApostrophe(*c) ? static_cast<UChar32>('\'') : *c);
  }
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::string NameKey(std::string_view name) {
  // Most names are plain ASCII, whose normal forms are themselves and whose
  // case folding is lower case, so they skip the normalizers and keep the
  // same rules for separators, apostrophes and invisible characters.
  if (IsAscii(name)) {
    icu::UnicodeString folded;
    size_t i = 0;
    AppendKeyCharacters(
        [&]() -> std::optional<UChar32> {
          if (i == name.size()) return std::nullopt;
          return absl::ascii_tolower(static_cast<unsigned char>(name[i++]));
        },
        folded);
    std::string key;
    folded.toUTF8String(key);
    return key;
  }

  UErrorCode error = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(error);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(error);
  // Both instances are built into ICU's data, so failing to load them means
  // a broken ICU installation, not bad input.
  CHECK_ICU(error);

  // Fold case on the NFC form, then decompose, so that the accents of the
  // folded letters (and of letters typed with combining marks) come apart
  // and can be dropped.
  icu::UnicodeString text =
      icu::UnicodeString::fromUTF8(icu::StringPiece(name.data(), name.size()));
  text = nfc->normalize(text, error);
  text.foldCase(U_FOLD_CASE_DEFAULT);
  text = nfd->normalize(text, error);
  CHECK_ICU(error);

  icu::UnicodeString folded;
  int32_t i = 0;
  AppendKeyCharacters(
      [&]() -> std::optional<UChar32> {
        if (i >= text.length()) return std::nullopt;
        UChar32 c = text.char32At(i);
        i = text.moveIndex32(i, 1);
        return c;
      },
      folded);
  folded = nfc->normalize(folded, error);
  CHECK_ICU(error);

  std::string key;
  folded.toUTF8String(key);
  return key;
}

std::string PostcodeKey(std::string_view postcode) {
  std::string key;
  const int32_t length = static_cast<int32_t>(postcode.size());
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    UChar32 c = 0;
    U8_NEXT(postcode.data(), i, length, c);
    if (c >= 0 && (u_isUWhiteSpace(c) || IsInvisible(c))) continue;
    if (c >= 0 && c < 0x80) {
      key.push_back(absl::ascii_toupper(static_cast<unsigned char>(c)));
    } else {
      key.append(postcode.substr(start, i - start));
    }
  }
  return key;
}

bool IsUkPostcode(std::string_view postcode) {
  std::string key = PostcodeKey(postcode);
  if (key.size() < 5 || key.size() > 7) return false;
  std::string_view inward = std::string_view(key).substr(key.size() - 3);
  std::string_view outward = std::string_view(key).substr(0, key.size() - 3);
  if (!IsDigit(inward[0]) || !IsLetter(inward[1]) || !IsLetter(inward[2])) return false;

  // The outward code: one or two letters, a digit, then an optional digit
  // or letter.
  size_t i = 0;
  while (i < outward.size() && i < 2 && IsLetter(outward[i])) ++i;
  if (i == 0 || i >= outward.size() || !IsDigit(outward[i])) return false;
  ++i;
  if (i < outward.size() && (IsDigit(outward[i]) || IsLetter(outward[i]))) ++i;
  return i == outward.size();
}

std::optional<absl::CivilDay> ParseDate(std::string_view text, bool allow_day_first) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
    return MakeDay(text.substr(0, 4), text.substr(5, 2), text.substr(8, 2));
  }
  if (!allow_day_first) return std::nullopt;
  size_t first = text.find('/');
  size_t second = first == std::string_view::npos ? first : text.find('/', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  std::string_view day = text.substr(0, first);
  std::string_view month = text.substr(first + 1, second - first - 1);
  std::string_view year = text.substr(second + 1);
  if (day.size() > 2 || month.size() > 2 || year.size() != 4) return std::nullopt;
  return MakeDay(year, month, day);
}

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

bool IsStage(std::string_view stage) {
  if (stage.size() != 2) return false;
  if (stage[0] == 'P') return stage[1] >= '1' && stage[1] <= '7';
  if (stage[0] == 'S') return stage[1] >= '1' && stage[1] <= '6';
  return false;
}

std::optional<PhoneNumber> ParsePhoneNumber(std::string_view text) {
  // Most roster rows hold a UK mobile in one of the usual forms, which
  // pp::contact reads to the same result without libphonenumber, whose ICU
  // regular expressions were the largest single cost in a profile of a
  // 700,000-pupil roster sync.
  if (absl::StatusOr<std::string> mobile = contact::NormaliseUkMobile(text); mobile.ok()) {
    return PhoneNumber{*std::move(mobile), true};
  }

  using i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber parsed;
  if (util->Parse(std::string(text), "GB", &parsed) != PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::nullopt;
  }
  PhoneNumber number;
  util->Format(parsed, PhoneNumberUtil::E164, &number.e164);

  // A UK number of 07 and nine digits (other than 070, which are personal
  // numbers) is treated as a mobile whether or not libphonenumber knows the
  // range as allocated: its data lags Ofcom's allocations, and Ofcom keeps
  // 07700 900000-900999 for drama, which it reports as invalid.
  const std::string national = std::to_string(parsed.national_number());
  number.mobile = parsed.country_code() == 44 && national.size() == 10 && national[0] == '7' &&
                  national[1] != '0';
  if (number.mobile) return number;
  if (!util->IsValidNumber(parsed)) return std::nullopt;
  PhoneNumberUtil::PhoneNumberType type = util->GetNumberType(parsed);
  number.mobile = parsed.country_code() == 44 && (type == PhoneNumberUtil::MOBILE ||
                                                  type == PhoneNumberUtil::FIXED_LINE_OR_MOBILE);
  return number;
}

bool IsEmailAddress(std::string_view text) {
  size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  if (text.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : text) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || absl::ascii_iscntrl(c)) return false;
  }
  std::string_view domain = text.substr(at + 1);
  size_t dot = domain.find('.');
  return dot != std::string_view::npos && dot > 0 && domain.back() != '.';
}

std::string MaskEmail(std::string_view email) {
  size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return absl::StrCat(std::string(email.substr(0, 1)), "***", std::string(email.substr(at)));
}

std::string MaskMobile(std::string_view mobile) {
  std::string_view last = mobile.size() >= 4 ? mobile.substr(mobile.size() - 4) : mobile;
  return absl::StrCat("mobile ending ", std::string(last));
}

bool LooksGarbled(std::string_view text) {
  bool multibyte = false;
  icu::UnicodeString visible;
  for (int32_t i = 0; i < static_cast<int32_t>(text.size());) {
    UChar32 c = 0;
    U8_NEXT(text.data(), i, static_cast<int32_t>(text.size()), c);
    if (c < 0 || c == 0xFFFD) return true;
    if ((c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F)) return true;
    // Invisible format characters, such as a zero-width space copied from a
    // document, are not mojibake, and NameKey drops them.
    if (IsInvisible(c)) continue;
    multibyte |= c >= 0x80;
    visible.append(c);
  }
  if (!multibyte) return false;

  // UTF-8 read as Windows-1252 turns each non-ASCII letter into two or three
  // characters that all exist in Windows-1252. Writing them back as
  // Windows-1252 gives valid UTF-8 again, which a real name almost never does.
  UErrorCode error = U_ZERO_ERROR;
  std::unique_ptr<UConverter, void (*)(UConverter*)> converter(ucnv_open("windows-1252", &error),
                                                               ucnv_close);
  CHECK_ICU(error);
  ucnv_setFromUCallBack(converter.get(), UCNV_FROM_U_CALLBACK_STOP, nullptr, nullptr, nullptr,
                        &error);
  std::string bytes(static_cast<size_t>(visible.length()) * 2 + 1, '\0');
  int32_t length =
      ucnv_fromUChars(converter.get(), bytes.data(), static_cast<int32_t>(bytes.size()),
                      visible.getBuffer(), visible.length(), &error);
  if (U_FAILURE(error)) return false;
  bytes.resize(length);
  for (int32_t i = 0; i < length;) {
    UChar32 c = 0;
    U8_NEXT(bytes.data(), i, length, c);
    if (c < 0) return false;
  }
  return true;
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

std::string ClipCharacters(std::string_view text, size_t max_characters) {
  size_t characters = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    // Every byte that is not a UTF-8 continuation byte starts a character.
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (characters == max_characters) return std::string(text.substr(0, i));
    ++characters;
  }
  return std::string(text);
}

}  // namespace pp::link
