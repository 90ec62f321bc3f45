#include "link_store.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "contact_lookup.h"
#include "link_rules.h"
#include "return_if_error.h"

namespace pp::link {
namespace {

// The connection keeps SQLite's default page cache of 2,000 KiB. With a
// cache of 64 MiB, SQLite scanned the cache's whole hash table at every
// commit, and StartLink served about a quarter fewer calls a second.

// Pages the write-ahead log may reach before a commit copies it into the
// database file (SQLite's default is 1,000). With the default, a sync of
// many schools paid for a checkpoint and its two fsyncs every few schools.
// The log now grows to about 64 MiB between checkpoints.
constexpr char kAutoCheckpointPragma[] = "PRAGMA wal_autocheckpoint = 16384";

constexpr char kAttemptColumns[] =
    "attempt_id, account_id, pupil_id, contact_ref, contact_name, email, mobile, expires_at, "
    "code_hash, code_expires_at, sends, wrong_tries, used, parent_email";

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
  attempt.parent_email = row.Text(13);
  attempt.seed_code = row.Text(14);
  attempt.child_forename = row.Text(15);
  return attempt;
}

// Every request query selects these columns, in this order, from
// link_requests r joined to pupils p and schools s.
constexpr char kRequestColumns[] =
    "r.seq, r.request_id, r.account_id, r.pupil_id, p.seed_code, p.pupil_ref, r.contact_ref, "
    "r.contact_name, r.state, r.created_at, r.decide_by, r.decided_by, r.reason, "
    "COALESCE(r.child_id, ''), p.forename, p.preferred_forename, p.surname, p.stage, s.name, "
    "COALESCE(r.decided_at, 0), r.parent_email, COALESCE(r.reminder_sent_at, 0) "
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
  request.decided_at = row.Int(19);
  request.parent_email = row.Text(20);
  request.reminder_sent_at = row.Int(21);
  return request;
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
      R"sql(
ALTER TABLE pupils ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN landline TEXT NOT NULL DEFAULT '';
ALTER TABLE link_attempts ADD COLUMN parent_email TEXT NOT NULL DEFAULT '';
ALTER TABLE link_requests ADD COLUMN parent_email TEXT NOT NULL DEFAULT '';
CREATE TABLE code_sends (
  attempt_id TEXT NOT NULL,
  sent_at INTEGER NOT NULL
);
CREATE INDEX code_sends_by_attempt ON code_sends(attempt_id, sent_at);
CREATE TABLE match_failures (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  seed_code TEXT NOT NULL,
  pupil_id INTEGER NOT NULL REFERENCES pupils(id),
  contact_ref TEXT NOT NULL,
  contact_name TEXT NOT NULL,
  reasons TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX match_failures_by_school ON match_failures(seed_code, seq);
CREATE TABLE link_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL
);
CREATE INDEX link_events_by_request ON link_events(request_id, seq);
-- Which version of the name-key rules made the stored keys.
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
)sql",
      R"sql(
-- The address each school is reminded at; a school without one gets none.
CREATE TABLE school_contacts (
  seed_code TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Set once the reminder about a pending request was handed over.
ALTER TABLE link_requests ADD COLUMN reminder_sent_at INTEGER;
)sql",
      R"sql(
-- The contact's PostcodeKey, filled when the store opens (RebuildNameKeys).
-- StartLink looks a parent up by name and postcode, and a common name can
-- belong to thousands of contacts across Scotland's rosters.
ALTER TABLE contacts ADD COLUMN postcode_key TEXT NOT NULL DEFAULT '';
CREATE INDEX contacts_by_name_and_postcode ON contacts(surname_key, forename_key, postcode_key);
DROP INDEX contacts_by_name;
)sql",
      R"sql(
-- No query reads pupils by surname, and every roster sync paid for keeping
-- this index: its entries fall all over the index, so each school's sync
-- rewrote hundreds of its pages.
DROP INDEX pupils_by_surname_and_birth;
)sql",
      R"sql(
-- StartLink commits a start_calls row in every call and a link_attempts row
-- on a match. With two indexes on start_calls and two on link_attempts
-- (attempt ids and expiry times), each commit wrote about seven pages. Each
-- table is now stored in the order of the key it is read by, and rows past
-- their time are removed by a scan at most once a minute
-- (SweepExpiredStarts), so a commit writes about three.
CREATE TABLE start_calls_keyed (
  account_id TEXT NOT NULL,
  called_at INTEGER NOT NULL,
  -- Numbers the account's calls within one second from 1.
  seq INTEGER NOT NULL,
  PRIMARY KEY (account_id, called_at, seq)
) WITHOUT ROWID;
INSERT INTO start_calls_keyed(account_id, called_at, seq)
  SELECT account_id, called_at, ROW_NUMBER() OVER (PARTITION BY account_id, called_at)
  FROM start_calls;
DROP TABLE start_calls;
ALTER TABLE start_calls_keyed RENAME TO start_calls;
CREATE TABLE link_attempts_keyed (
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
  used INTEGER NOT NULL DEFAULT 0,
  parent_email TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
INSERT INTO link_attempts_keyed(attempt_id, account_id, pupil_id, contact_ref, contact_name,
    email, mobile, expires_at, code_hash, code_expires_at, sends, wrong_tries, used, parent_email)
  SELECT attempt_id, account_id, pupil_id, contact_ref, contact_name, email, mobile, expires_at,
    code_hash, code_expires_at, sends, wrong_tries, used, parent_email
  FROM link_attempts;
DROP TABLE link_attempts;
ALTER TABLE link_attempts_keyed RENAME TO link_attempts;
)sql",
      R"sql(
-- RosterDigest of the rows the school's last full sync applied. A sync with
-- the same digest would write nothing, so it skips reading the stored rows.
-- NULL until the school's first sync after this migration.
ALTER TABLE schools ADD COLUMN roster_digest TEXT;
)sql",
      R"sql(
-- The same lookup with the postcode first. A school's contacts mostly live
-- in a few postcode districts around it, so its sync inserts them into
-- fewer pages of this index than when they were spread by name alone, and
-- each school's commit writes fewer pages.
CREATE INDEX contacts_by_postcode_and_name ON contacts(postcode_key, surname_key, forename_key);
DROP INDEX contacts_by_name_and_postcode;
)sql",
      R"sql(
-- The RosterRows.rows_digest of the records the school's last applied sync
-- sent, with its counts of valid pupil and contact rows. NULL when that
-- sync rejected a row, or came before this migration: a later sync of the
-- same records is then read again.
ALTER TABLE schools ADD COLUMN rows_digest TEXT;
ALTER TABLE schools ADD COLUMN rows_pupils INTEGER;
ALTER TABLE schools ADD COLUMN rows_contacts INTEGER;
)sql",
      R"sql(
-- Who asked for each code and whom it went to, so that the hourly limit
-- holds across a parent's attempts and for each contact. Sends recorded
-- before this migration count for neither, and are swept within a day.
ALTER TABLE code_sends ADD COLUMN account_id TEXT NOT NULL DEFAULT '';
ALTER TABLE code_sends ADD COLUMN pupil_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE code_sends ADD COLUMN contact_ref TEXT NOT NULL DEFAULT '';
CREATE INDEX code_sends_by_account ON code_sends(account_id, sent_at);
CREATE INDEX code_sends_by_contact ON code_sends(pupil_id, contact_ref, sent_at);
)sql",
      R"sql(
-- StartLink's lookup of contacts by postcode and name now lives in memory
-- (ContactLookup, built when the store opens), so that a roster sync no
-- longer rewrites pages of this index all over the file.
DROP INDEX contacts_by_postcode_and_name;
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
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(
      (std::filesystem::path(data_dir) / "link-verification.db").string(), LinkMigrations());
  if (!store.ok()) return store;

  absl::Status configured =
      (*store)->Write([](Tx& tx) -> absl::Status { return tx.Exec(kAutoCheckpointPragma); });
  if (!configured.ok()) return configured;
  absl::Status rekeyed = (*store)->Write([](Tx& tx) { return RebuildNameKeys(tx); });
  if (!rekeyed.ok()) return rekeyed;
  absl::Status looked_up = ContactLookup::Attach(**store);
  if (!looked_up.ok()) return looked_up;
  return store;
}

absl::StatusOr<std::vector<Candidate>> FindCandidates(Tx& tx, const std::string& forename_key,
                                                      const std::string& surname_key,
                                                      const std::string& postcode_key) {
  std::vector<Candidate> candidates;
  absl::Status status = tx.Query(
      "SELECT c.pupil_id, c.contact_ref, c.forename, c.surname, c.parental_responsibility, "
      "c.email, c.mobile, c.landline, c.postcode, c.restricted, p.seed_code, p.pupil_ref, "
      "p.forename, p.preferred_forename, p.surname, p.date_of_birth, p.stage, p.postcode, "
      "p.left_at IS NULL, p.restricted FROM json_each(contact_lookup_rowids(?)) l "
      "JOIN contacts c ON c.rowid = l.value JOIN pupils p ON p.id = c.pupil_id "
      "WHERE c.surname_key = ? AND c.forename_key = ? AND c.postcode_key = ? "
      "ORDER BY c.pupil_id, c.contact_ref",
      {ContactLookupKey(postcode_key, surname_key, forename_key), surname_key, forename_key,
       postcode_key},
      [&](const Row& row) {
        Candidate candidate;
        ContactRecord& contact = candidate.contact;
        contact.pupil_id = row.Int(0);
        contact.contact_ref = row.Text(1);
        contact.forename = row.Text(2);
        contact.surname = row.Text(3);
        contact.parental_responsibility = row.Int(4) != 0;
        contact.email = row.Text(5);
        contact.mobile = row.Text(6);
        contact.landline = row.Text(7);
        contact.postcode = row.Text(8);
        contact.restricted = row.Int(9) != 0;
        PupilRecord& pupil = candidate.pupil;
        pupil.id = contact.pupil_id;
        pupil.seed_code = row.Text(10);
        pupil.pupil_ref = row.Text(11);
        pupil.forename = row.Text(12);
        pupil.preferred_forename = row.Text(13);
        pupil.surname = row.Text(14);
        pupil.date_of_birth = row.Text(15);
        pupil.stage = row.Text(16);
        pupil.postcode = row.Text(17);
        pupil.current = row.Int(18) != 0;
        pupil.restricted = row.Int(19) != 0;
        candidates.push_back(std::move(candidate));
      });
  if (!status.ok()) return status;
  return candidates;
}

absl::StatusOr<std::optional<AttemptRecord>> LoadAttempt(Tx& tx, const std::string& attempt_id) {
  std::optional<AttemptRecord> attempt;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kAttemptColumns,
                            ", p.seed_code, CASE WHEN p.preferred_forename <> '' "
                            "THEN p.preferred_forename ELSE p.forename END "
                            "FROM link_attempts LEFT JOIN pupils p ON p.id = pupil_id "
                            "WHERE attempt_id = ?"),
               {attempt_id}, [&](const Row& row) { attempt = ReadAttempt(row); });
  if (!status.ok()) return status;
  return attempt;
}

absl::Status InsertAttempt(Tx& tx, const AttemptRecord& attempt) {
  return tx.Exec(absl::StrCat("INSERT INTO link_attempts(", kAttemptColumns,
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                 {attempt.attempt_id, attempt.account_id, attempt.pupil_id, attempt.contact_ref,
                  attempt.contact_name, attempt.email, attempt.mobile, attempt.expires_at,
                  attempt.code_hash, attempt.code_expires_at, attempt.sends, attempt.wrong_tries,
                  attempt.used, attempt.parent_email});
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
  LINK_RETURN_IF_ERROR(tx.Exec(
      "INSERT INTO link_requests(request_id, account_id, pupil_id, contact_ref, contact_name, "
      "state, created_at, decide_by, parent_email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {request.request_id, request.account_id, request.pupil_id, request.contact_ref,
       request.contact_name, request.state, request.created_at, request.decide_by,
       request.parent_email}));
  return InsertLinkEvent(tx, {request.request_id, request.created_at, "requested", "parent", ""});
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
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO link_events(request_id, at, action, actor, reason) "
              "SELECT request_id, decide_by, 'expired', '', 'The school did not decide in time.' "
              "FROM link_requests WHERE state = 'PENDING' AND decide_by < ?",
              {now}));
  return tx.Exec(
      "UPDATE link_requests SET state = 'EXPIRED' WHERE state = 'PENDING' AND decide_by < ?",
      {now});
}

absl::StatusOr<std::string> ContactMobile(Tx& tx, int64_t pupil_id,
                                          const std::string& contact_ref) {
  std::string mobile;
  absl::Status status =
      tx.Query("SELECT mobile FROM contacts WHERE pupil_id = ? AND contact_ref = ?",
               {pupil_id, contact_ref}, [&](const Row& row) { mobile = row.Text(0); });
  if (!status.ok()) return status;
  return mobile;
}

absl::StatusOr<bool> ContactMayLink(Tx& tx, int64_t pupil_id, const std::string& contact_ref) {
  absl::StatusOr<int64_t> count = tx.QueryInt(
      "SELECT COUNT(*) FROM contacts c JOIN pupils p ON p.id = c.pupil_id "
      "WHERE p.id = ? AND p.left_at IS NULL AND p.restricted = 0 AND c.contact_ref = ? "
      "AND c.parental_responsibility = 1 AND c.restricted = 0",
      {pupil_id, contact_ref});
  if (!count.ok()) return count.status();
  return *count > 0;
}

absl::StatusOr<bool> AttemptContactCurrent(Tx& tx, const AttemptRecord& attempt) {
  absl::StatusOr<int64_t> count = tx.QueryInt(
      "SELECT COUNT(*) FROM contacts c JOIN pupils p ON p.id = c.pupil_id "
      "WHERE p.id = ? AND p.left_at IS NULL AND p.restricted = 0 AND c.contact_ref = ? "
      "AND c.parental_responsibility = 1 AND c.restricted = 0 AND c.email = ? AND c.mobile = ?",
      {attempt.pupil_id, attempt.contact_ref, attempt.email, attempt.mobile});
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

absl::StatusOr<std::vector<RequestRecord>> ListRequestsClosedBySync(Tx& tx, int64_t after_seq) {
  std::vector<RequestRecord> requests;
  absl::Status status = tx.Query(
      absl::StrCat("SELECT ", kRequestColumns,
                   " WHERE r.request_id IN (SELECT request_id FROM link_events WHERE seq > ? "
                   "AND actor = 'roster sync' AND action IN ('ended', 'rejected')) "
                   "ORDER BY r.seq"),
      {after_seq}, [&](const Row& row) { requests.push_back(ReadRequest(row)); });
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
  // An INSERT ... SELECT from its own table would first copy the selected
  // rows into a temporary table, so the next number comes from its own query.
  absl::StatusOr<int64_t> last_seq = tx.QueryInt(
      "SELECT COALESCE(MAX(seq), 0) FROM start_calls WHERE account_id = ? AND called_at = ?",
      {account_id, now});
  if (!last_seq.ok()) return last_seq.status();
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO start_calls(account_id, called_at, seq) VALUES (?, ?, ?)",
              {account_id, now, *last_seq + 1}));
  return tx.QueryInt("SELECT COUNT(*) FROM start_calls WHERE account_id = ? AND called_at >= ?",
                     {account_id, since});
}

absl::StatusOr<int64_t> LimitingStartCall(Tx& tx, const std::string& account_id, int64_t since,
                                          int limit) {
  return tx.QueryInt(
      "SELECT called_at FROM start_calls WHERE account_id = ? AND called_at >= ? "
      "ORDER BY called_at DESC LIMIT 1 OFFSET ?",
      {account_id, since, limit - 1});
}

absl::Status SweepExpiredStarts(Tx& tx, int64_t before) {
  LINK_RETURN_IF_ERROR(tx.Exec("DELETE FROM start_calls WHERE called_at < ?", {before}));
  LINK_RETURN_IF_ERROR(tx.Exec("DELETE FROM link_attempts WHERE expires_at < ?", {before}));
  return tx.Exec("DELETE FROM code_sends WHERE sent_at < ?", {before});
}

absl::StatusOr<int64_t> CountCodeSends(Tx& tx, const AttemptRecord& attempt, int64_t since) {
  return tx.QueryInt(
      "SELECT MAX((SELECT COUNT(*) FROM code_sends WHERE account_id = ? AND sent_at >= ?), "
      "(SELECT COUNT(*) FROM code_sends WHERE pupil_id = ? AND contact_ref = ? AND sent_at >= ?))",
      {attempt.account_id, since, attempt.pupil_id, attempt.contact_ref, since});
}

absl::StatusOr<int64_t> LimitingCodeSend(Tx& tx, const AttemptRecord& attempt, int64_t since,
                                         int limit) {
  // The subquery of a group with fewer sends is NULL.
  return tx.QueryInt(
      "SELECT sent_at FROM ("
      "SELECT (SELECT sent_at FROM code_sends WHERE account_id = ? AND sent_at >= ? "
      "ORDER BY sent_at DESC LIMIT 1 OFFSET ?) AS sent_at "
      "UNION ALL "
      "SELECT (SELECT sent_at FROM code_sends WHERE pupil_id = ? AND contact_ref = ? "
      "AND sent_at >= ? ORDER BY sent_at DESC LIMIT 1 OFFSET ?)) "
      "WHERE sent_at IS NOT NULL ORDER BY sent_at DESC LIMIT 1",
      {attempt.account_id, since, limit - 1, attempt.pupil_id, attempt.contact_ref, since,
       limit - 1});
}

absl::Status RecordCodeSend(Tx& tx, const AttemptRecord& attempt, int64_t now) {
  return tx.Exec(
      "INSERT INTO code_sends(attempt_id, sent_at, account_id, pupil_id, contact_ref) "
      "VALUES (?, ?, ?, ?, ?)",
      {attempt.attempt_id, now, attempt.account_id, attempt.pupil_id, attempt.contact_ref});
}

absl::Status ForgetCodeSend(Tx& tx, const std::string& attempt_id, int64_t sent_at) {
  return tx.Exec(
      "DELETE FROM code_sends WHERE rowid = (SELECT rowid FROM code_sends WHERE attempt_id = ? "
      "AND sent_at = ? LIMIT 1)",
      {attempt_id, sent_at});
}

absl::Status InsertMatchFailure(Tx& tx, const MatchFailureRecord& failure) {
  return tx.Exec(
      "INSERT INTO match_failures(seed_code, pupil_id, contact_ref, contact_name, reasons, "
      "created_at) SELECT seed_code, id, ?, ?, ?, ? FROM pupils WHERE id = ?",
      {failure.contact_ref, failure.contact_name, failure.reasons, failure.created_at,
       failure.pupil_id});
}

absl::StatusOr<std::vector<MatchFailureRecord>> ListMatchFailures(Tx& tx,
                                                                  const std::string& seed_code,
                                                                  int64_t before_seq, int limit,
                                                                  int64_t since) {
  LINK_RETURN_IF_ERROR(tx.Exec("DELETE FROM match_failures WHERE created_at < ?", {since}));
  std::vector<MatchFailureRecord> failures;
  absl::Status status = tx.Query(
      "SELECT f.seq, f.pupil_id, f.contact_ref, f.contact_name, f.reasons, f.created_at, "
      "p.pupil_ref, p.forename || ' ' || p.surname FROM match_failures f "
      "JOIN pupils p ON p.id = f.pupil_id WHERE f.seed_code = ? AND (? = 0 OR f.seq < ?) "
      "ORDER BY f.seq DESC LIMIT ?",
      {seed_code, before_seq, before_seq, limit}, [&](const Row& row) {
        MatchFailureRecord failure;
        failure.seq = row.Int(0);
        failure.pupil_id = row.Int(1);
        failure.contact_ref = row.Text(2);
        failure.contact_name = row.Text(3);
        failure.reasons = row.Text(4);
        failure.created_at = row.Int(5);
        failure.pupil_ref = row.Text(6);
        failure.pupil_name = row.Text(7);
        failures.push_back(std::move(failure));
      });
  if (!status.ok()) return status;
  return failures;
}

absl::Status InsertLinkEvent(Tx& tx, const LinkEventRecord& event) {
  return tx.Exec(
      "INSERT INTO link_events(request_id, at, action, actor, reason) VALUES (?, ?, ?, ?, ?)",
      {event.request_id, event.at, event.action, event.actor, event.reason});
}

absl::StatusOr<std::vector<LinkEventRecord>> ListLinkEvents(Tx& tx, const std::string& request_id) {
  std::vector<LinkEventRecord> events;
  absl::Status status = tx.Query(
      "SELECT request_id, at, action, actor, reason FROM link_events WHERE request_id = ? "
      "ORDER BY seq",
      {request_id}, [&](const Row& row) {
        events.push_back(
            LinkEventRecord{row.Text(0), row.Int(1), row.Text(2), row.Text(3), row.Text(4)});
      });
  if (!status.ok()) return status;
  return events;
}

absl::Status SetSchoolContact(Tx& tx, const SchoolContactRecord& contact) {
  if (contact.email.empty()) {
    return tx.Exec("DELETE FROM school_contacts WHERE seed_code = ?", {contact.seed_code});
  }
  return tx.Exec(
      "INSERT INTO school_contacts(seed_code, email, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT(seed_code) DO UPDATE SET email = excluded.email, "
      "updated_at = excluded.updated_at",
      {contact.seed_code, contact.email, contact.updated_at});
}

absl::StatusOr<std::vector<ReminderRecord>> ListRequestsToRemind(Tx& tx, int64_t created_before,
                                                                 int64_t now) {
  std::vector<ReminderRecord> reminders;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kRequestColumns,
                            " WHERE r.state = 'PENDING' AND r.reminder_sent_at IS NULL "
                            "AND r.created_at < ? AND r.decide_by >= ? ORDER BY r.seq"),
               {created_before, now}, [&](const Row& row) {
                 reminders.push_back(ReminderRecord{ReadRequest(row), ""});
               });
  if (!status.ok()) return status;
  // The contact is read apart, because every request query selects exactly
  // kRequestColumns.
  for (ReminderRecord& reminder : reminders) {
    LINK_RETURN_IF_ERROR(tx.Query("SELECT email FROM school_contacts WHERE seed_code = ?",
                                  {reminder.request.seed_code},
                                  [&](const Row& row) { reminder.school_email = row.Text(0); }));
  }
  return reminders;
}

absl::StatusOr<std::vector<RequestRecord>> ListOpenPendingRequests(Tx& tx, int64_t now) {
  std::vector<RequestRecord> requests;
  absl::Status status =
      tx.Query(absl::StrCat("SELECT ", kRequestColumns,
                            " WHERE r.state = 'PENDING' AND r.decide_by >= ? ORDER BY r.seq"),
               {now}, [&](const Row& row) { requests.push_back(ReadRequest(row)); });
  if (!status.ok()) return status;
  return requests;
}

absl::StatusOr<bool> ExtendDecideBy(Tx& tx, const std::string& request_id, int64_t decide_by) {
  LINK_RETURN_IF_ERROR(
      tx.Exec("UPDATE link_requests SET decide_by = ? WHERE request_id = ? AND state = 'PENDING' "
              "AND decide_by < ?",
              {decide_by, request_id, decide_by}));
  return tx.Changes() > 0;
}

absl::Status MarkReminderSent(Tx& tx, const std::string& request_id, int64_t now) {
  return tx.Exec(
      "UPDATE link_requests SET reminder_sent_at = ? WHERE request_id = ? "
      "AND reminder_sent_at IS NULL",
      {now, request_id});
}

}  // namespace pp::link
