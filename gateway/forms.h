// Reading what the browser sent: form fields, dates and cookies.
#ifndef PP_GATEWAY_FORMS_H_
#define PP_GATEWAY_FORMS_H_

#include <httplib.h>

#include <string>

#include "absl/status/statusor.h"

namespace pp::gateway {

// Returns the field's value with surrounding spaces removed, or "" when the
// request does not have it. Reads the query string and, for POST, the
// url-encoded body.
std::string FormField(const httplib::Request& request, const std::string& name);

// Returns the field's value exactly as sent, for passwords and codes where
// spaces may matter.
std::string RawFormField(const httplib::Request& request, const std::string& name);

// Returns the field's value from an application/x-www-form-urlencoded body
// with surrounding spaces removed. Returns "" when the body is of another
// type or lacks the field, even when the query string has it: a value from
// the address can be planted by a link or leak through logs and Referer.
std::string BodyFormField(const httplib::Request& request, const std::string& name);

// Reads a date sent either as one YYYY-MM-DD field called `name` or as the
// three fields `name`-day, `name`-month and `name`-year. Returns the date
// as YYYY-MM-DD, or InvalidArgument naming `label` when it is missing or
// not a real date.
absl::StatusOr<std::string> DateField(const httplib::Request& request, const std::string& name,
                                      const std::string& label);

// Returns the value of cookie `name` from the Cookie headers, or "".
std::string CookieValue(const httplib::Request& request, const std::string& name);

struct CookieAttributes {
  // Lifetime in seconds. The default -1 makes a session cookie and 0 deletes
  // the cookie.
  int max_age = -1;
  std::string path = "/";
  bool secure = false;
};

// Returns a Set-Cookie header value with HttpOnly and SameSite=Lax.
std::string SetCookieValue(const std::string& name, const std::string& value,
                           const CookieAttributes& attributes);

}  // namespace pp::gateway

#endif  // PP_GATEWAY_FORMS_H_
