// The digest of the records a roster sync sends. A client puts it in the
// first message of SyncRosterRows, and link-verification computes it again
// over the records it receives, so that a sync repeating the school's last
// one is recognised before its rows are sent.
#ifndef PP_ROSTER_ROWS_ROSTER_ROWS_DIGEST_H_
#define PP_ROSTER_ROWS_ROSTER_ROWS_DIGEST_H_

#include <string>
#include <string_view>
#include <vector>

#include "parentsportal/link.pb.h"
#include "sodium.h"

namespace pp::roster_rows {

// Computes, record by record, the BLAKE2b-256 digest that link.proto
// describes at RosterRows.rows_digest. It covers the records in order, each
// as its row number, its kind and every field of its pupil or contact in
// field number order. Each value is prefixed with its length.
class RowsDigest {
 public:
  RowsDigest();

  void Add(const parentsportal::link::v1::RosterRecord& record);

  // Returns the digest as 64 lower-case hex digits. Call once, after the
  // last Add.
  std::string Finish();

 private:
  // Appends `value`, with its length, to pending_.
  void AddValue(std::string_view value);
  // Hashes pending_ and empties it.
  void Flush();

  crypto_generichash_state state_;
  // The encoding of the record being added. Hashing a record in one update
  // costs far less than an update per value.
  std::string pending_;
};

// Returns the digest of `records`, as RowsDigest computes it.
std::string DigestOfRows(const std::vector<parentsportal::link::v1::RosterRecord>& records);

}  // namespace pp::roster_rows

#endif  // PP_ROSTER_ROWS_ROSTER_ROWS_DIGEST_H_
