// The rows of one full roster sync, checked as they arrive.
#ifndef PP_LINK_ROSTER_BATCH_H_
#define PP_LINK_ROSTER_BATCH_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "link_store.h"
#include "parentsportal/link.pb.h"
#include "roster_rows/roster_rows_digest.h"

namespace pp::link {

// What is wrong with one row: a message per problem and the column at fault.
struct RowProblems {
  void Add(std::string column, std::string reason);
  bool empty() const { return reasons.empty(); }

  std::vector<std::string> columns;
  std::vector<std::string> reasons;
};

// A rejected row of the school whose pupil or contact is kept as before,
// when the store contains it.
struct KeptRow {
  // "pupils" or "contacts".
  const char* file;
  int row;
  std::string pupil_ref;
  // Empty for a pupil row.
  std::string contact_ref;
};

class RosterBatch {
 public:
  // The maximum number of records one sync may send. The largest schools have a few
  // thousand pupils, each with a few contacts.
  static constexpr int kMaxRecords = 200000;
  // The maximum length of a name or reference, in bytes.
  static constexpr size_t kMaxValueBytes = 200;

  // A batch for the school `seed_code`; dates of birth after `today` are
  // rejected.
  RosterBatch(std::string seed_code, absl::CivilDay today);

  // Checks one record and keeps it when it is valid, or adds a row error.
  // Returns ResourceExhausted once more than kMaxRecords have been added.
  absl::Status Add(const parentsportal::link::v1::RosterRecord& record);

  // Drops the contacts whose pupil is not among the valid pupils, with a row
  // error each, and sorts the errors by file and row. A valid contact row of
  // a pupil whose own row was rejected is dropped too, and the contact is
  // kept as before with its pupil, unless the row sets a safeguarding hold
  // (see holds). Call once, after the last Add.
  void Finish();

  const std::string& seed_code() const { return seed_code_; }
  // The school name of the first valid pupil row that has one, else empty.
  const std::string& school_name() const { return school_name_; }
  const std::vector<RosterPupil>& pupils() const { return pupils_; }
  const std::vector<RosterContact>& contacts() const { return contacts_; }
  const std::vector<parentsportal::link::v1::RowError>& errors() const { return errors_; }
  // The pupil_refs of rejected pupil rows: those pupils, with their
  // contacts, keep their previous records.
  const std::set<std::string>& kept_pupils() const { return kept_pupils_; }
  // The (pupil_ref, contact_ref) keys of rejected contact rows, whose
  // contacts keep their previous records.
  const std::set<std::pair<std::string, std::string>>& kept_contacts() const {
    return kept_contacts_;
  }
  // Every error with kept_as_before set, with its pupil or contact.
  const std::vector<KeptRow>& kept_rows() const { return kept_rows_; }
  // The rejected rows of this school whose pupil or contact is unknown,
  // because a reference is missing, unreadable or repeated, or the record
  // has neither a pupil nor a contact. A sync with any of them must change
  // nothing, because it cannot keep those pupils or contacts as before.
  const std::vector<parentsportal::link::v1::RowError>& unidentified() const {
    return unidentified_;
  }
  // The rejected rows of this school that set a safeguarding hold, or whose
  // restricted value cannot be read. A sync with any of them must change
  // nothing, because keeping the record as before would not apply the hold.
  const std::vector<parentsportal::link::v1::RowError>& holds() const { return holds_; }
  // Pupil rows whose seed_code is this batch's school (valid or not), and
  // the other SEED codes pupil rows name. A sync whose every pupil row names
  // another school was most likely sent with the wrong school's token.
  int own_pupil_rows() const { return own_pupil_rows_; }
  const std::set<std::string>& other_pupil_schools() const { return other_pupil_schools_; }
  // The digest of every record added, valid or not (RosterRows.rows_digest
  // in link.proto), once Finish has run.
  const std::string& rows_digest() const { return rows_digest_; }

 private:
  void AddPupil(int row, const parentsportal::link::v1::Pupil& pupil);
  void AddContact(int row, const parentsportal::link::v1::Contact& contact);
  // True when `seed_code` names a school other than this batch's.
  bool OtherSchool(const std::string& seed_code) const;
  void CheckSchool(const std::string& seed_code, RowProblems* reasons) const;
  // Files a rejected row: the error, and then a hold, an unidentified row or
  // a row kept as before. Returns true for the last, whose record the caller
  // marks as kept.
  bool RejectRow(KeptRow row, RowProblems reasons, bool other_school,
                 std::optional<bool> restricted);
  // Adds a row error and returns it; the reference is valid until the next
  // error is added.
  parentsportal::link::v1::RowError& AddError(const char* file, int row, RowProblems problems);

  std::string seed_code_;
  absl::CivilDay today_;
  int records_ = 0;
  std::string school_name_;
  std::vector<RosterPupil> pupils_;
  std::vector<RosterContact> contacts_;
  // The row of each contact in contacts_, for errors found in Finish.
  std::vector<int> contact_rows_;
  // The first row of each readable pupil_ref, and (pupil_ref, contact_ref),
  // of this school, whether the row was valid or not.
  std::map<std::string, int> pupil_rows_;
  std::map<std::pair<std::string, std::string>, int> contact_rows_by_key_;
  std::vector<parentsportal::link::v1::RowError> errors_;
  std::set<std::string> kept_pupils_;
  std::set<std::pair<std::string, std::string>> kept_contacts_;
  std::vector<KeptRow> kept_rows_;
  std::vector<parentsportal::link::v1::RowError> unidentified_;
  std::vector<parentsportal::link::v1::RowError> holds_;
  int own_pupil_rows_ = 0;
  std::set<std::string> other_pupil_schools_;
  roster_rows::RowsDigest digest_;
  std::string rows_digest_;
};

}  // namespace pp::link

#endif  // PP_LINK_ROSTER_BATCH_H_
