// Roster exports split by school, synced through SchoolRecords.SyncRoster,
// and the same rows inserted into a plain SQLite file as the baseline.
#ifndef PP_BENCH_ROSTER_SYNC_H_
#define PP_BENCH_ROSTER_SYNC_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace pp::bench {

// One school's rows of the two exports, as CSV documents with the header.
struct SchoolExport {
  std::string seed_code;
  std::string pupils_csv;
  std::string contacts_csv;
  int pupils = 0;
  int contacts = 0;
};

// Reads DIR/pupils.csv and DIR/contacts.csv and splits them by the first
// column, seed_code, keeping the order in which schools first appear. Every
// row must be one line (true of generated exports, which hold no quoted
// line breaks).
absl::StatusOr<std::vector<SchoolExport>> ReadRosterBySchool(const std::string& dir);

// Returns the first schools of `schools` that together hold at least
// `pupils` pupils (all of them when they hold fewer).
std::vector<SchoolExport> FirstSchools(const std::vector<SchoolExport>& schools, int pupils);

struct SyncTotals {
  int64_t pupils = 0;
  int64_t contacts = 0;
  // Rows the service reported as invalid and skipped.
  int64_t rejected_rows = 0;
  // Schools whose sync the service recognised as unchanged by its digest.
  int64_t unchanged_schools = 0;
  absl::Duration elapsed;
};

// Issues a school-system token for each school through identity's
// IssueSchoolToken; returns the tokens by SEED code.
absl::StatusOr<std::map<std::string, std::string>> IssueSchoolTokens(
    const std::string& identity_address, const std::string& operator_token,
    const std::vector<SchoolExport>& schools);

// Syncs each school's roster through SyncRosterRows on `link_address`, as
// schoolctl does: parse the export, build the records, stream them in
// messages of many rows. `schools_in_flight` schools sync at once, as
// separate school systems would, each on its own thread and call; with 1
// they sync one after another. The time covers all of it.
absl::StatusOr<SyncTotals> SyncSchools(const std::string& link_address,
                                       const std::vector<SchoolExport>& schools,
                                       const std::map<std::string, std::string>& tokens,
                                       int schools_in_flight);

// Parses the same exports and inserts every row into two tables of a new
// SQLite file at `path`, one transaction per school, with the pragmas of
// the services' stores (WAL, synchronous=NORMAL). The time covers all of it.
absl::StatusOr<SyncTotals> InsertIntoSqlite(const std::string& path,
                                            const std::vector<SchoolExport>& schools);

}  // namespace pp::bench

#endif  // PP_BENCH_ROSTER_SYNC_H_
