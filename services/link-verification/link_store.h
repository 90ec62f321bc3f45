// The link-verification store: the schools' rosters, link attempts with
// their security codes, and link requests (which become links once a school
// approves them). Times are Unix seconds; dates are YYYY-MM-DD.
#ifndef PP_LINK_LINK_STORE_H_
#define PP_LINK_LINK_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/store.h"

namespace pp::link {

// States as stored; the same names as parentsportal.link.v1.LinkRequestState.
inline constexpr char kPending[] = "PENDING";
inline constexpr char kApproved[] = "APPROVED";
inline constexpr char kRejected[] = "REJECTED";
inline constexpr char kExpired[] = "EXPIRED";
inline constexpr char kEnded[] = "ENDED";

// The schema, one migration per schema version.
const std::vector<std::string>& LinkMigrations();

// Creates `data_dir` when needed and opens `<data_dir>/link-verification.db`.
// Rebuilds the stored name keys when they were made by another version of
// NameKey's rules, then builds the contacts' lookup in memory
// (ContactLookup).
absl::StatusOr<std::unique_ptr<Store>> OpenLinkStore(const std::string& data_dir);

// A current or former pupil, with the values matching compares.
struct PupilRecord {
  int64_t id = 0;
  std::string seed_code;
  std::string pupil_ref;
  std::string forename;
  std::string preferred_forename;
  std::string surname;
  std::string date_of_birth;
  std::string stage;
  std::string postcode;
  bool current = false;
  bool restricted = false;
};

// A pupil's contact as the school records them. `email` and `mobile` are
// empty when the school has none. `mobile` is E.164 (+447...); numbers of
// landlines are kept in `landline` and never texted.
struct ContactRecord {
  int64_t pupil_id = 0;
  std::string contact_ref;
  std::string forename;
  std::string surname;
  bool parental_responsibility = false;
  std::string email;
  std::string mobile;
  std::string landline;
  std::string postcode;
  bool restricted = false;
};

// A contact whose name matched a parent's, with the pupil they belong to.
struct Candidate {
  ContactRecord contact;
  PupilRecord pupil;
};

// A link attempt: a parent matched to a pupil, proving it with a code.
struct AttemptRecord {
  std::string attempt_id;
  std::string account_id;
  int64_t pupil_id = 0;
  std::string contact_ref;
  std::string contact_name;
  std::string email;
  std::string mobile;
  int64_t expires_at = 0;
  // Empty until a code is sent, and again once the attempt is used.
  std::string code_hash;
  int64_t code_expires_at = 0;
  int sends = 0;
  int wrong_tries = 0;
  bool used = false;
  // The parent's own email address from their account, for the decision.
  std::string parent_email;
  // The pupil's school, and the forename the school uses for them (the
  // preferred one where held), read with the attempt and never written.
  std::string seed_code;
  std::string child_forename;
};

// A link request; `child_id` is set once it is approved.
struct RequestRecord {
  int64_t seq = 0;
  std::string request_id;
  std::string account_id;
  int64_t pupil_id = 0;
  std::string seed_code;
  std::string pupil_ref;
  std::string contact_ref;
  std::string contact_name;
  std::string state;
  int64_t created_at = 0;
  int64_t decide_by = 0;
  std::string decided_by;
  std::string reason;
  // 0 until decided.
  int64_t decided_at = 0;
  std::string child_id;
  std::string parent_email;
  // From the pupil and the school, for display.
  std::string pupil_forename;
  std::string pupil_preferred_forename;
  std::string pupil_surname;
  std::string stage;
  std::string school_name;
  // When the school was reminded about the request; 0 until then.
  int64_t reminder_sent_at = 0;
};

// A valid roster row of a full sync, as the store keeps it.
struct RosterPupil {
  std::string pupil_ref;
  std::string forename;
  std::string preferred_forename;
  std::string surname;
  std::string date_of_birth;
  std::string stage;
  std::string postcode;
  bool restricted = false;
};

struct RosterContact {
  std::string pupil_ref;
  std::string contact_ref;
  std::string forename;
  std::string surname;
  bool parental_responsibility = false;
  std::string email;
  std::string mobile;
  std::string landline;
  std::string postcode;
  bool restricted = false;
};

struct RosterCounts {
  int pupils_added = 0;
  int pupils_changed = 0;
  int pupils_left = 0;
  int contacts_added = 0;
  int contacts_changed = 0;
  int contacts_removed = 0;
  // Approved links ended and pending requests closed by the sync.
  int links_ended = 0;
  int requests_closed = 0;
  // The part of links_ended that a safeguarding hold ended.
  int links_ended_by_hold = 0;
  // Safeguarding holds the sync removes, on pupils and contacts that no
  // longer have restricted set and on restricted contacts removed, each
  // named as "pupil_ref P" or "pupil_ref P with contact_ref C".
  std::vector<std::string> holds_lifted;
};

// Contacts, of any pupil in any school, whose forename and surname keys
// (NameKey) and postcode key (PostcodeKey) match, each with their pupil,
// current or not.
absl::StatusOr<std::vector<Candidate>> FindCandidates(Tx& tx, const std::string& forename_key,
                                                      const std::string& surname_key,
                                                      const std::string& postcode_key);

// The attempt with that id, or nullopt.
absl::StatusOr<std::optional<AttemptRecord>> LoadAttempt(Tx& tx, const std::string& attempt_id);

// Inserts the attempt.
absl::Status InsertAttempt(Tx& tx, const AttemptRecord& attempt);

// Writes the code fields of the attempt (code_hash, code_expires_at, sends,
// wrong_tries, used).
absl::Status UpdateAttemptCode(Tx& tx, const AttemptRecord& attempt);

// True when the account has a pending request or an approved link for the
// pupil.
absl::StatusOr<bool> HasOpenRequest(Tx& tx, const std::string& account_id, int64_t pupil_id);

absl::Status InsertRequest(Tx& tx, const RequestRecord& request);

// The request with that id, or nullopt.
absl::StatusOr<std::optional<RequestRecord>> LoadRequest(Tx& tx, const std::string& request_id);

// Replaces the roster of school `seed_code` with `pupils` and `contacts`
// (every contact's pupil_ref must be among `pupils`), writing only what
// differs, so that an unchanged roster writes nothing. Pupils held before
// and absent now are marked as left at `now`. Approved links end, and
// pending requests are rejected, when their pupil left or is restricted, or
// their contact is restricted or no longer on the roster with parental
// responsibility; each is recorded in the link's history. Pupils named in
// `kept_pupils` (by pupil_ref) and contacts named in `kept_contacts` (by
// pupil_ref and contact_ref) are absent from the lists because their rows
// were rejected: they keep their stored records, and a kept pupil keeps all
// its contacts. The school's pupils and contacts are read only when the
// arguments differ from its last sync's (RosterDigest), because nothing but
// a sync writes them.
absl::StatusOr<RosterCounts> ReplaceRoster(
    Tx& tx, const std::string& seed_code, const std::string& school_name,
    const std::vector<RosterPupil>& pupils, const std::vector<RosterContact>& contacts,
    const std::set<std::string>& kept_pupils,
    const std::set<std::pair<std::string, std::string>>& kept_contacts, int64_t now);

// Closes the school's links and requests that its stored roster no longer
// allows, as ReplaceRoster does after writing the rows, and adds them to
// `counts`.
absl::Status CloseAfterRoster(Tx& tx, const std::string& seed_code, int64_t now,
                              RosterCounts* counts);

// The records of a school's last applied sync, when it rejected none:
// their RosterRows.rows_digest and how many pupils and contacts they held.
struct SyncedRows {
  std::string digest;
  int64_t pupils = 0;
  int64_t contacts = 0;
};

// Stores `rows` as the school's last synced records, or clears them when
// empty, because the sync rejected a row and must be checked again.
absl::Status RecordSyncedRows(Tx& tx, const std::string& seed_code,
                              const std::optional<SyncedRows>& rows);

// Returns the school's last synced records when their digest is
// `rows_digest`, and nothing otherwise.
absl::StatusOr<std::optional<SyncedRows>> FindSyncedRows(Tx& tx, const std::string& seed_code,
                                                         const std::string& rows_digest);

// Returns the SQL that reads a school's approved links and pending
// requests for CloseAfterRoster, for tests of its query plan.
std::string OpenRequestsStatement();

// Rebuilds the name keys of every pupil and contact, and the contacts'
// postcode keys, when the store's keys were made by another version of the
// key rules (kNameKeyVersion).
absl::Status RebuildNameKeys(Tx& tx);

// The mobile number the school holds for the pupil's contact, "" when it
// holds none or the contact is no longer on the roster.
absl::StatusOr<std::string> ContactMobile(Tx& tx, int64_t pupil_id, const std::string& contact_ref);

// True when the pupil is current and not restricted, and `contact_ref` is
// one of their contacts with parental responsibility and no restriction.
absl::StatusOr<bool> ContactMayLink(Tx& tx, int64_t pupil_id, const std::string& contact_ref);

// True when the attempt's contact may still link, as ContactMayLink, and the
// roster still has the email address and mobile the attempt copied. A code
// then never goes to, or is accepted from, details the school corrected.
absl::StatusOr<bool> AttemptContactCurrent(Tx& tx, const AttemptRecord& attempt);

// Requests of school `seed_code` with `state` (every state when empty) and
// seq above `after_seq`, oldest first, at most `limit`.
absl::StatusOr<std::vector<RequestRecord>> ListSchoolRequests(Tx& tx, const std::string& seed_code,
                                                              const std::string& state,
                                                              int64_t after_seq, int limit);

// The requests that a roster sync ended or rejected after the link event
// `after_seq`, as stored now, oldest first.
absl::StatusOr<std::vector<RequestRecord>> ListRequestsClosedBySync(Tx& tx, int64_t after_seq);

// The account's requests, in every state, oldest first.
absl::StatusOr<std::vector<RequestRecord>> ListAccountRequests(Tx& tx,
                                                               const std::string& account_id);

// Writes the decision fields of the request (state, decided_by, reason,
// child_id) and the decision time `now`.
absl::Status UpdateRequestDecision(Tx& tx, const RequestRecord& request, int64_t now);

// Records one StartLink call by the account at `now` and returns how many
// it made since `since`, this one included. Calls before `since` stay
// stored until SweepExpiredStarts removes them.
absl::StatusOr<int64_t> CountStartCall(Tx& tx, const std::string& account_id, int64_t now,
                                       int64_t since);

// Returns the time, in Unix seconds, of the account's `limit`-th latest
// StartLink call since `since`. The daily limit lifts when it leaves the
// window. NotFound when the account made fewer calls.
absl::StatusOr<int64_t> LimitingStartCall(Tx& tx, const std::string& account_id, int64_t since,
                                          int limit);

// Deletes StartLink calls made before `before`, link attempts that expired
// before it and codes sent before it. Each table is scanned in full, so
// callers sweep at intervals rather than in every call.
absl::Status SweepExpiredStarts(Tx& tx, int64_t before);

// Marks pending requests whose decide_by is before `now` as expired, and
// records it in their history.
absl::Status ExpireOverdueRequests(Tx& tx, int64_t now);

// Returns the larger of two counts of codes sent since `since`: those the
// attempt's account asked for, over all its attempts, and those sent to
// the attempt's contact, from any account.
absl::StatusOr<int64_t> CountCodeSends(Tx& tx, const AttemptRecord& attempt, int64_t since);

// Returns the send that keeps the code limit in force, as its time in Unix
// seconds: in each of the two groups CountCodeSends counts, the `limit`-th
// latest send since `since`, and of those the later one. The limit lifts
// when this send leaves the window. NotFound when neither group contains
// `limit` sends since `since`.
absl::StatusOr<int64_t> LimitingCodeSend(Tx& tx, const AttemptRecord& attempt, int64_t since,
                                         int limit);

// Records one code sent for the attempt at `now`.
absl::Status RecordCodeSend(Tx& tx, const AttemptRecord& attempt, int64_t now);

// Gives back the send recorded at `sent_at`, after the message failed.
absl::Status ForgetCodeSend(Tx& tx, const std::string& attempt_id, int64_t sent_at);

// A near miss in StartLink, readable by the pupil's school only.
struct MatchFailureRecord {
  int64_t seq = 0;
  int64_t pupil_id = 0;
  std::string contact_ref;
  std::string contact_name;
  // Reason codes joined with ",".
  std::string reasons;
  int64_t created_at = 0;
  // From the pupil, for display.
  std::string pupil_ref;
  std::string pupil_name;
};

absl::Status InsertMatchFailure(Tx& tx, const MatchFailureRecord& failure);

// Near misses of school `seed_code` with seq below `before_seq` (every one
// when 0), newest first, at most `limit`. Forgets those older than `since`.
absl::StatusOr<std::vector<MatchFailureRecord>> ListMatchFailures(Tx& tx,
                                                                  const std::string& seed_code,
                                                                  int64_t before_seq, int limit,
                                                                  int64_t since);

// One entry of a request's history.
struct LinkEventRecord {
  std::string request_id;
  int64_t at = 0;
  std::string action;
  std::string actor;
  std::string reason;
};

absl::Status InsertLinkEvent(Tx& tx, const LinkEventRecord& event);

// The history of the request, oldest first.
absl::StatusOr<std::vector<LinkEventRecord>> ListLinkEvents(Tx& tx, const std::string& request_id);

// The address a school is reminded at.
struct SchoolContactRecord {
  std::string seed_code;
  std::string email;
  int64_t updated_at = 0;
};

// Stores the school's contact address, replacing any earlier one, or
// removes it when `contact.email` is empty.
absl::Status SetSchoolContact(Tx& tx, const SchoolContactRecord& contact);

// A pending request that may be due a reminder, with its school's contact
// address ("" when the school has set none).
struct ReminderRecord {
  RequestRecord request;
  std::string school_email;
};

// Pending requests made before `created_before` whose deadline is not past
// at `now` and whose school has not been reminded about them, oldest first.
absl::StatusOr<std::vector<ReminderRecord>> ListRequestsToRemind(Tx& tx, int64_t created_before,
                                                                 int64_t now);

// Pending requests whose deadline is not past at `now`, oldest first.
absl::StatusOr<std::vector<RequestRecord>> ListOpenPendingRequests(Tx& tx, int64_t now);

// Moves the deadline of a pending request to `decide_by` when that is later
// than the one stored. Returns whether it moved.
absl::StatusOr<bool> ExtendDecideBy(Tx& tx, const std::string& request_id, int64_t decide_by);

// Records that the school was reminded about the request at `now`. A
// request already marked keeps its first time.
absl::Status MarkReminderSent(Tx& tx, const std::string& request_id, int64_t now);

}  // namespace pp::link

#endif  // PP_LINK_LINK_STORE_H_
