// The checks that stop a roster sync from ending families' links by
// accident: rejected rows that name no pupil or contact or that set a
// safeguarding hold, and removals
// beyond a routine sync that the school did not confirm.
#ifndef PP_LINK_ROSTER_GUARD_H_
#define PP_LINK_ROSTER_GUARD_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "link_store.h"
#include "parentsportal/link.pb.h"

namespace pp::link {

// Pupils a sync may mark as left, and contacts it may remove, without
// confirmation, whatever the school's size. Above it, a tenth of the
// school's pupils or contacts is still routine.
inline constexpr int kRoutineRemovals = 20;

// The numbers a school confirmed for a roster sync that changes more than a
// routine one.
struct RosterConfirmation {
  int leavers = 0;
  int contacts_removed = 0;
  int links_ended = 0;
};

// Returns InvalidArgument saying that nothing was changed, and naming the
// rejected rows that keep a sync from being applied: `holds`, which set a
// safeguarding hold or may set one, and `unidentified`, whose pupil or
// contact is unknown.
absl::Status RefusedRowsError(const std::vector<parentsportal::link::v1::RowError>& holds,
                              const std::vector<parentsportal::link::v1::RowError>& unidentified);

// Returns FailedPrecondition, naming every number to confirm and the
// schoolctl flags that confirm them, when `counts` marks more pupils as
// left or removes more contacts than routine for a school that held
// `pupils_before` and `contacts_before`, or ends any approved link other
// than by a safeguarding hold, beyond what `confirmed` allows. OK otherwise.
absl::Status CheckConfirmed(const RosterCounts& counts, int64_t pupils_before,
                            int64_t contacts_before, const RosterConfirmation& confirmed);

}  // namespace pp::link

#endif  // PP_LINK_ROSTER_GUARD_H_
