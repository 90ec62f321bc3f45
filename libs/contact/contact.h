// Checks and normal forms for the contact details people type: email
// addresses and UK mobile numbers. Shared by the services that store them
// and the one that sends to them, so that both accept the same inputs.
#ifndef PP_CONTACT_CONTACT_H_
#define PP_CONTACT_CONTACT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace pp::contact {

// Returns `text` without surrounding white space and with the domain in
// lower case, when it is a plausible address: one '@', a local part of 1-64
// printable ASCII characters without spaces, quotes or angle brackets, and a
// domain of at least two dot-separated labels (letters, digits, hyphens) whose
// last label is at least two letters. At most 254 characters. Fails with
// InvalidArgument otherwise, with a message that does not repeat the address.
absl::StatusOr<std::string> NormaliseEmail(std::string_view text);

// Returns a UK mobile number in E.164 form (+447xxxxxxxxx) from any common
// way of writing it: "07294 053474", "+44 7294 053474", "0044 7294 053474",
// "+44 (0)7294 053474", "(07294) 053-474". Spaces, hyphens, dots and
// brackets are ignored. Fails with InvalidArgument for anything else,
// including landlines and numbers of another country.
absl::StatusOr<std::string> NormaliseUkMobile(std::string_view text);

}  // namespace pp::contact

#endif  // PP_CONTACT_CONTACT_H_
