// Form bodies and cookie headers from browsers: the gateway's readers must
// accept or reject any bytes without crashing.
#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "gateway/forms.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  httplib::Request request;
  request.headers.emplace("Cookie", text);
  httplib::detail::parse_query_text(text, request.params);

  pp::gateway::CookieValue(request, "pp_session");
  pp::gateway::FormField(request, "forename");
  pp::gateway::RawFormField(request, "new_password");
  auto date = pp::gateway::DateField(request, "date_of_birth", "date of birth");
  (void)date;
  return 0;
}
