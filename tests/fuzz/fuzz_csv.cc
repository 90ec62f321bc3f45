// Roster exports as schools send them: any bytes must parse or be rejected
// with a status, and every record must keep its row number in order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = pp::schoolctl::ParseCsv(text);
  if (!table.ok()) return 0;
  int previous_row = 1;
  for (const pp::schoolctl::CsvRecord& record : table->records) {
    if (record.row <= previous_row) std::abort();
    previous_row = record.row;
    for (const std::string& column : table->header) table->Value(record, column);
  }
  return 0;
}
