#include "roster_batch.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "link_rules.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

std::string Trimmed(const std::string& value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

// Adds "<field> is missing" or "<field> is longer than ..." to `reasons`
// when the value is empty or too long.
void CheckRequired(const char* field, const std::string& value, std::vector<std::string>* reasons) {
  if (Trimmed(value).empty()) {
    reasons->push_back(absl::StrCat(field, " is missing"));
  } else if (value.size() > RosterBatch::kMaxValueBytes) {
    reasons->push_back(
        absl::StrCat(field, " is longer than ", RosterBatch::kMaxValueBytes, " bytes"));
  }
}

void CheckOptional(const char* field, const std::string& value, std::vector<std::string>* reasons) {
  if (value.size() > RosterBatch::kMaxValueBytes) {
    reasons->push_back(
        absl::StrCat(field, " is longer than ", RosterBatch::kMaxValueBytes, " bytes"));
  }
}

}  // namespace

RosterBatch::RosterBatch(std::string seed_code, absl::CivilDay today)
    : seed_code_(std::move(seed_code)), today_(today) {}

absl::Status RosterBatch::Add(const v1::RosterRecord& record) {
  if (++records_ > kMaxRecords) {
    return absl::ResourceExhaustedError(absl::StrCat("a roster sync may send at most ", kMaxRecords,
                                                     " records; split the school's export"));
  }
  switch (record.record_case()) {
    case v1::RosterRecord::kPupil:
      AddPupil(record.row(), record.pupil());
      break;
    case v1::RosterRecord::kContact:
      AddContact(record.row(), record.contact());
      break;
    case v1::RosterRecord::RECORD_NOT_SET:
      AddError("", record.row(), {"the record contains neither a pupil nor a contact"});
      break;
  }
  return absl::OkStatus();
}

void RosterBatch::AddPupil(int row, const v1::Pupil& pupil) {
  std::vector<std::string> reasons;
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
    reasons.push_back(absl::StrCat("date_of_birth \"", date_text,
                                   "\" is not a real date written DD/MM/YYYY or YYYY-MM-DD"));
  } else if (*date_of_birth > today_) {
    reasons.push_back(absl::StrCat("date_of_birth ", date_text, " is in the future"));
  }
  std::string stage = absl::AsciiStrToUpper(Trimmed(pupil.stage()));
  if (!IsStage(stage)) {
    reasons.push_back(absl::StrCat("stage \"", pupil.stage(), "\" is not one of P1-P7 or S1-S6"));
  }
  std::string postcode = Trimmed(pupil.postcode());
  if (!IsUkPostcode(postcode)) {
    reasons.push_back(absl::StrCat("postcode \"", postcode, "\" is not a UK postcode"));
  }
  if (auto first = pupil_rows_.find(pupil_ref); !pupil_ref.empty() && first != pupil_rows_.end()) {
    reasons.push_back(
        absl::StrCat("pupil_ref ", pupil_ref, " appears again (first at row ", first->second, ")"));
  }
  if (!reasons.empty()) {
    AddError("pupils", row, std::move(reasons));
    return;
  }

  pupil_rows_.emplace(pupil_ref, row);
  if (school_name_.empty()) school_name_ = Trimmed(pupil.school_name());
  pupils_.push_back(RosterPupil{pupil_ref, pupil.forename(), pupil.preferred_forename(),
                                pupil.surname(), FormatDate(*date_of_birth), stage, postcode});
}

void RosterBatch::AddContact(int row, const v1::Contact& contact) {
  std::vector<std::string> reasons;
  CheckSchool(Trimmed(contact.seed_code()), &reasons);
  std::string pupil_ref = Trimmed(contact.pupil_ref());
  std::string contact_ref = Trimmed(contact.contact_ref());
  CheckRequired("pupil_ref", pupil_ref, &reasons);
  CheckRequired("contact_ref", contact_ref, &reasons);
  CheckRequired("forename", contact.forename(), &reasons);
  CheckRequired("surname", contact.surname(), &reasons);
  CheckOptional("postcode", contact.postcode(), &reasons);

  std::string responsibility = absl::AsciiStrToUpper(Trimmed(contact.parental_responsibility()));
  if (responsibility != "Y" && responsibility != "N") {
    reasons.push_back(absl::StrCat("parental_responsibility must be Y or N, not \"",
                                   contact.parental_responsibility(), "\""));
  }
  std::string email = Trimmed(contact.email());
  if (!email.empty() && (!IsEmailAddress(email) || email.size() > kMaxValueBytes)) {
    reasons.push_back(absl::StrCat("email \"", email, "\" is not an email address"));
  }
  std::string mobile_text = Trimmed(contact.mobile());
  std::optional<std::string> mobile = NormalizeUkMobile(mobile_text);
  if (!mobile_text.empty() && !mobile.has_value()) {
    reasons.push_back(absl::StrCat("mobile \"", mobile_text, "\" is not a UK mobile number"));
  }
  auto key = std::make_pair(pupil_ref, contact_ref);
  if (auto first = contact_rows_by_key_.find(key); first != contact_rows_by_key_.end()) {
    reasons.push_back(absl::StrCat("contact_ref ", contact_ref, " of pupil_ref ", pupil_ref,
                                   " appears again (first at row ", first->second, ")"));
  }
  if (!reasons.empty()) {
    AddError("contacts", row, std::move(reasons));
    return;
  }

  contact_rows_by_key_.emplace(key, row);
  contact_rows_.push_back(row);
  contacts_.push_back(RosterContact{pupil_ref, contact_ref, contact.forename(), contact.surname(),
                                    responsibility == "Y", email, mobile.value_or(""),
                                    Trimmed(contact.postcode())});
}

void RosterBatch::Finish() {
  // Contacts may arrive before their pupils, so their pupil is checked last.
  std::vector<RosterContact> kept_contacts;
  for (size_t i = 0; i < contacts_.size(); ++i) {
    if (pupil_rows_.count(contacts_[i].pupil_ref) == 0) {
      AddError("contacts", contact_rows_[i],
               {absl::StrCat("pupil_ref ", contacts_[i].pupil_ref,
                             " is not a valid pupil row of this sync")});
      continue;
    }
    kept_contacts.push_back(std::move(contacts_[i]));
  }
  contacts_ = std::move(kept_contacts);
  contact_rows_.clear();

  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const v1::RowError& a, const v1::RowError& b) {
                     return std::make_pair(a.file(), a.row()) < std::make_pair(b.file(), b.row());
                   });
}

void RosterBatch::CheckSchool(const std::string& seed_code,
                              std::vector<std::string>* reasons) const {
  if (seed_code.empty()) {
    reasons->push_back("seed_code is missing");
  } else if (seed_code != seed_code_) {
    reasons->push_back(absl::StrCat("row belongs to school ", seed_code));
  }
}

void RosterBatch::AddError(const char* file, int row, std::vector<std::string> reasons) {
  v1::RowError error;
  error.set_file(file);
  error.set_row(row);
  error.set_reason(absl::StrJoin(reasons, "; "));
  errors_.push_back(std::move(error));
}

}  // namespace pp::link
