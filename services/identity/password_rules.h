// The rules a new password must meet: a length, and a strength estimate
// from zxcvbn instead of composition rules.
#ifndef PP_SERVICES_IDENTITY_PASSWORD_RULES_H_
#define PP_SERVICES_IDENTITY_PASSWORD_RULES_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pp::identity {

inline constexpr size_t kMinPasswordCharacters = 12;
inline constexpr size_t kMaxPasswordCharacters = 256;
// zxcvbn's estimate must reach 10^10 guesses: log2(10^10) is about 33.2 bits.
inline constexpr double kMinPasswordEntropyBits = 33.2;

// Checks `password` as a new password. `personal_words` are the account's
// own details (names, email address, postcode), which count as easy to
// guess. Returns InvalidArgument starting with "new_password" and saying
// why it was rejected: too short, too long, a NUL character, or what makes
// it guessable (a common word, a keyboard row, a sequence, a repeat, a date
// or the person's own details).
absl::Status CheckNewPassword(const std::string& password,
                              const std::vector<std::string>& personal_words);

// Counts the characters of UTF-8 text (its code points).
size_t CountCharacters(const std::string& text);

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_PASSWORD_RULES_H_
