// Turns a school's two roster exports into the records SyncRoster takes.
#ifndef PP_SCHOOLCTL_ROSTER_H_
#define PP_SCHOOLCTL_ROSTER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "csv.h"
#include "parentsportal/link.pb.h"

namespace pp::schoolctl {

struct RosterRecords {
  std::vector<parentsportal::link::v1::RosterRecord> records;
  // Rows of other schools in the same export, which are not sent.
  int other_school_rows = 0;
};

// Builds the records of `seed_code` from the pupils and contacts tables.
// Fails with InvalidArgument when a table lacks a column the API needs.
// Values are passed on as exported; the service validates them.
absl::StatusOr<RosterRecords> BuildRosterRecords(const CsvTable& pupils, const CsvTable& contacts,
                                                 const std::string& seed_code);

}  // namespace pp::schoolctl

#endif  // PP_SCHOOLCTL_ROSTER_H_
