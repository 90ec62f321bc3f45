// ContactLookup: StartLink's lookup of contacts by name and postcode, kept in
// memory. As an index in the database file, it made each school's roster
// sync write hundreds of pages, because a school's contacts land all over
// such an index, and that was most of a sync's time.
//
// The lookup contains each contact's ContactLookupKey and rowid. It is built
// from the file when the store opens, and TEMP triggers on the contacts
// table report each change, which is applied once its transaction commits.
// So it always matches the committed contacts, and a rolled-back sync
// changes nothing. SQL reads it through contact_lookup_rowids(key), which
// returns the matching rowids as a JSON array for json_each. The file never
// names the triggers or functions. The service never runs VACUUM, so
// rowids stay put, and the lookup is rebuilt at every start. Another
// process's commits do not pass through the triggers, so each transaction
// starts by checking SQLite's data_version, and the lookup is rebuilt when
// another connection has changed the file.
//
// NOTE: a statement that fails part-way still reports the rows it changed
// before failing. Every write to contacts fails its whole transaction on an
// error, so those reports are dropped, but a caller that went on after a
// failed statement and committed would leave the lookup wrong.
#ifndef PP_LINK_CONTACT_LOOKUP_H_
#define PP_LINK_CONTACT_LOOKUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "store/store.h"

namespace pp::link {

// A 64-bit FNV-1a hash of a contact's postcode, surname and forename keys
// (PostcodeKey and NameKey). Two contacts may share a key with different
// names, so a lookup compares the names too.
int64_t ContactLookupKey(std::string_view postcode_key, std::string_view surname_key,
                         std::string_view forename_key);

class ContactLookup {
 public:
  // Builds the lookup from the contacts in `store` and keeps it current
  // from then on. The store keeps the lookup alive.
  static absl::Status Attach(Store& store);

 private:
  struct Change {
    bool added;
    int64_t key;
    int64_t rowid;
  };

  // Reads every contact's entry from the file, replacing the current entries.
  absl::Status Load(Tx& tx);
  // Returns the rowids for `key` as a JSON array, such as "[12,873]".
  std::string Rowids(int64_t key) const;
  void TransactionEnded(bool committed);

  // Used only with the store locked, by the SQL functions and by the
  // store's transaction handlers.
  absl::btree_set<std::pair<int64_t, int64_t>> entries_;
  std::vector<Change> pending_;
};

}  // namespace pp::link

#endif  // PP_LINK_CONTACT_LOOKUP_H_
