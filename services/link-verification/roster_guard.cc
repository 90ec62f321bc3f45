#include "roster_guard.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

// Rows named in full in an error, because a broken export can reject
// thousands.
constexpr size_t kRowsNamed = 10;

// Returns "pupils row 3 (reason); ..." for the first kRowsNamed rows.
std::string NameRows(const std::vector<v1::RowError>& rows) {
  std::vector<std::string> named;
  for (size_t i = 0; i < rows.size() && i < kRowsNamed; ++i) {
    const v1::RowError& row = rows[i];
    std::string file = row.file().empty() ? "record" : row.file();
    named.push_back(absl::StrCat(file, " row ", row.row(), " (", row.reason(), ")"));
  }
  std::string more =
      rows.size() > kRowsNamed ? absl::StrCat(" and ", rows.size() - kRowsNamed, " more") : "";
  return absl::StrCat(absl::StrJoin(named, "; "), more);
}

bool Routine(int removed, int64_t before) {
  return removed <= std::max<int64_t>(kRoutineRemovals, before / 10);
}

}  // namespace

absl::Status RefusedRowsError(const std::vector<v1::RowError>& holds,
                              const std::vector<v1::RowError>& unidentified) {
  std::string message = "Nothing was changed.";
  if (!holds.empty()) {
    absl::StrAppend(
        &message, " ", holds.size(),
        holds.size() == 1 ? " rejected row sets a safeguarding hold (restricted Y) or has an "
                            "unreadable restricted value"
                          : " rejected rows set a safeguarding hold (restricted Y) or have an "
                            "unreadable restricted value",
        ", and a hold is not applied while its row is rejected: ", NameRows(holds), ".");
  }
  if (!unidentified.empty()) {
    absl::StrAppend(
        &message, " ", unidentified.size(),
        unidentified.size() == 1
            ? " rejected row does not identify one pupil or contact, because its pupil_ref or "
              "contact_ref is missing, invalid or repeated"
            : " rejected rows do not identify one pupil or contact each, because their pupil_ref "
              "or contact_ref is missing, invalid or repeated",
        ", so the sync cannot keep that pupil or contact as before: ", NameRows(unidentified), ".");
  }
  const bool single_row = holds.size() + unidentified.size() == 1;
  absl::StrAppend(&message, " Correct ", single_row ? "this row" : "these rows",
                  " first and sync again.");
  return absl::InvalidArgumentError(message);
}

absl::Status CheckConfirmed(const RosterCounts& counts, int64_t pupils_before,
                            int64_t contacts_before, const RosterConfirmation& confirmed,
                            const std::vector<std::pair<std::string, std::string>>& links_to_end) {
  std::vector<std::string> changes;
  std::vector<std::string> flags;
  // Adds a change unless it is routine and unconfirmed, or confirmed with
  // its exact number.
  auto check = [&](bool routine, int count, int confirmed_count, std::string change,
                   const char* flag) {
    if ((routine && confirmed_count == 0) || confirmed_count == count) return;
    if (confirmed_count != 0) absl::StrAppend(&change, " (not ", confirmed_count, " as confirmed)");
    changes.push_back(std::move(change));
    flags.push_back(absl::StrCat(flag, " ", count));
  };
  check(Routine(counts.pupils_left, pupils_before), counts.pupils_left, confirmed.leavers,
        absl::StrCat("mark ", counts.pupils_left, " of the school's ", pupils_before,
                     " pupils as left"),
        "--confirm_leavers");
  check(Routine(counts.contacts_removed, contacts_before), counts.contacts_removed,
        confirmed.contacts_removed,
        absl::StrCat("remove ", counts.contacts_removed, " of the school's ", contacts_before,
                     " contacts"),
        "--confirm_contacts_removed");
  const int links_ended = counts.links_ended - counts.links_ended_by_hold;
  std::string links_change =
      links_ended == 1
          ? std::string("end 1 approved link between a parent and their child")
          : absl::StrCat("end ", links_ended, " approved links between parents and their children");
  if (!links_to_end.empty()) {
    std::vector<std::string> named;
    for (size_t i = 0; i < links_to_end.size() && i < kRowsNamed; ++i) {
      named.push_back(absl::StrCat("pupil_ref ", links_to_end[i].first, " with contact_ref ",
                                   links_to_end[i].second));
    }
    std::string more = links_to_end.size() > kRowsNamed
                           ? absl::StrCat(" and ", links_to_end.size() - kRowsNamed, " more")
                           : "";
    absl::StrAppend(&links_change, " (", absl::StrJoin(named, "; "), more, ")");
  }
  check(links_ended == 0, links_ended, confirmed.links_ended, std::move(links_change),
        "--confirm_links_ended");

  // A hold lifted by mistake, say by an export without the restricted
  // column, would let a parent the school is protecting a child from link.
  const int holds_lifted = static_cast<int>(counts.holds_lifted.size());
  std::string holds_change =
      absl::StrCat("lift ", holds_lifted,
                   holds_lifted == 1 ? " safeguarding hold" : " safeguarding holds", " (");
  for (int i = 0; i < holds_lifted && i < static_cast<int>(kRowsNamed); ++i) {
    absl::StrAppend(&holds_change, i == 0 ? "" : "; ", counts.holds_lifted[i]);
  }
  if (holds_lifted > static_cast<int>(kRowsNamed)) {
    absl::StrAppend(&holds_change, " and ", holds_lifted - kRowsNamed, " more");
  }
  absl::StrAppend(&holds_change, ")");
  check(holds_lifted == 0, holds_lifted, confirmed.holds_lifted, std::move(holds_change),
        "--confirm_holds_lifted");
  if (changes.empty()) return absl::OkStatus();

  return absl::FailedPreconditionError(absl::StrCat(
      "This sync would ", absl::StrJoin(changes, " and "),
      ", so nothing was changed. Check that the export is complete; if these changes are right, "
      "send it again confirming them (schoolctl ",
      absl::StrJoin(flags, " "), ")."));
}

absl::StatusOr<int64_t> LastLinkEventSeq(Tx& tx) {
  return tx.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM link_events");
}

std::vector<std::pair<std::string, std::string>> LinksToConfirm(
    const std::vector<RequestRecord>& closed) {
  // The closures in roster_store.cc give a hold's end a reason that names
  // the safeguarding hold, and every other end a reason without it.
  std::vector<std::pair<std::string, std::string>> links;
  for (const RequestRecord& record : closed) {
    if (record.state != kEnded || absl::StrContains(record.reason, "safeguarding hold")) continue;
    links.emplace_back(record.pupil_ref, record.contact_ref);
  }
  std::sort(links.begin(), links.end());
  return links;
}

absl::StatusOr<std::set<std::pair<std::string, int>>> RowsNotStored(
    Tx& tx, const std::string& seed_code, const std::vector<KeptRow>& kept) {
  std::set<std::pair<std::string, int>> rows;
  for (const KeptRow& row : kept) {
    absl::StatusOr<int64_t> stored =
        row.contact_ref.empty()
            ? tx.QueryInt("SELECT COUNT(*) FROM pupils WHERE seed_code = ? AND pupil_ref = ?",
                          {seed_code, row.pupil_ref})
            : tx.QueryInt(
                  "SELECT COUNT(*) FROM contacts c JOIN pupils p ON p.id = c.pupil_id "
                  "WHERE p.seed_code = ? AND p.pupil_ref = ? AND c.contact_ref = ?",
                  {seed_code, row.pupil_ref, row.contact_ref});
    if (!stored.ok()) return stored.status();
    if (*stored == 0) rows.emplace(row.file, row.row);
  }
  return rows;
}

absl::Status WithRowErrors(const absl::Status& refused, const std::vector<v1::RowError>& errors) {
  if (errors.empty()) return refused;
  return absl::Status(
      refused.code(),
      absl::StrCat(refused.message(), " The sync also rejected ", errors.size(),
                   errors.size() == 1 ? " row: " : " rows: ", NameRows(errors), "."));
}

}  // namespace pp::link
