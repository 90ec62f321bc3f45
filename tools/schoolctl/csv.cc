#include "csv.h"

#include <unicode/ucnv.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "text/utf8.h"

namespace pp::schoolctl {
namespace {

bool IsValidUtf8(std::string_view text) {
  return text::FindInvalidUtf8(text) == std::string_view::npos;
}

// Returns the end of the run of characters from `start` that need no
// parsing outside quotes, which is every character but quotes, commas and
// line ends.
size_t PlainRunEnd(std::string_view text, size_t start) {
  size_t end = start;
  while (end < text.size()) {
    const char c = text[end];
    if (c == '"' || c == ',' || c == '\r' || c == '\n') break;
    ++end;
  }
  return end;
}

}  // namespace

absl::StatusOr<std::string> DecodeExport(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  UErrorCode error = U_ZERO_ERROR;
  std::unique_ptr<UConverter, void (*)(UConverter*)> converter(ucnv_open("windows-1252", &error),
                                                               ucnv_close);
  if (U_FAILURE(error)) {
    return absl::InternalError(
        absl::StrCat("cannot load ICU's Windows-1252 converter: ", u_errorName(error)));
  }
  // Each byte becomes at most three bytes of UTF-8.
  std::string text(bytes.size() * 3 + 1, '\0');
  int32_t length =
      ucnv_toAlgorithmic(UCNV_UTF8, converter.get(), text.data(), static_cast<int32_t>(text.size()),
                         bytes.data(), static_cast<int32_t>(bytes.size()), &error);
  if (U_FAILURE(error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the file is neither UTF-8 nor Windows-1252: ", u_errorName(error)));
  }
  text.resize(length);
  return text;
}

int CsvTable::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (absl::EqualsIgnoreCase(header[i], absl::string_view(column.data(), column.size()))) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

std::string CsvTable::Value(const CsvRecord& record, std::string_view column) const {
  int index = ColumnIndex(column);
  if (index < 0 || index >= static_cast<int>(record.fields.size())) return "";
  return record.fields[index];
}

absl::StatusOr<CsvTable> ParseCsv(std::string_view bytes) {
  // A valid UTF-8 export is read in place rather than copied.
  std::string decoded;
  std::string_view text = bytes;
  if (!IsValidUtf8(bytes)) {
    absl::StatusOr<std::string> converted = DecodeExport(bytes);
    if (!converted.ok()) return converted.status();
    decoded = *std::move(converted);
    text = decoded;
  }
  constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
  if (text.substr(0, kByteOrderMark.size()) == kByteOrderMark)
    text.remove_prefix(kByteOrderMark.size());

  std::vector<CsvRecord> rows;
  CsvRecord current;
  std::string field;
  bool in_quotes = false;
  // True from the closing quote of a quoted field to the end of the field.
  bool after_quotes = false;
  bool record_has_content = false;
  int row = 1;
  current.row = row;
  // Most records are as wide as the header, so each one's fields are
  // reserved at that width.
  size_t width = 0;

  auto end_field = [&] {
    current.fields.push_back(std::move(field));
    field.clear();
    after_quotes = false;
  };
  // The index of the field each record's error is in, for naming its
  // column once the header is known.
  std::vector<size_t> error_fields;
  size_t error_field = 0;
  auto mark_error = [&](std::string_view problem) {
    if (!current.error.empty()) return;
    current.error = std::string(problem);
    error_field = current.fields.size();
  };
  auto end_record = [&] {
    end_field();
    if (record_has_content) {
      if (rows.empty()) width = current.fields.size();
      rows.push_back(std::move(current));
      error_fields.push_back(error_field);
    }
    current = CsvRecord{};
    current.row = ++row;
    current.fields.reserve(width);
    record_has_content = false;
  };

  for (size_t i = 0; i < text.size(); ++i) {
    if (in_quotes) {
      // Everything up to the next quote belongs to the field.
      size_t quote = text.find('"', i);
      if (quote == std::string_view::npos) quote = text.size();
      field.append(text.data() + i, quote - i);
      i = quote;
      if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (i < text.size()) {
        in_quotes = false;
        after_quotes = true;
      }
      continue;
    }
    // Only the end of the field may follow a closing quote. The character
    // is kept, so the error shows the field as exported.
    const char c = text[i];
    if (after_quotes && c != ',' && c != '\r' && c != '\n') {
      mark_error("text after the closing quote; quote the whole field and double each quote in it");
      field += c;
      continue;
    }
    switch (c) {
      case '"':
        record_has_content = true;
        // A quote in the middle of a field is kept as text rather than
        // opening a quoted field that would take in the rows after it.
        if (!field.empty()) {
          mark_error(
              "a quote inside an unquoted field; quote the whole field and double each "
              "quote in it");
          field += c;
        } else {
          in_quotes = true;
        }
        break;
      case ',':
        end_field();
        record_has_content = true;
        break;
      case '\r':
        break;
      case '\n':
        end_record();
        break;
      default: {
        const size_t end = PlainRunEnd(text, i);
        field.append(text.data() + i, end - i);
        record_has_content = true;
        i = end - 1;
      }
    }
  }
  if (in_quotes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "row ", current.row, ": a quoted field is not closed before the end of the file"));
  }
  if (record_has_content || !field.empty()) end_record();

  CsvTable table;
  if (rows.empty()) return table;
  for (std::string& name : rows.front().fields) {
    table.header.push_back(std::string(absl::StripAsciiWhitespace(name)));
  }
  table.records.assign(std::make_move_iterator(rows.begin() + 1),
                       std::make_move_iterator(rows.end()));

  // A field count other than the header's puts values under the wrong
  // columns, most often because a value with a comma was not quoted.
  for (size_t i = 0; i < table.records.size(); ++i) {
    CsvRecord& record = table.records[i];
    if (!record.error.empty()) {
      const size_t field = error_fields[i + 1];
      const std::string column =
          field < table.header.size() ? table.header[field] : absl::StrCat("field ", field + 1);
      record.error = absl::StrCat(column, ": ", record.error);
    } else if (record.fields.size() != table.header.size()) {
      record.error =
          absl::StrCat("the row has ", record.fields.size(), " fields but the header has ",
                       table.header.size(), "; quote any value that contains a comma");
    }
  }
  return table;
}

}  // namespace pp::schoolctl
