#include "roster_batch.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "link_rules.h"
#include "text/escape.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

std::string Trimmed(const std::string& value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

// Adds "<field> is missing", "<field> is longer than ...", "<field> ...
// contains a line break ..." or "<field> is garbled ..." when the value is
// empty, too long, split over lines by a quoted CSV field, or badly decoded.
// Control characters in the quoted value are escaped, so that each problem
// stays on one line.
void CheckRequired(const char* field, const std::string& value, RowProblems* problems) {
  if (Trimmed(value).empty()) {
    problems->Add(field, absl::StrCat(field, " is missing"));
  } else if (value.size() > RosterBatch::kMaxValueBytes) {
    problems->Add(field,
                  absl::StrCat(field, " is longer than ", RosterBatch::kMaxValueBytes, " bytes"));
  } else if (value.find_first_of("\r\n") != std::string::npos) {
    problems->Add(field, absl::StrCat(field, " \"", EscapeControlCharacters(value),
                                      "\" contains a line break; names and other roster values "
                                      "cannot contain line breaks, so remove it in the school's "
                                      "system and export the file again"));
  } else if (LooksGarbled(value)) {
    problems->Add(field, absl::StrCat(field, " \"", EscapeControlCharacters(value),
                                      "\" is garbled text; export the file again as UTF-8"));
  }
}

bool HasColumn(const RowProblems& problems, const char* column) {
  return std::find(problems.columns.begin(), problems.columns.end(), column) !=
         problems.columns.end();
}

void CheckOptional(const char* field, const std::string& value, RowProblems* problems) {
  if (!value.empty()) CheckRequired(field, value, problems);
}

// Returns true for Y or Yes and false for N or No, in any case, because
// exports write either. Returns nullopt for anything else.
std::optional<bool> ReadYesNo(const std::string& value) {
  const std::string flag = absl::AsciiStrToUpper(Trimmed(value));
  if (flag == "Y" || flag == "YES") return true;
  if (flag == "N" || flag == "NO") return false;
  return std::nullopt;
}

// Returns the value of an optional yes/no column, false when it is empty,
// or nullopt, with a problem added, when it cannot be read.
std::optional<bool> ParseFlag(const char* field, const std::string& value, RowProblems* problems) {
  if (Trimmed(value).empty()) return false;
  std::optional<bool> flag = ReadYesNo(value);
  if (!flag.has_value()) {
    problems->Add(field, absl::StrCat(field, " must be Y, N, Yes or No, not \"", value, "\""));
  }
  return flag;
}

// True when a row sets a safeguarding hold or may set one, because its
// restricted value cannot be read.
bool MaySetHold(std::optional<bool> restricted) { return !restricted.has_value() || *restricted; }

}  // namespace

RosterBatch::RosterBatch(std::string seed_code, absl::CivilDay today)
    : seed_code_(std::move(seed_code)), today_(today) {}

absl::Status RosterBatch::Add(const v1::RosterRecord& record) {
  if (++records_ > kMaxRecords) {
    // Splitting the export would not help: each sync is a full one, so the
    // second part would mark the first part's pupils as left.
    return absl::ResourceExhaustedError(
        absl::StrCat("a roster sync may send at most ", kMaxRecords,
                     " pupil and contact rows, and nothing was changed; one school's export "
                     "should be far smaller, so check that the file holds only this school"));
  }
  digest_.Add(record);
  switch (record.record_case()) {
    case v1::RosterRecord::kPupil:
      AddPupil(record.row(), record.pupil());
      break;
    case v1::RosterRecord::kContact:
      AddContact(record.row(), record.contact());
      break;
    case v1::RosterRecord::RECORD_NOT_SET: {
      RowProblems problems;
      problems.Add("", "the record contains neither a pupil nor a contact");
      unidentified_.push_back(AddError("", record.row(), std::move(problems)));
    } break;
  }
  return absl::OkStatus();
}

void RosterBatch::AddPupil(int row, const v1::Pupil& pupil) {
  RowProblems reasons;
  CheckSchool(Trimmed(pupil.seed_code()), &reasons);
  std::string pupil_ref = Trimmed(pupil.pupil_ref());
  CheckRequired("pupil_ref", pupil_ref, &reasons);
  CheckRequired("forename", pupil.forename(), &reasons);
  CheckRequired("surname", pupil.surname(), &reasons);
  CheckOptional("preferred_forename", pupil.preferred_forename(), &reasons);
  CheckOptional("school_name", pupil.school_name(), &reasons);

  std::string date_text = Trimmed(pupil.date_of_birth());
  std::optional<absl::CivilDay> date_of_birth = ParseDate(date_text, /*allow_day_first=*/true);
  if (!date_of_birth.has_value()) {
    reasons.Add("date_of_birth",
                date_text.empty()
                    ? "date_of_birth is missing"
                    : absl::StrCat("date_of_birth \"", date_text,
                                   "\" is not a real date written DD/MM/YYYY or YYYY-MM-DD"));
  } else if (*date_of_birth > today_) {
    reasons.Add("date_of_birth", absl::StrCat("date_of_birth ", date_text, " is in the future"));
  }
  std::string stage = absl::AsciiStrToUpper(Trimmed(pupil.stage()));
  if (!IsStage(stage)) {
    reasons.Add("stage",
                absl::StrCat("stage \"", pupil.stage(), "\" is not one of P1-P7 or S1-S6"));
  }
  std::string postcode = Trimmed(pupil.postcode());
  if (!IsUkPostcode(postcode)) {
    reasons.Add("postcode", absl::StrCat("postcode \"", postcode, "\" is not a UK postcode"));
  }
  std::optional<bool> restricted = ParseFlag("restricted", pupil.restricted(), &reasons);

  // Every readable pupil_ref of this school counts, rejected rows' too, so
  // a repeat is found whichever copy is valid.
  const bool other_school = OtherSchool(pupil.seed_code());
  if (other_school) {
    other_pupil_schools_.insert(Trimmed(pupil.seed_code()));
  } else {
    ++own_pupil_rows_;
  }
  if (!other_school && !HasColumn(reasons, "pupil_ref")) {
    auto [first, added] = pupil_rows_.try_emplace(pupil_ref, row);
    if (!added) {
      reasons.Add("pupil_ref", absl::StrCat("pupil_ref ", pupil_ref,
                                            " appears again (first at row ", first->second, ")"));
    }
  }
  if (!reasons.empty()) {
    if (RejectRow({"pupils", row, pupil_ref, ""}, std::move(reasons), other_school, restricted)) {
      kept_pupils_.insert(pupil_ref);
    }
    return;
  }

  if (school_name_.empty()) school_name_ = Trimmed(pupil.school_name());
  pupils_.push_back(RosterPupil{pupil_ref, pupil.forename(), pupil.preferred_forename(),
                                pupil.surname(), FormatDate(*date_of_birth), stage, postcode,
                                *restricted});
}

void RosterBatch::AddContact(int row, const v1::Contact& contact) {
  RowProblems reasons;
  CheckSchool(Trimmed(contact.seed_code()), &reasons);
  std::string pupil_ref = Trimmed(contact.pupil_ref());
  std::string contact_ref = Trimmed(contact.contact_ref());
  CheckRequired("pupil_ref", pupil_ref, &reasons);
  CheckRequired("contact_ref", contact_ref, &reasons);
  CheckRequired("forename", contact.forename(), &reasons);
  CheckRequired("surname", contact.surname(), &reasons);
  CheckOptional("postcode", contact.postcode(), &reasons);

  std::optional<bool> responsibility = ReadYesNo(contact.parental_responsibility());
  if (!responsibility.has_value()) {
    reasons.Add("parental_responsibility",
                absl::StrCat("parental_responsibility must be Y, N, Yes or No, not \"",
                             contact.parental_responsibility(), "\""));
  }
  std::optional<bool> restricted = ParseFlag("restricted", contact.restricted(), &reasons);
  std::string email = Trimmed(contact.email());
  if (!email.empty() && (!IsEmailAddress(email) || email.size() > kMaxValueBytes)) {
    reasons.Add("email", absl::StrCat("email \"", email, "\" is not an email address"));
  }
  // A landline in the mobile column is kept, so staff can see it, but never
  // texted.
  std::string phone_text = Trimmed(contact.mobile());
  std::optional<PhoneNumber> phone = ParsePhoneNumber(phone_text);
  if (!phone_text.empty() && !phone.has_value()) {
    reasons.Add("mobile", absl::StrCat("mobile \"", phone_text, "\" is not a telephone number"));
  }
  auto key = std::make_pair(pupil_ref, contact_ref);
  const bool other_school = OtherSchool(contact.seed_code());
  if (!other_school && !HasColumn(reasons, "pupil_ref") && !HasColumn(reasons, "contact_ref")) {
    auto [first, added] = contact_rows_by_key_.try_emplace(key, row);
    if (!added) {
      reasons.Add("contact_ref",
                  absl::StrCat("contact_ref ", contact_ref, " of pupil_ref ", pupil_ref,
                               " appears again (first at row ", first->second, ")"));
    }
  }
  if (!reasons.empty()) {
    if (RejectRow({"contacts", row, pupil_ref, contact_ref}, std::move(reasons), other_school,
                  restricted)) {
      kept_contacts_.insert(key);
    }
    return;
  }

  contact_rows_.push_back(row);
  RosterContact kept{pupil_ref,
                     contact_ref,
                     contact.forename(),
                     contact.surname(),
                     *responsibility,
                     email,
                     "",
                     "",
                     Trimmed(contact.postcode()),
                     *restricted};
  if (phone.has_value()) (phone->mobile ? kept.mobile : kept.landline) = phone->e164;
  contacts_.push_back(std::move(kept));
}

void RosterBatch::Finish() {
  rows_digest_ = digest_.Finish();

  // Contacts may arrive before their pupils, so their pupil is checked last.
  std::vector<RosterContact> kept_contacts;
  for (size_t i = 0; i < contacts_.size(); ++i) {
    const std::string& pupil_ref = contacts_[i].pupil_ref;
    // A hold on a contact the sync drops would not be applied.
    const bool hold = contacts_[i].restricted;
    if (kept_pupils_.count(pupil_ref) > 0) {
      RowProblems problems;
      problems.Add("pupil_ref", absl::StrCat("the row of pupil_ref ", pupil_ref,
                                             " was rejected, so its contacts stay as they were"));
      v1::RowError& error = AddError("contacts", contact_rows_[i], std::move(problems));
      if (hold) {
        holds_.push_back(error);
      } else {
        error.set_kept_as_before(true);
        kept_rows_.push_back({"contacts", contact_rows_[i], pupil_ref, contacts_[i].contact_ref});
      }
      continue;
    }
    // A rejected pupil row with a readable pupil_ref is kept, or rejects
    // the whole sync, so any other pupil_ref in pupil_rows_ is a valid row's.
    if (pupil_rows_.count(pupil_ref) == 0) {
      RowProblems problems;
      problems.Add("pupil_ref",
                   absl::StrCat("pupil_ref ", pupil_ref, " is not a valid pupil row of this sync"));
      v1::RowError& error = AddError("contacts", contact_rows_[i], std::move(problems));
      if (hold) holds_.push_back(error);
      continue;
    }
    kept_contacts.push_back(std::move(contacts_[i]));
  }
  contacts_ = std::move(kept_contacts);
  contact_rows_.clear();

  auto by_file_and_row = [](const v1::RowError& a, const v1::RowError& b) {
    return std::make_pair(a.file(), a.row()) < std::make_pair(b.file(), b.row());
  };
  std::stable_sort(errors_.begin(), errors_.end(), by_file_and_row);
  std::stable_sort(unidentified_.begin(), unidentified_.end(), by_file_and_row);
  std::stable_sort(holds_.begin(), holds_.end(), by_file_and_row);
}

bool RosterBatch::OtherSchool(const std::string& seed_code) const {
  const std::string trimmed = Trimmed(seed_code);
  return !trimmed.empty() && trimmed != seed_code_;
}

void RosterBatch::CheckSchool(const std::string& seed_code, RowProblems* reasons) const {
  if (seed_code.empty()) {
    reasons->Add("seed_code", "seed_code is missing");
  } else if (seed_code != seed_code_) {
    reasons->Add("seed_code", absl::StrCat("seed_code is ", seed_code,
                                           ", but the token is for school ", seed_code_));
  }
}

void RowProblems::Add(std::string column, std::string reason) {
  columns.push_back(std::move(column));
  reasons.push_back(std::move(reason));
}

bool RosterBatch::RejectRow(KeptRow row, RowProblems reasons, bool other_school,
                            std::optional<bool> restricted) {
  // A pupil row has no contact_ref column, so only its pupil_ref counts.
  const bool identified = !HasColumn(reasons, "pupil_ref") && !HasColumn(reasons, "contact_ref");
  v1::RowError& error = AddError(row.file, row.row, std::move(reasons));
  if (other_school) return false;
  if (MaySetHold(restricted)) {
    holds_.push_back(error);
    return false;
  }
  if (!identified) {
    unidentified_.push_back(error);
    return false;
  }
  error.set_kept_as_before(true);
  kept_rows_.push_back(std::move(row));
  return true;
}

v1::RowError& RosterBatch::AddError(const char* file, int row, RowProblems problems) {
  v1::RowError& error = errors_.emplace_back();
  error.set_file(file);
  error.set_row(row);
  error.set_reason(absl::StrJoin(problems.reasons, "; "));
  for (std::string& column : problems.columns) error.add_columns(std::move(column));
  return error;
}

}  // namespace pp::link
