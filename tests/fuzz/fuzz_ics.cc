// iCalendar documents as office programs export them: any bytes must parse
// or be rejected with a status, never crash, leak or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "ics_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view ics(reinterpret_cast<const char*>(data), size);
  // A fixed "now", so that a crash reproduces from its input alone.
  absl::Time now = absl::FromUnixSeconds(1796400000);
  auto parsed = pp::calendar::ParseCalendar(ics, now);
  (void)parsed;
  return 0;
}
