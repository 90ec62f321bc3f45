// Turns a school's two roster exports into the records SyncRoster takes,
// and groups them into the messages of SyncRosterRows.
#ifndef PP_SCHOOLCTL_ROSTER_H_
#define PP_SCHOOLCTL_ROSTER_H_

#include <grpcpp/support/sync_stream.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "csv.h"
#include "parentsportal/link.pb.h"

namespace pp::schoolctl {

// A row of the school that sync-roster does not send, and why.
struct UnsentRow {
  // "pupils" or "contacts".
  std::string file;
  int row = 0;
  std::string reason;
};

struct RosterRecords {
  std::vector<parentsportal::link::v1::RosterRecord> records;
  // Rows of other schools in the same exports, which are not sent, in both
  // files and in the pupils file alone.
  int other_school_rows = 0;
  int other_school_pupil_rows = 0;
  // Rows of the school whose fields may be shifted or run together, in file
  // order. Their values, a safeguarding hold among them, cannot be trusted,
  // so a sync with any of them must not be sent.
  std::vector<UnsentRow> unreadable;
  // Rows of the school whose record is over kMaxRowBytes, in file order.
  // gRPC would end the whole call on such a row, so a sync with any of them
  // must not be sent either.
  std::vector<UnsentRow> too_large;
  // Header names schoolctl does not read, such as "pupils file: Safeguarding",
  // so that a misspelt optional column such as restricted is noticed.
  std::vector<std::string> ignored_columns;
};

// The largest encoded record that one roster row may become. The longest
// row of the demo exports (deploy/demo) is 176 bytes of CSV, and the
// service rejects a name or reference over 200 bytes. gRPC ends the whole
// call on a received message over 4 MiB, its default. 64 KiB is hundreds of
// times a real row and far below that limit, so a row over it is a broken
// export, such as a file pasted into a cell.
inline constexpr size_t kMaxRowBytes = 64 * 1024;

// Builds the records of `seed_code` from the pupils and contacts tables.
// Fails with InvalidArgument when a table lacks a column the API needs.
// Values are passed on as exported, and the service validates them, but a
// row that cannot be read or is over kMaxRowBytes is listed instead.
absl::StatusOr<RosterRecords> BuildRosterRecords(const CsvTable& pupils, const CsvTable& contacts,
                                                 const std::string& seed_code);

// The maximum rows, and bytes of rows, that GroupRows puts in one
// message. gRPC rejects a received message over 4 MiB by default.
inline constexpr int kMaxRowsPerMessage = 1000;
inline constexpr size_t kMaxRowBytesPerMessage = 1 << 20;

// Moves `records`, in order, into messages for SyncRosterRows, starting a new
// message before one would pass either limit. A single row over the byte
// limit gets a message of its own.
std::vector<parentsportal::link::v1::RosterRows> GroupRows(
    std::vector<parentsportal::link::v1::RosterRecord> records);

// Writes `records` to a SyncRosterRows call: first a message holding only
// their digest (RosterRows.rows_digest), then, once the service has sent its
// initial metadata to say that it found no match, the records as GroupRows
// groups them. Stops at the first failed write, which means that the call
// has ended, and then Finish returns the summary or the reason.
void WriteRoster(grpc::ClientWriter<parentsportal::link::v1::RosterRows>& writer,
                 std::vector<parentsportal::link::v1::RosterRecord> records);

}  // namespace pp::schoolctl

#endif  // PP_SCHOOLCTL_ROSTER_H_
