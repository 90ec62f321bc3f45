#include "roster.h"

#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "roster_rows/roster_rows_digest.h"

namespace pp::schoolctl {
namespace {

namespace link = parentsportal::link::v1;

const std::vector<std::string> kPupilColumns = {
    "seed_code",          "school_name",   "pupil_ref",     "forename",
    "preferred_forename", "surname",       "date_of_birth", "stage",
    "address_line1",      "address_line2", "town",          "postcode"};

const std::vector<std::string> kContactColumns = {
    "seed_code",        "pupil_ref", "contact_ref",  "title",
    "forename",         "surname",   "relationship", "parental_responsibility",
    "lives_with_pupil", "email",     "mobile",       "address_line1",
    "address_line2",    "town",      "postcode",     "priority"};

absl::Status CheckColumns(const CsvTable& table, const std::vector<std::string>& columns,
                          const std::string& file) {
  std::vector<std::string> missing;
  for (const std::string& column : columns) {
    if (table.ColumnIndex(column) < 0) missing.push_back(column);
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(file, " lacks the column(s) ",
                                                 absl::StrJoin(missing, ", "),
                                                 "; the first row must name the columns"));
}

// A column of a table, found by name once rather than for every value.
class Column {
 public:
  Column(const CsvTable& table, std::string_view name) : index_(table.ColumnIndex(name)) {}

  // Returns the record's value, or "" when the column or the value is missing.
  const std::string& Of(const CsvRecord& record) const {
    static const std::string kMissing;
    if (index_ < 0 || index_ >= static_cast<int>(record.fields.size())) return kMissing;
    return record.fields[index_];
  }

 private:
  int index_;
};

// Moves the last record to the rows too large to send when it is over
// kMaxRowBytes.
void MoveIfTooLarge(const char* file, RosterRecords& result) {
  const link::RosterRecord& record = result.records.back();
  const size_t size = record.ByteSizeLong();
  if (size <= kMaxRowBytes) return;
  result.too_large.push_back(
      {file, record.row(),
       absl::StrCat("the row is ", size, " bytes, more than the ", kMaxRowBytes,
                    " bytes a row may have; check its values for text pasted by mistake")});
  result.records.pop_back();
}

void AddPupils(const CsvTable& pupils, const std::string& seed_code, RosterRecords& result) {
  const Column school(pupils, "seed_code"), school_name(pupils, "school_name"),
      pupil_ref(pupils, "pupil_ref"), forename(pupils, "forename"),
      preferred_forename(pupils, "preferred_forename"), surname(pupils, "surname"),
      date_of_birth(pupils, "date_of_birth"), stage(pupils, "stage"),
      address_line1(pupils, "address_line1"), address_line2(pupils, "address_line2"),
      town(pupils, "town"), postcode(pupils, "postcode"), restricted(pupils, "restricted");
  for (const CsvRecord& row : pupils.records) {
    if (school.Of(row) != seed_code) {
      ++result.other_school_rows;
      ++result.other_school_pupil_rows;
      continue;
    }
    if (!row.error.empty()) {
      result.unreadable.push_back({"pupils", row.row, row.error});
      continue;
    }
    link::RosterRecord& record = result.records.emplace_back();
    record.set_row(row.row);
    link::Pupil* pupil = record.mutable_pupil();
    pupil->set_seed_code(seed_code);
    pupil->set_school_name(school_name.Of(row));
    pupil->set_pupil_ref(pupil_ref.Of(row));
    pupil->set_forename(forename.Of(row));
    pupil->set_preferred_forename(preferred_forename.Of(row));
    pupil->set_surname(surname.Of(row));
    pupil->set_date_of_birth(date_of_birth.Of(row));
    pupil->set_stage(stage.Of(row));
    pupil->set_address_line1(address_line1.Of(row));
    pupil->set_address_line2(address_line2.Of(row));
    pupil->set_town(town.Of(row));
    pupil->set_postcode(postcode.Of(row));
    // Optional: exports without the column hold no safeguarding holds.
    pupil->set_restricted(restricted.Of(row));
    MoveIfTooLarge("pupils", result);
  }
}

void AddContacts(const CsvTable& contacts, const std::string& seed_code, RosterRecords& result) {
  const Column school(contacts, "seed_code"), pupil_ref(contacts, "pupil_ref"),
      contact_ref(contacts, "contact_ref"), title(contacts, "title"),
      forename(contacts, "forename"), surname(contacts, "surname"),
      relationship(contacts, "relationship"),
      parental_responsibility(contacts, "parental_responsibility"),
      lives_with_pupil(contacts, "lives_with_pupil"), email(contacts, "email"),
      mobile(contacts, "mobile"), address_line1(contacts, "address_line1"),
      address_line2(contacts, "address_line2"), town(contacts, "town"),
      postcode(contacts, "postcode"), priority(contacts, "priority"),
      restricted(contacts, "restricted");
  for (const CsvRecord& row : contacts.records) {
    if (school.Of(row) != seed_code) {
      ++result.other_school_rows;
      continue;
    }
    if (!row.error.empty()) {
      result.unreadable.push_back({"contacts", row.row, row.error});
      continue;
    }
    link::RosterRecord& record = result.records.emplace_back();
    record.set_row(row.row);
    link::Contact* contact = record.mutable_contact();
    contact->set_seed_code(seed_code);
    contact->set_pupil_ref(pupil_ref.Of(row));
    contact->set_contact_ref(contact_ref.Of(row));
    contact->set_title(title.Of(row));
    contact->set_forename(forename.Of(row));
    contact->set_surname(surname.Of(row));
    contact->set_relationship(relationship.Of(row));
    contact->set_parental_responsibility(parental_responsibility.Of(row));
    contact->set_lives_with_pupil(lives_with_pupil.Of(row));
    contact->set_email(email.Of(row));
    contact->set_mobile(mobile.Of(row));
    contact->set_address_line1(address_line1.Of(row));
    contact->set_address_line2(address_line2.Of(row));
    contact->set_town(town.Of(row));
    contact->set_postcode(postcode.Of(row));
    contact->set_priority(priority.Of(row));
    contact->set_restricted(restricted.Of(row));
    MoveIfTooLarge("contacts", result);
  }
}

}  // namespace

absl::StatusOr<RosterRecords> BuildRosterRecords(const CsvTable& pupils, const CsvTable& contacts,
                                                 const std::string& seed_code) {
  if (absl::Status status = CheckColumns(pupils, kPupilColumns, "the pupils file"); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckColumns(contacts, kContactColumns, "the contacts file");
      !status.ok()) {
    return status;
  }

  RosterRecords result;
  // The optional columns besides the required ones.
  std::vector<std::string> pupil_columns = kPupilColumns;
  pupil_columns.push_back("restricted");
  std::vector<std::string> contact_columns = kContactColumns;
  contact_columns.push_back("restricted");
  for (const auto& [table, known, file] :
       {std::tuple(&pupils, &pupil_columns, "pupils file"),
        std::tuple(&contacts, &contact_columns, "contacts file")}) {
    for (const std::string& name : table->header) {
      bool read = absl::c_any_of(
          *known, [&](const std::string& column) { return absl::EqualsIgnoreCase(name, column); });
      if (!read) result.ignored_columns.push_back(absl::StrCat(file, ": ", name));
    }
  }
  result.records.reserve(pupils.records.size() + contacts.records.size());
  AddPupils(pupils, seed_code, result);
  AddContacts(contacts, seed_code, result);
  return result;
}

std::vector<link::RosterRows> GroupRows(std::vector<link::RosterRecord> records) {
  std::vector<link::RosterRows> messages;
  size_t bytes = 0;
  for (link::RosterRecord& record : records) {
    const size_t size = record.ByteSizeLong();
    if (messages.empty() || messages.back().records_size() >= kMaxRowsPerMessage ||
        (bytes > 0 && bytes + size > kMaxRowBytesPerMessage)) {
      messages.emplace_back();
      bytes = 0;
    }
    bytes += size;
    *messages.back().add_records() = std::move(record);
  }
  return messages;
}

void WriteRoster(grpc::ClientWriter<link::RosterRows>& writer,
                 std::vector<link::RosterRecord> records) {
  link::RosterRows first;
  first.set_rows_digest(roster_rows::DigestOfRows(records));
  if (!writer.Write(first)) return;
  // When the rows are the school's last sync's, the call ends here, and no
  // row needs to be sent.
  writer.WaitForInitialMetadata();
  for (const link::RosterRows& rows : GroupRows(std::move(records))) {
    if (!writer.Write(rows)) return;
  }
}

}  // namespace pp::schoolctl
