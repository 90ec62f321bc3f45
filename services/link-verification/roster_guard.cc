#include "roster_guard.h"

#include <algorithm>
#include <string>

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
        unidentified.size() == 1 ? " rejected row does not say which pupil or contact it is"
                                 : " rejected rows do not say which pupil or contact they are",
        ", so the sync cannot keep that pupil or contact as before: ", NameRows(unidentified), ".");
  }
  const bool single_row = holds.size() + unidentified.size() == 1;
  absl::StrAppend(&message, " Correct ", single_row ? "this row" : "these rows",
                  " first and sync again.");
  return absl::InvalidArgumentError(message);
}

absl::Status CheckConfirmed(const RosterCounts& counts, int64_t pupils_before,
                            int64_t contacts_before, const RosterConfirmation& confirmed) {
  std::vector<std::string> changes;
  std::vector<std::string> flags;
  if (!Routine(counts.pupils_left, pupils_before) && counts.pupils_left > confirmed.leavers) {
    changes.push_back(absl::StrCat("mark ", counts.pupils_left, " of the school's ", pupils_before,
                                   " pupils as left"));
    flags.push_back(absl::StrCat("--confirm_leavers ", counts.pupils_left));
  }
  if (!Routine(counts.contacts_removed, contacts_before) &&
      counts.contacts_removed > confirmed.contacts_removed) {
    changes.push_back(absl::StrCat("remove ", counts.contacts_removed, " of the school's ",
                                   contacts_before, " contacts"));
    flags.push_back(absl::StrCat("--confirm_contacts_removed ", counts.contacts_removed));
  }
  const int links_ended = counts.links_ended - counts.links_ended_by_hold;
  if (links_ended > 0 && links_ended > confirmed.links_ended) {
    changes.push_back(absl::StrCat("end ", links_ended,
                                   " approved links between parents and "
                                   "their children"));
    flags.push_back(absl::StrCat("--confirm_links_ended ", links_ended));
  }
  if (changes.empty()) return absl::OkStatus();

  return absl::FailedPreconditionError(absl::StrCat(
      "This sync would ", absl::StrJoin(changes, " and "),
      ", so nothing was changed. Check that the export is complete; if these changes are right, "
      "send it again confirming them (schoolctl ",
      absl::StrJoin(flags, " "), ")."));
}

}  // namespace pp::link
