// Contact details typed by parents and school staff: email addresses, UK
// mobile numbers and postcodes. Each normaliser accepts or rejects any
// bytes, and what it accepts it accepts again unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "account_fields.h"
#include "contact/contact.h"

namespace {

template <typename Normalise>
void CheckStable(Normalise normalise, std::string_view text) {
  auto first = normalise(text);
  if (!first.ok()) return;
  auto second = normalise(*first);
  if (!second.ok() || *second != *first) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckStable(pp::contact::NormaliseEmail, text);
  CheckStable(pp::contact::NormaliseUkMobile, text);
  CheckStable(pp::identity::NormalisePostcode, text);
  return 0;
}
