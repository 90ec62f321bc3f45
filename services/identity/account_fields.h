// Checks and normal forms of the details a parent gives when registering.
// Each failure is InvalidArgument with a message that starts with the field
// name used on the wire (forename, surname, email, postcode, gender,
// date_of_birth) and describes what to enter instead.
#ifndef PP_SERVICES_IDENTITY_ACCOUNT_FIELDS_H_
#define PP_SERVICES_IDENTITY_ACCOUNT_FIELDS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"

namespace pp::identity {

// The fields of a registration, as typed.
struct RegistrationForm {
  std::string forename;
  std::string surname;
  std::string email;
  std::string postcode;
  std::string gender;
  std::string date_of_birth;
};

// Returns a forename or surname exactly as typed, except for spaces and tabs
// trimmed at both ends: 1 to 100 characters of letters in any script,
// combining marks after a letter, spaces, hyphens and apostrophes (', U+2018
// and U+2019), with at least one letter. `field` names the field in the
// error message.
absl::StatusOr<std::string> NormaliseName(std::string_view field, std::string_view text);

// Returns the address trimmed at both ends and otherwise as typed, for
// sending: the case, dots and +tags are kept.
std::string EmailAsTyped(std::string_view text);

// Returns the address trimmed and in lower case: the lookup key and
// username. Dots and +tags are kept.
absl::StatusOr<std::string> NormaliseAccountEmail(std::string_view text);

// Returns a UK postcode in upper case with one space before its last three
// characters ("eh11yz" becomes "EH1 1YZ").
absl::StatusOr<std::string> NormalisePostcode(std::string_view text);

// Returns one of "female", "male", "other" or "prefer-not-to-say", accepting
// any case and surrounding spaces.
absl::StatusOr<std::string> NormaliseGender(std::string_view text);

// Parses a YYYY-MM-DD date of birth that is a real date from 1900 on. A
// date that does not exist (31 February) or is after `today` fails with a
// message ending "is not a real date".
absl::StatusOr<absl::CivilDay> ParseDate(std::string_view text, absl::CivilDay today);

// Parses a date as ParseDate does, of someone 12 or over on `today`. Under
// 12 fails with exactly "You must be 12 or over to register". Someone born
// on 29 February turns 12 on 1 March in years without that day.
absl::StatusOr<absl::CivilDay> ParseDateOfBirth(std::string_view text, absl::CivilDay today);

// Returns the form with every field normalised, or InvalidArgument naming
// every invalid field: one line each, in form order, each starting with the
// field's wire name and then a space or, for the age rule's message, a colon
// ("date_of_birth: You must be 12 or over to register").
absl::StatusOr<RegistrationForm> NormaliseRegistration(const RegistrationForm& form,
                                                       absl::CivilDay today);

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_ACCOUNT_FIELDS_H_
