// A reader for CSV exports from school management systems (RFC 4180 with
// the habits of spreadsheet programs): an optional UTF-8 byte-order mark,
// CRLF or LF line ends, quoted fields holding commas, quotes and newlines.
#ifndef PP_SCHOOLCTL_CSV_H_
#define PP_SCHOOLCTL_CSV_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace pp::schoolctl {

struct CsvRecord {
  // The record's number in the file, counting the header as 1.
  int row = 0;
  std::vector<std::string> fields;
  // The reason the record cannot be read reliably (a stray quote, or a field
  // count that differs from the header's), or empty. Its fields are as read.
  std::string error;
};

struct CsvTable {
  std::vector<std::string> header;
  std::vector<CsvRecord> records;

  // Returns the index of `column` in the header, or -1. Case does not
  // matter, since spreadsheets often capitalise headers.
  int ColumnIndex(std::string_view column) const;
  // Returns the value of `column` in `record`, or "" when either is missing.
  std::string Value(const CsvRecord& record, std::string_view column) const;
};

// Returns the export as UTF-8: unchanged when it is valid UTF-8, and
// otherwise decoded from Windows-1252, the encoding spreadsheet programs on
// Windows save "CSV" in. Bytes that Windows-1252 leaves undefined become C1
// control characters, which the service rejects. Fails with
// InvalidArgument when ICU cannot convert the bytes.
absl::StatusOr<std::string> DecodeExport(std::string_view bytes);

// Parses a whole CSV document, in UTF-8 or Windows-1252 (see DecodeExport). Fails with
// InvalidArgument, naming the row where the quote opened, on a quote left open at the end of the
// file. A quote inside an unquoted field, text after a closing quote, or a record with more or
// fewer fields than the header sets that record's `error`, and the records after it are read as
// usual. Blank lines are skipped.
absl::StatusOr<CsvTable> ParseCsv(std::string_view bytes);

}  // namespace pp::schoolctl

#endif  // PP_SCHOOLCTL_CSV_H_
