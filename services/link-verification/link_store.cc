#include "link_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "link_rules.h"
#include "return_if_error.h"

namespace pp::link {
namespace {

constexpr char kAttemptColumns[] =
    "attempt_id, account_id, pupil_id, contact_ref, contact_name, email, mobile, expires_at, "
    "code_hash, code_expires_at, sends, wrong_tries, used";

AttemptRecord ReadAttempt(const Row& row) {
  AttemptRecord attempt;
  attempt.attempt_id = row.Text(0);
  attempt.account_id = row.Text(1);
  attempt.pupil_id = row.Int(2);
  attempt.contact_ref = row.Text(3);
  attempt.contact_name = row.Text(4);
  attempt.email = row.Text(5);
  attempt.mobile = row.Text(6);
  attempt.expires_at = row.Int(7);
  attempt.code_hash = row.Text(8);
  attempt.code_expires_at = row.Int(9);
  attempt.sends = static_cast<int>(row.Int(10));
  attempt.wrong_tries = static_cast<int>(row.Int(11));
  attempt.used = row.Int(12) != 0;
  return attempt;
}

// Every request query selects these columns, in this order, from
// link_requests r joined to pupils p and schools s.
constexpr char kRequestColumns[] =
    "r.seq, r.request_id, r.account_id, r.pupil_id, p.seed_code, p.pupil_ref, r.contact_ref, "
    "r.contact_name, r.state, r.created_at, r.decide_by, r.decided_by, r.reason, "
    "COALESCE(r.child_id, ''), p.forename, p.preferred_forename, p.surname, p.stage, s.name "
    "FROM link_requests r JOIN pupils p ON p.id = r.pupil_id "
    "JOIN schools s ON s.seed_code = p.seed_code";

RequestRecord ReadRequest(const Row& row) {
  RequestRecord request;
  request.seq = row.Int(0);
  request.request_id = row.Text(1);
  request.account_id = row.Text(2);
  request.pupil_id = row.Int(3);
  request.seed_code = row.Text(4);
  request.pupil_ref = row.Text(5);
  request.contact_ref = row.Text(6);
  request.contact_name = row.Text(7);
  request.state = row.Text(8);
  request.created_at = row.Int(9);
  request.decide_by = row.Int(10);
  request.decided_by = row.Text(11);
  request.reason = row.Text(12);
  request.child_id = row.Text(13);
  request.pupil_forename = row.Text(14);
  request.pupil_preferred_forename = row.Text(15);
  request.pupil_surname = row.Text(16);
  request.stage = row.Text(17);
  request.school_name = row.Text(18);
  return request;
}

// The pupils of a school that left, and the links of a school whose contact
// lost parental responsibility, as SQL conditions on link_requests.
constexpr char kPupilLeft[] =
    "pupil_id IN (SELECT id FROM pupils WHERE seed_code = ? AND left_at IS NOT NULL)";
constexpr char kContactGone[] =
    "pupil_id IN (SELECT id FROM pupils WHERE seed_code = ?) AND NOT EXISTS ("
    "SELECT 1 FROM contacts c WHERE c.pupil_id = link_requests.pupil_id "
    "AND c.contact_ref = link_requests.contact_ref AND c.parental_responsibility = 1)";

// Ends the approved links and rejects the pending requests that match
// `condition` (which takes the school's SEED code as its one parameter).
absl::Status CloseRequests(Tx& tx, const std::string& seed_code, const char* condition,
                           const std::string& reason, int64_t now, RosterCounts* counts) {
  LINK_RETURN_IF_ERROR(
      tx.Exec(absl::StrCat("UPDATE link_requests SET state = 'ENDED', reason = ?, decided_at = ? "
                           "WHERE state = 'APPROVED' AND ",
                           condition),
              {reason, now, seed_code}));
  counts->links_ended += tx.Changes();
  LINK_RETURN_IF_ERROR(tx.Exec(
      absl::StrCat("UPDATE link_requests SET state = 'REJECTED', decided_by = 'roster sync', "
                   "reason = ?, decided_at = ? WHERE state = 'PENDING' AND ",
                   condition),
      {reason, now, seed_code}));
  counts->requests_closed += tx.Changes();
  return absl::OkStatus();
}

}  // namespace

const std::vector<std::string>& LinkMigrations() {
  static const std::vector<std::string> migrations = {
      R"sql(
CREATE TABLE schools (
  seed_code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- Counts full syncs; a pupil not stamped with the latest one has left.
  sync_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE pupils (
  id INTEGER PRIMARY KEY,
  seed_code TEXT NOT NULL REFERENCES schools(seed_code),
  pupil_ref TEXT NOT NULL,
  forename TEXT NOT NULL,
  preferred_forename TEXT NOT NULL,
  surname TEXT NOT NULL,
  surname_key TEXT NOT NULL,
  date_of_birth TEXT NOT NULL,
  stage TEXT NOT NULL,
  postcode TEXT NOT NULL,
  sync_count INTEGER NOT NULL,
  left_at INTEGER,
  UNIQUE (seed_code, pupil_ref)
);
CREATE INDEX pupils_by_surname_and_birth ON pupils(surname_key, date_of_birth);
CREATE TABLE contacts (
  pupil_id INTEGER NOT NULL REFERENCES pupils(id),
  contact_ref TEXT NOT NULL,
  forename TEXT NOT NULL,
  surname TEXT NOT NULL,
  forename_key TEXT NOT NULL,
  surname_key TEXT NOT NULL,
  parental_responsibility INTEGER NOT NULL,
  email TEXT NOT NULL,
  mobile TEXT NOT NULL,
  postcode TEXT NOT NULL,
  PRIMARY KEY (pupil_id, contact_ref)
);
CREATE INDEX contacts_by_name ON contacts(surname_key, forename_key);
CREATE TABLE link_attempts (
  attempt_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  pupil_id INTEGER NOT NULL REFERENCES pupils(id),
  contact_ref TEXT NOT NULL,
  contact_name TEXT NOT NULL,
  email TEXT NOT NULL,
  mobile TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  code_hash TEXT NOT NULL DEFAULT '',
  code_expires_at INTEGER NOT NULL DEFAULT 0,
  sends INTEGER NOT NULL DEFAULT 0,
  wrong_tries INTEGER NOT NULL DEFAULT 0,
  used INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX link_attempts_by_expiry ON link_attempts(expires_at);
CREATE TABLE link_requests (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  pupil_id INTEGER NOT NULL REFERENCES pupils(id),
  contact_ref TEXT NOT NULL,
  contact_name TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  decide_by INTEGER NOT NULL,
  decided_by TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  decided_at INTEGER,
  child_id TEXT UNIQUE
);
CREATE INDEX link_requests_by_account ON link_requests(account_id);
CREATE INDEX link_requests_by_pupil ON link_requests(pupil_id);
CREATE INDEX link_requests_by_state ON link_requests(state, decide_by);
CREATE TABLE start_calls (
  account_id TEXT NOT NULL,
  called_at INTEGER NOT NULL
);
CREATE INDEX start_calls_by_account ON start_calls(account_id, called_at);
CREATE INDEX start_calls_by_time ON start_calls(called_at);
)sql",
  };
  return migrations;
}

absl::StatusOr<std::unique_ptr<Store>> OpenLinkStore(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot create the data folder ", data_dir, ": ", error.message()));
  }
  return Store::Open((std::filesystem::path(data_dir) / "link-verification.db").string(),
                     LinkMigrations());
}

absl::StatusOr<std::vector<PupilRecord>> FindPupils(Tx& tx, const std::string& surname_key,
                                                    const std::string& date_of_birth) {
  std::vector<PupilRecord> pupils;
  absl::Status status = tx.Query(
      "SELECT id, seed_code, pupil_ref, forename, preferred_forename, surname, date_of_birth, "
      "stage, postcode, left_at IS NULL FROM pupils WHERE surname_key = ? AND date_of_birth = ? "
      "ORDER BY id",
      {surname_key, date_of_birth}, [&](const Row& row) {
        PupilRecord pupil;
        pupil.id = row.Int(0);
        pupil.seed_code = row.Text(1);
        pupil.pupil_ref = row.Text(2);
        pupil.forename = row.Text(3);
        pupil.preferred_forename = row.Text(4);
        pupil.surname = row.Text(5);
        pupil.date_of_birth = row.Text(6);
        pupil.stage = row.Text(7);
        pupil.postcode = row.Text(8);
        pupil.current = row.Int(9) != 0;
        pupils.push_back(std::move(pupil));
      });
  if (!status.ok()) return status;
  return pupils;
}

absl::StatusOr<std::vector<ContactRecord>> FindContacts(Tx& tx, const std::string& forename_key,
                                                        const std::string& surname_key) {
  std::vector<ContactRecord> contacts;
  absl::Status status = tx.Query(
      "SELECT pupil_id, contact_ref, forename, surname, parental_responsibility, email, mobile, "
      "postcode FROM contacts WHERE surname_key = ? AND forename_key = ? "
      "ORDER BY pupil_id, contact_ref",
      {surname_key, forename_key}, [&](const Row& row) {
        ContactRecord contact;
        contact.pupil_id = row.Int(0);
        contact.contact_ref = row.Text(1);
        contact.forename = row.Text(2);
        contact.surname = row.Text(3);
        contact.parental_responsibility = row.Int(4) != 0;
        contact.email = row.Text(5);
        contact.mobile = row.Text(6);
        contact.postcode = row.Text(7);
        contacts.push_back(std::move(contact));
      });
  if (!status.ok()) return status;
  return contacts;
}

absl::StatusOr<std::optional<AttemptRecord>> LoadAttempt(Tx& tx, const std::string& attempt_id) {
  std::optional<AttemptRecord> attempt;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kAttemptColumns, " FROM link_attempts WHERE attempt_id = ?"),
               {attempt_id}, [&](const Row& row) { attempt = ReadAttempt(row); });
  if (!status.ok()) return status;
  return attempt;
}

absl::Status InsertAttempt(Tx& tx, const AttemptRecord& attempt, int64_t now) {
  // Expired attempts are kept for a day, so that a late code reads as expired
  // rather than unknown, and removed as new attempts arrive.
  LINK_RETURN_IF_ERROR(
      tx.Exec("DELETE FROM link_attempts WHERE expires_at < ?", {now - 24 * 3600}));
  return tx.Exec(
      absl::StrCat("INSERT INTO link_attempts(", kAttemptColumns,
                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      {attempt.attempt_id, attempt.account_id, attempt.pupil_id, attempt.contact_ref,
       attempt.contact_name, attempt.email, attempt.mobile, attempt.expires_at, attempt.code_hash,
       attempt.code_expires_at, attempt.sends, attempt.wrong_tries, attempt.used});
}

absl::Status UpdateAttemptCode(Tx& tx, const AttemptRecord& attempt) {
  return tx.Exec(
      "UPDATE link_attempts SET code_hash = ?, code_expires_at = ?, sends = ?, wrong_tries = ?, "
      "used = ? WHERE attempt_id = ?",
      {attempt.code_hash, attempt.code_expires_at, attempt.sends, attempt.wrong_tries, attempt.used,
       attempt.attempt_id});
}

absl::StatusOr<bool> HasOpenRequest(Tx& tx, const std::string& account_id, int64_t pupil_id) {
  absl::StatusOr<int64_t> count = tx.QueryInt(
      "SELECT COUNT(*) FROM link_requests WHERE account_id = ? AND pupil_id = ? "
      "AND state IN ('PENDING', 'APPROVED')",
      {account_id, pupil_id});
  if (!count.ok()) return count.status();
  return *count > 0;
}

absl::Status InsertRequest(Tx& tx, const RequestRecord& request) {
  return tx.Exec(
      "INSERT INTO link_requests(request_id, account_id, pupil_id, contact_ref, contact_name, "
      "state, created_at, decide_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {request.request_id, request.account_id, request.pupil_id, request.contact_ref,
       request.contact_name, request.state, request.created_at, request.decide_by});
}

absl::StatusOr<std::optional<RequestRecord>> LoadRequest(Tx& tx, const std::string& request_id) {
  std::optional<RequestRecord> request;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kRequestColumns, " WHERE r.request_id = ?"), {request_id},
               [&](const Row& row) { request = ReadRequest(row); });
  if (!status.ok()) return status;
  return request;
}

absl::Status ExpireOverdueRequests(Tx& tx, int64_t now) {
  return tx.Exec(
      "UPDATE link_requests SET state = 'EXPIRED' WHERE state = 'PENDING' AND decide_by < ?",
      {now});
}

absl::StatusOr<RosterCounts> ReplaceRoster(Tx& tx, const std::string& seed_code,
                                           const std::string& school_name,
                                           const std::vector<RosterPupil>& pupils,
                                           const std::vector<RosterContact>& contacts,
                                           int64_t now) {
  // Stamp this sync with the next number. Pupils not stamped with it have left.
  LINK_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO schools(seed_code, name, sync_count) VALUES (?, ?, 1) "
      "ON CONFLICT(seed_code) DO UPDATE SET name = excluded.name, sync_count = sync_count + 1",
      {seed_code, school_name}));
  absl::StatusOr<int64_t> sync_count =
      tx.QueryInt("SELECT sync_count FROM schools WHERE seed_code = ?", {seed_code});
  if (!sync_count.ok()) return sync_count.status();

  for (const RosterPupil& pupil : pupils) {
    LINK_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO pupils(seed_code, pupil_ref, forename, preferred_forename, surname, "
        "surname_key, date_of_birth, stage, postcode, sync_count) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(seed_code, pupil_ref) DO UPDATE SET forename = excluded.forename, "
        "preferred_forename = excluded.preferred_forename, surname = excluded.surname, "
        "surname_key = excluded.surname_key, date_of_birth = excluded.date_of_birth, "
        "stage = excluded.stage, postcode = excluded.postcode, sync_count = excluded.sync_count, "
        "left_at = NULL",
        {seed_code, pupil.pupil_ref, pupil.forename, pupil.preferred_forename, pupil.surname,
         NameKey(pupil.surname), pupil.date_of_birth, pupil.stage, pupil.postcode, *sync_count}));
  }

  // Contacts are replaced as a whole: the sync is the school's full list.
  LINK_RETURN_IF_ERROR(
      tx.Exec("DELETE FROM contacts WHERE pupil_id IN (SELECT id FROM pupils WHERE seed_code = ?)",
              {seed_code}));
  for (const RosterContact& contact : contacts) {
    LINK_RETURN_IF_ERROR(tx.Exec(
        "INSERT INTO contacts(pupil_id, contact_ref, forename, surname, forename_key, "
        "surname_key, parental_responsibility, email, mobile, postcode) "
        "SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM pupils WHERE seed_code = ? AND pupil_ref = ?",
        {contact.contact_ref, contact.forename, contact.surname, NameKey(contact.forename),
         NameKey(contact.surname), contact.parental_responsibility, contact.email, contact.mobile,
         contact.postcode, seed_code, contact.pupil_ref}));
  }

  RosterCounts counts;
  LINK_RETURN_IF_ERROR(tx.Exec(
      "UPDATE pupils SET left_at = ? WHERE seed_code = ? AND left_at IS NULL AND sync_count < ?",
      {now, seed_code, *sync_count}));
  counts.pupils_left = tx.Changes();

  LINK_RETURN_IF_ERROR(CloseRequests(
      tx, seed_code, kPupilLeft, "The pupil is no longer on the school's roster.", now, &counts));
  LINK_RETURN_IF_ERROR(
      CloseRequests(tx, seed_code, kContactGone,
                    "The school's roster no longer lists this parent with parental responsibility.",
                    now, &counts));
  return counts;
}

absl::StatusOr<bool> ContactMayLink(Tx& tx, int64_t pupil_id, const std::string& contact_ref) {
  absl::StatusOr<int64_t> count = tx.QueryInt(
      "SELECT COUNT(*) FROM contacts c JOIN pupils p ON p.id = c.pupil_id "
      "WHERE p.id = ? AND p.left_at IS NULL AND c.contact_ref = ? "
      "AND c.parental_responsibility = 1",
      {pupil_id, contact_ref});
  if (!count.ok()) return count.status();
  return *count > 0;
}

absl::StatusOr<std::vector<RequestRecord>> ListSchoolRequests(Tx& tx, const std::string& seed_code,
                                                              const std::string& state,
                                                              int64_t after_seq, int limit) {
  std::vector<RequestRecord> requests;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kRequestColumns,
                            " WHERE p.seed_code = ? AND (? = '' OR r.state = ?) AND r.seq > ? "
                            "ORDER BY r.seq LIMIT ?"),
               {seed_code, state, state, after_seq, limit},
               [&](const Row& row) { requests.push_back(ReadRequest(row)); });
  if (!status.ok()) return status;
  return requests;
}

absl::StatusOr<std::vector<RequestRecord>> ListAccountRequests(Tx& tx,
                                                               const std::string& account_id) {
  std::vector<RequestRecord> requests;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kRequestColumns, " WHERE r.account_id = ? ORDER BY r.seq"),
               {account_id}, [&](const Row& row) { requests.push_back(ReadRequest(row)); });
  if (!status.ok()) return status;
  return requests;
}

absl::Status UpdateRequestDecision(Tx& tx, const RequestRecord& request, int64_t now) {
  return tx.Exec(
      "UPDATE link_requests SET state = ?, decided_by = ?, reason = ?, child_id = NULLIF(?, ''), "
      "decided_at = ? WHERE request_id = ?",
      {request.state, request.decided_by, request.reason, request.child_id, now,
       request.request_id});
}

absl::StatusOr<int64_t> CountStartCall(Tx& tx, const std::string& account_id, int64_t now,
                                       int64_t since) {
  LINK_RETURN_IF_ERROR(tx.Exec("DELETE FROM start_calls WHERE called_at < ?", {since}));
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO start_calls(account_id, called_at) VALUES (?, ?)", {account_id, now}));
  return tx.QueryInt("SELECT COUNT(*) FROM start_calls WHERE account_id = ? AND called_at >= ?",
                     {account_id, since});
}

}  // namespace pp::link
