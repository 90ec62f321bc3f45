#include "roster.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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
  for (const CsvRecord& row : pupils.records) {
    if (pupils.Value(row, "seed_code") != seed_code) {
      ++result.other_school_rows;
      continue;
    }
    if (!row.error.empty()) {
      result.unreadable.push_back({"pupils", row.row, row.error});
      continue;
    }
    link::RosterRecord record;
    record.set_row(row.row);
    link::Pupil* pupil = record.mutable_pupil();
    pupil->set_seed_code(seed_code);
    pupil->set_school_name(pupils.Value(row, "school_name"));
    pupil->set_pupil_ref(pupils.Value(row, "pupil_ref"));
    pupil->set_forename(pupils.Value(row, "forename"));
    pupil->set_preferred_forename(pupils.Value(row, "preferred_forename"));
    pupil->set_surname(pupils.Value(row, "surname"));
    pupil->set_date_of_birth(pupils.Value(row, "date_of_birth"));
    pupil->set_stage(pupils.Value(row, "stage"));
    pupil->set_address_line1(pupils.Value(row, "address_line1"));
    pupil->set_address_line2(pupils.Value(row, "address_line2"));
    pupil->set_town(pupils.Value(row, "town"));
    pupil->set_postcode(pupils.Value(row, "postcode"));
    // Optional: exports without the column hold no safeguarding holds.
    pupil->set_restricted(pupils.Value(row, "restricted"));
    result.records.push_back(std::move(record));
  }
  for (const CsvRecord& row : contacts.records) {
    if (contacts.Value(row, "seed_code") != seed_code) {
      ++result.other_school_rows;
      continue;
    }
    if (!row.error.empty()) {
      result.unreadable.push_back({"contacts", row.row, row.error});
      continue;
    }
    link::RosterRecord record;
    record.set_row(row.row);
    link::Contact* contact = record.mutable_contact();
    contact->set_seed_code(seed_code);
    contact->set_pupil_ref(contacts.Value(row, "pupil_ref"));
    contact->set_contact_ref(contacts.Value(row, "contact_ref"));
    contact->set_title(contacts.Value(row, "title"));
    contact->set_forename(contacts.Value(row, "forename"));
    contact->set_surname(contacts.Value(row, "surname"));
    contact->set_relationship(contacts.Value(row, "relationship"));
    contact->set_parental_responsibility(contacts.Value(row, "parental_responsibility"));
    contact->set_lives_with_pupil(contacts.Value(row, "lives_with_pupil"));
    contact->set_email(contacts.Value(row, "email"));
    contact->set_mobile(contacts.Value(row, "mobile"));
    contact->set_address_line1(contacts.Value(row, "address_line1"));
    contact->set_address_line2(contacts.Value(row, "address_line2"));
    contact->set_town(contacts.Value(row, "town"));
    contact->set_postcode(contacts.Value(row, "postcode"));
    contact->set_priority(contacts.Value(row, "priority"));
    contact->set_restricted(contacts.Value(row, "restricted"));
    result.records.push_back(std::move(record));
  }
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

}  // namespace pp::schoolctl
