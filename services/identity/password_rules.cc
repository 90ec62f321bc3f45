#include "password_rules.h"

#include <zxcvbn.h>

#include "absl/strings/str_cat.h"

namespace pp::identity {
namespace {

bool IsPersonalMatch(int type) { return type == USER_MATCH || type == USER_LEET_MATCH; }

// Returns why zxcvbn found the password guessable: the person's own
// details when a match of three or more characters is one of them,
// otherwise the kind of match that covers the most characters.
std::string GuessableReason(const ZxcMatch_t* matches) {
  int covered = 0;
  int kind = BRUTE_MATCH;
  bool repeated = false;
  for (const ZxcMatch_t* match = matches; match != nullptr; match = match->Next) {
    int type = match->Type & ~MULTIPLE_MATCH;
    if (IsPersonalMatch(type) && match->Length >= 3) {
      return "it contains your name, email address or postcode";
    }
    if (type == BRUTE_MATCH || type == NON_MATCH || match->Length <= covered) continue;
    covered = match->Length;
    kind = type;
    repeated = (match->Type & MULTIPLE_MATCH) != 0;
  }
  if (repeated) return "it repeats the same characters or words";
  switch (kind) {
    case DICTIONARY_MATCH:
    case DICT_LEET_MATCH:
      return "it is mostly a common word, name or password";
    case REPEATS_MATCH:
      return "it repeats the same characters or words";
    case SEQUENCE_MATCH:
      return "it contains a sequence such as abcd or 1234";
    case SPATIAL_MATCH:
      return "it contains a row of keys such as qwerty";
    case DATE_MATCH:
    case YEAR_MATCH:
      return "it contains a date or a year";
    default:
      return "it has too few characters that are hard to guess";
  }
}

}  // namespace

size_t CountCharacters(const std::string& text) {
  size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status CheckNewPassword(const std::string& password,
                              const std::vector<std::string>& personal_words) {
  size_t characters = CountCharacters(password);
  if (characters < kMinPasswordCharacters) {
    return absl::InvalidArgumentError(
        absl::StrCat("new_password must be at least ", kMinPasswordCharacters,
                     " characters long: a few unrelated words make a good one"));
  }
  if (characters > kMaxPasswordCharacters) {
    return absl::InvalidArgumentError(
        absl::StrCat("new_password is longer than ", kMaxPasswordCharacters, " characters"));
  }
  // zxcvbn reads a C string, which would end at a NUL.
  if (password.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        "new_password contains a NUL character, which cannot be used");
  }

  std::vector<const char*> dictionary;
  for (const std::string& word : personal_words) {
    if (!word.empty()) dictionary.push_back(word.c_str());
  }
  dictionary.push_back(nullptr);
  ZxcMatch_t* matches = nullptr;
  double bits = ZxcvbnMatch(password.c_str(), dictionary.data(), &matches);
  std::string reason = GuessableReason(matches);
  ZxcvbnFreeInfo(matches);
  if (bits < kMinPasswordEntropyBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("new_password is too easy to guess because ", reason,
                     ". Choose a longer password, for example three or four unrelated words"));
  }
  return absl::OkStatus();
}

}  // namespace pp::identity
