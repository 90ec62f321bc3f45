// AttachLinkChanges publishes to a ChangeFeed the accounts whose ListLinks
// response each commit changed, so the gateway can keep those responses.
//
// TEMP triggers report the rows that ListLinks reads: a parent's requests
// and links, the pupils they name (names, stage, school, reference) and
// their schools' names. The reports are published once their transaction
// commits, and dropped when it rolls back. A school renamed changes every
// account. Another process's commits do not pass through the triggers, so
// each transaction starts by checking SQLite's data_version, and a change
// from elsewhere is published as every account.
#ifndef PP_LINK_LINK_CHANGES_H_
#define PP_LINK_LINK_CHANGES_H_

#include "absl/status/status.h"
#include "store/store.h"
#include "watch/change_feed.h"

namespace pp::link {

// Publishes the changes of every later commit on `store` to `feed`, which
// must outlive the store.
absl::Status AttachLinkChanges(Store& store, ChangeFeed& feed);

}  // namespace pp::link

#endif  // PP_LINK_LINK_CHANGES_H_
