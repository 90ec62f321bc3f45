// The roster half of the store: full syncs that write only what changed,
// and the rebuilding of name keys.
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "link_rules.h"
#include "link_store.h"
#include "return_if_error.h"
#include "roster_digest.h"

namespace pp::link {
namespace {

struct StoredPupil {
  int64_t id = 0;
  RosterPupil values;
  bool left = false;
};

auto Fields(const RosterPupil& p) {
  return std::tie(p.forename, p.preferred_forename, p.surname, p.date_of_birth, p.stage, p.postcode,
                  p.restricted);
}

auto Fields(const RosterContact& c) {
  return std::tie(c.forename, c.surname, c.parental_responsibility, c.email, c.mobile, c.landline,
                  c.postcode, c.restricted);
}

struct StoredContact {
  int64_t pupil_id = 0;
  RosterContact values;
};

using ContactKey = std::pair<std::string, std::string>;

absl::StatusOr<std::map<std::string, StoredPupil>> LoadPupils(Tx& tx,
                                                              const std::string& seed_code) {
  std::map<std::string, StoredPupil> pupils;
  absl::Status status = tx.Query(
      "SELECT id, pupil_ref, forename, preferred_forename, surname, date_of_birth, stage, "
      "postcode, restricted, left_at IS NOT NULL FROM pupils WHERE seed_code = ?",
      {seed_code}, [&](const Row& row) {
        StoredPupil pupil;
        pupil.id = row.Int(0);
        pupil.values = RosterPupil{row.Text(1), row.Text(2), row.Text(3), row.Text(4),
                                   row.Text(5), row.Text(6), row.Text(7), row.Int(8) != 0};
        pupil.left = row.Int(9) != 0;
        pupils.emplace(pupil.values.pupil_ref, std::move(pupil));
      });
  if (!status.ok()) return status;
  return pupils;
}

absl::StatusOr<std::map<ContactKey, StoredContact>> LoadContacts(Tx& tx,
                                                                 const std::string& seed_code) {
  std::map<ContactKey, StoredContact> contacts;
  absl::Status status = tx.Query(
      "SELECT p.pupil_ref, c.contact_ref, c.forename, c.surname, c.parental_responsibility, "
      "c.email, c.mobile, c.landline, c.postcode, c.restricted, c.pupil_id FROM contacts c "
      "JOIN pupils p ON p.id = c.pupil_id WHERE p.seed_code = ?",
      {seed_code}, [&](const Row& row) {
        StoredContact contact{
            row.Int(10),
            RosterContact{row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Int(4) != 0,
                          row.Text(5), row.Text(6), row.Text(7), row.Text(8), row.Int(9) != 0}};
        ContactKey key(contact.values.pupil_ref, contact.values.contact_ref);
        contacts.emplace(std::move(key), std::move(contact));
      });
  if (!status.ok()) return status;
  return contacts;
}

// NameKey folds with ICU, which costs more than the insert that stores the
// key, and a roster repeats the same forenames and surnames many times.
class NameKeyCache {
 public:
  const std::string& Key(const std::string& name) {
    auto [it, added] = keys_.try_emplace(name);
    if (added) it->second = NameKey(name);
    return it->second;
  }

 private:
  std::unordered_map<std::string, std::string> keys_;
};

absl::StatusOr<int64_t> InsertPupil(Tx& tx, const std::string& seed_code, const RosterPupil& pupil,
                                    NameKeyCache& keys) {
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO pupils(seed_code, pupil_ref, forename, preferred_forename, surname, "
              "surname_key, date_of_birth, stage, postcode, restricted, sync_count) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
              {seed_code, pupil.pupil_ref, pupil.forename, pupil.preferred_forename, pupil.surname,
               keys.Key(pupil.surname), pupil.date_of_birth, pupil.stage, pupil.postcode,
               pupil.restricted}));
  return tx.LastInsertId();
}

// Writes the values of a stored pupil and makes them current again.
absl::Status UpdatePupil(Tx& tx, int64_t id, const RosterPupil& pupil, NameKeyCache& keys) {
  return tx.Exec(
      "UPDATE pupils SET forename = ?, preferred_forename = ?, surname = ?, surname_key = ?, "
      "date_of_birth = ?, stage = ?, postcode = ?, restricted = ?, left_at = NULL WHERE id = ?",
      {pupil.forename, pupil.preferred_forename, pupil.surname, keys.Key(pupil.surname),
       pupil.date_of_birth, pupil.stage, pupil.postcode, pupil.restricted, id});
}

absl::Status InsertContact(Tx& tx, int64_t pupil_id, const RosterContact& contact,
                           NameKeyCache& keys) {
  return tx.Exec(
      "INSERT INTO contacts(pupil_id, contact_ref, forename, surname, forename_key, "
      "surname_key, parental_responsibility, email, mobile, landline, postcode, postcode_key, "
      "restricted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {pupil_id, contact.contact_ref, contact.forename, contact.surname, keys.Key(contact.forename),
       keys.Key(contact.surname), contact.parental_responsibility, contact.email, contact.mobile,
       contact.landline, contact.postcode, PostcodeKey(contact.postcode), contact.restricted});
}

absl::Status UpdateContact(Tx& tx, int64_t pupil_id, const RosterContact& contact,
                           NameKeyCache& keys) {
  return tx.Exec(
      "UPDATE contacts SET forename = ?, surname = ?, forename_key = ?, surname_key = ?, "
      "parental_responsibility = ?, email = ?, mobile = ?, landline = ?, postcode = ?, "
      "postcode_key = ?, restricted = ? WHERE pupil_id = ? AND contact_ref = ?",
      {contact.forename, contact.surname, keys.Key(contact.forename), keys.Key(contact.surname),
       contact.parental_responsibility, contact.email, contact.mobile, contact.landline,
       contact.postcode, PostcodeKey(contact.postcode), contact.restricted, pupil_id,
       contact.contact_ref});
}

// A school's approved link or pending request, with what its stored
// roster now records for the pupil and the contact.
struct OpenRequest {
  std::string request_id;
  bool approved = false;
  bool pupil_left = false;
  bool pupil_restricted = false;
  // False when the roster no longer lists the contact.
  bool contact_responsible = false;
  bool contact_restricted = false;
  // Set once a closure has closed it, so that no later closure does.
  bool closed = false;
};

// A reason a sync closes a link or request, with the reason the school
// reads in the link's history.
struct Closure {
  bool (*applies)(const OpenRequest& request);
  const char* reason;
  bool safeguarding_hold = false;
};

// In order: a request that several match is closed for the first.
constexpr Closure kClosures[] = {
    {[](const OpenRequest& request) { return request.pupil_left; },
     "The pupil is no longer on the school's roster."},
    {[](const OpenRequest& request) { return request.pupil_restricted; },
     "The school placed the pupil under a safeguarding hold.", true},
    {[](const OpenRequest& request) { return !request.contact_responsible; },
     "The school's roster no longer lists this parent with parental responsibility."},
    {[](const OpenRequest& request) { return request.contact_restricted; },
     "The school placed this contact under a safeguarding hold.", true},
};

}  // namespace

std::string OpenRequestsStatement() {
  // "+state" keeps SQLite from reading link_requests by its state index,
  // which lists every approved or pending request of every school. Through
  // the pupil index only the school's own requests are read: with 300,000
  // approved links in a test store, 60 to 80 ms a statement became 0.05 to
  // 0.44 ms.
  return "SELECT r.request_id, r.state = 'APPROVED', p.left_at IS NOT NULL, p.restricted, "
         "COALESCE(c.parental_responsibility, 0), COALESCE(c.restricted, 0) "
         "FROM pupils p JOIN link_requests r ON r.pupil_id = p.id "
         "LEFT JOIN contacts c ON c.pupil_id = r.pupil_id AND c.contact_ref = r.contact_ref "
         "WHERE p.seed_code = ? AND +r.state IN ('APPROVED', 'PENDING') ORDER BY r.seq";
}

namespace {

// Ends `request`, an approved link, or rejects it when pending, for
// `closure`, recording it in the link's history first.
absl::Status Close(Tx& tx, const OpenRequest& request, const Closure& closure, int64_t now,
                   RosterCounts* counts) {
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO link_events(request_id, at, action, actor, reason) "
              "VALUES (?, ?, ?, 'roster sync', ?)",
              {request.request_id, now, request.approved ? "ended" : "rejected", closure.reason}));
  LINK_RETURN_IF_ERROR(
      tx.Exec("UPDATE link_requests SET state = ?, decided_by = 'roster sync', reason = ?, "
              "decided_at = ? WHERE request_id = ?",
              {request.approved ? kEnded : kRejected, closure.reason, now, request.request_id}));
  if (request.approved) {
    ++counts->links_ended;
    if (closure.safeguarding_hold) ++counts->links_ended_by_hold;
  } else {
    ++counts->requests_closed;
  }
  return absl::OkStatus();
}

// True when `digest` is the school's stored roster digest.
absl::StatusOr<bool> IsLastDigest(Tx& tx, const std::string& seed_code, const std::string& digest) {
  bool same = false;
  LINK_RETURN_IF_ERROR(tx.Query("SELECT roster_digest = ? FROM schools WHERE seed_code = ?",
                                {digest, seed_code},
                                [&](const Row& row) { same = row.Int(0) == 1; }));
  return same;
}

// Writes the pupils and contacts that differ from the stored ones, as
// ReplaceRoster promises, and counts them in `counts`.
absl::Status ApplyRows(Tx& tx, const std::string& seed_code, const std::vector<RosterPupil>& pupils,
                       const std::vector<RosterContact>& contacts,
                       const std::set<std::string>& kept_pupils,
                       const std::set<ContactKey>& kept_contacts, int64_t now,
                       RosterCounts* counts) {
  absl::StatusOr<std::map<std::string, StoredPupil>> stored_pupils = LoadPupils(tx, seed_code);
  if (!stored_pupils.ok()) return stored_pupils.status();
  absl::StatusOr<std::map<ContactKey, StoredContact>> stored_contacts = LoadContacts(tx, seed_code);
  if (!stored_contacts.ok()) return stored_contacts.status();

  // Write the pupils that are new or differ, then mark the absent ones as
  // left. The ids of this sync's pupils are kept for their contacts' rows.
  NameKeyCache keys;
  std::unordered_map<std::string, int64_t> pupil_ids;
  pupil_ids.reserve(pupils.size());
  for (const RosterPupil& pupil : pupils) {
    auto stored = stored_pupils->find(pupil.pupil_ref);
    if (stored == stored_pupils->end()) {
      absl::StatusOr<int64_t> id = InsertPupil(tx, seed_code, pupil, keys);
      if (!id.ok()) return id.status();
      pupil_ids.emplace(pupil.pupil_ref, *id);
      ++counts->pupils_added;
      continue;
    }
    const int64_t id = stored->second.id;
    pupil_ids.emplace(pupil.pupil_ref, id);
    if (stored->second.values.restricted && !pupil.restricted) {
      counts->holds_lifted.push_back(absl::StrCat("pupil_ref ", pupil.pupil_ref));
    }
    if (stored->second.left || Fields(stored->second.values) != Fields(pupil)) {
      LINK_RETURN_IF_ERROR(UpdatePupil(tx, id, pupil, keys));
      ++counts->pupils_changed;
    }
    stored_pupils->erase(stored);
  }
  for (const auto& [pupil_ref, stored] : *stored_pupils) {
    if (stored.left || kept_pupils.count(pupil_ref) > 0) continue;
    LINK_RETURN_IF_ERROR(tx.Exec("UPDATE pupils SET left_at = ? WHERE id = ?", {now, stored.id}));
    ++counts->pupils_left;
  }

  // The same for contacts, except that an absent contact is removed.
  for (const RosterContact& contact : contacts) {
    const int64_t pupil_id = pupil_ids.at(contact.pupil_ref);
    auto stored = stored_contacts->find(ContactKey(contact.pupil_ref, contact.contact_ref));
    if (stored == stored_contacts->end()) {
      LINK_RETURN_IF_ERROR(InsertContact(tx, pupil_id, contact, keys));
      ++counts->contacts_added;
      continue;
    }
    if (stored->second.values.restricted && !contact.restricted) {
      counts->holds_lifted.push_back(
          absl::StrCat("pupil_ref ", contact.pupil_ref, " with contact_ref ", contact.contact_ref));
    }
    if (Fields(stored->second.values) != Fields(contact)) {
      LINK_RETURN_IF_ERROR(UpdateContact(tx, pupil_id, contact, keys));
      ++counts->contacts_changed;
    }
    stored_contacts->erase(stored);
  }
  for (const auto& [key, stored] : *stored_contacts) {
    if (kept_pupils.count(key.first) > 0 || kept_contacts.count(key) > 0) continue;
    // The hold goes with the contact, and would not come back with them.
    if (stored.values.restricted) {
      counts->holds_lifted.push_back(
          absl::StrCat("pupil_ref ", key.first, " with contact_ref ", key.second));
    }
    LINK_RETURN_IF_ERROR(tx.Exec("DELETE FROM contacts WHERE pupil_id = ? AND contact_ref = ?",
                                 {stored.pupil_id, key.second}));
    ++counts->contacts_removed;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RosterCounts> ReplaceRoster(Tx& tx, const std::string& seed_code,
                                           const std::string& school_name,
                                           const std::vector<RosterPupil>& pupils,
                                           const std::vector<RosterContact>& contacts,
                                           const std::set<std::string>& kept_pupils,
                                           const std::set<ContactKey>& kept_contacts, int64_t now) {
  LINK_RETURN_IF_ERROR(
      tx.Exec("INSERT INTO schools(seed_code, name) VALUES (?, ?) ON CONFLICT(seed_code) "
              "DO UPDATE SET name = excluded.name WHERE name != excluded.name",
              {seed_code, school_name}));

  // Only a sync writes pupils and contacts, so rows that match the school's
  // last sync would change none of them. The links still go through the
  // closures below, because requests made since then may need closing.
  RosterCounts counts;
  const std::string digest = RosterDigest(pupils, contacts, kept_pupils, kept_contacts);
  absl::StatusOr<bool> repeated = IsLastDigest(tx, seed_code, digest);
  if (!repeated.ok()) return repeated.status();
  if (!*repeated) {
    LINK_RETURN_IF_ERROR(
        ApplyRows(tx, seed_code, pupils, contacts, kept_pupils, kept_contacts, now, &counts));
    LINK_RETURN_IF_ERROR(
        tx.Exec("UPDATE schools SET roster_digest = ? WHERE seed_code = ?", {digest, seed_code}));
  }

  LINK_RETURN_IF_ERROR(CloseAfterRoster(tx, seed_code, now, &counts));
  return counts;
}

absl::Status CloseAfterRoster(Tx& tx, const std::string& seed_code, int64_t now,
                              RosterCounts* counts) {
  // One read of the school's open requests, because most syncs close none.
  static const std::string open_requests_sql = OpenRequestsStatement();
  std::vector<OpenRequest> open;
  LINK_RETURN_IF_ERROR(tx.Query(open_requests_sql, {seed_code}, [&](const Row& row) {
    open.push_back({row.Text(0), row.Int(1) == 1, row.Int(2) == 1, row.Int(3) == 1, row.Int(4) == 1,
                    row.Int(5) == 1, false});
  }));

  // Each closure in turn, approved links before pending requests, so that
  // the history lists them in that order.
  for (const Closure& closure : kClosures) {
    for (const bool approved : {true, false}) {
      for (OpenRequest& request : open) {
        if (request.closed || request.approved != approved) continue;
        if (!closure.applies(request)) continue;
        LINK_RETURN_IF_ERROR(Close(tx, request, closure, now, counts));
        request.closed = true;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RecordSyncedRows(Tx& tx, const std::string& seed_code,
                              const std::optional<SyncedRows>& rows) {
  if (!rows.has_value()) {
    return tx.Exec(
        "UPDATE schools SET rows_digest = NULL, rows_pupils = NULL, rows_contacts = NULL "
        "WHERE seed_code = ?",
        {seed_code});
  }
  return tx.Exec(
      "UPDATE schools SET rows_digest = ?, rows_pupils = ?, rows_contacts = ? WHERE seed_code = ?",
      {rows->digest, rows->pupils, rows->contacts, seed_code});
}

absl::StatusOr<std::optional<SyncedRows>> FindSyncedRows(Tx& tx, const std::string& seed_code,
                                                         const std::string& rows_digest) {
  std::optional<SyncedRows> found;
  LINK_RETURN_IF_ERROR(tx.Query(
      "SELECT rows_pupils, rows_contacts FROM schools WHERE seed_code = ? AND rows_digest = ?",
      {seed_code, rows_digest}, [&](const Row& row) {
        found = SyncedRows{rows_digest, row.Int(0), row.Int(1)};
      }));
  return found;
}

absl::Status RebuildNameKeys(Tx& tx) {
  absl::StatusOr<int64_t> version = tx.QueryInt(
      "SELECT COALESCE((SELECT value FROM settings WHERE name = 'name_key_version'), 0)");
  if (!version.ok()) return version.status();
  if (*version == kNameKeyVersion) return absl::OkStatus();

  std::vector<std::pair<int64_t, std::string>> pupils;
  LINK_RETURN_IF_ERROR(tx.Query("SELECT id, surname FROM pupils", {}, [&](const Row& row) {
    pupils.emplace_back(row.Int(0), row.Text(1));
  }));
  for (const auto& [id, surname] : pupils) {
    LINK_RETURN_IF_ERROR(
        tx.Exec("UPDATE pupils SET surname_key = ? WHERE id = ?", {NameKey(surname), id}));
  }
  std::vector<std::tuple<int64_t, std::string, std::string, std::string>> contacts;
  LINK_RETURN_IF_ERROR(
      tx.Query("SELECT rowid, forename, surname, postcode FROM contacts", {}, [&](const Row& row) {
        contacts.emplace_back(row.Int(0), row.Text(1), row.Text(2), row.Text(3));
      }));
  for (const auto& [rowid, forename, surname, postcode] : contacts) {
    LINK_RETURN_IF_ERROR(tx.Exec(
        "UPDATE contacts SET forename_key = ?, surname_key = ?, postcode_key = ? WHERE rowid = ?",
        {NameKey(forename), NameKey(surname), PostcodeKey(postcode), rowid}));
  }
  return tx.Exec(
      "INSERT INTO settings(name, value) VALUES ('name_key_version', ?) "
      "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      {kNameKeyVersion});
}

}  // namespace pp::link
