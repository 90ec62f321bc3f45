// The checks that stop a roster sync from ending families' links by
// accident: rejected rows that name no pupil or contact or that set a
// safeguarding hold, and removals
// beyond a routine sync that the school did not confirm.
#ifndef PP_LINK_ROSTER_GUARD_H_
#define PP_LINK_ROSTER_GUARD_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "link_store.h"
#include "parentsportal/link.pb.h"
#include "roster_batch.h"

namespace pp::link {

// Pupils a sync may mark as left, and contacts it may remove, without
// confirmation, whatever the school's size. Above it, a tenth of the
// school's pupils or contacts is still routine.
inline constexpr int kRoutineRemovals = 20;

// The numbers a school confirmed for a roster sync that changes more than a
// routine one. 0 confirms nothing.
struct RosterConfirmation {
  int leavers = 0;
  int contacts_removed = 0;
  int links_ended = 0;
  int holds_lifted = 0;
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
// `pupils_before` and `contacts_before`, ends any approved link other
// than by a safeguarding hold, or lifts any safeguarding hold, and
// `confirmed` does not give that exact number. A non-zero confirmation that differs from its count
// is FailedPrecondition too, even for a routine change. The message names up to 10 of
// `links_to_end`, the (pupil_ref, contact_ref) of each link that needs confirmation, and of the
// holds lifted. OK otherwise.
absl::Status CheckConfirmed(const RosterCounts& counts, int64_t pupils_before,
                            int64_t contacts_before, const RosterConfirmation& confirmed,
                            const std::vector<std::pair<std::string, std::string>>& links_to_end);

// Returns the seq of the store's last link event, 0 when there is none.
absl::StatusOr<int64_t> LastLinkEventSeq(Tx& tx);

// Returns the (pupil_ref, contact_ref) of each approved link among the
// requests a sync closed (ListRequestsClosedBySync) that it ended other than
// by a safeguarding hold, sorted.
std::vector<std::pair<std::string, std::string>> LinksToConfirm(
    const std::vector<RequestRecord>& closed);

// Returns the (file, row) of each of `kept` whose pupil or contact the
// store does not hold, because the rejected row was a new one.
absl::StatusOr<std::set<std::pair<std::string, int>>> RowsNotStored(
    Tx& tx, const std::string& seed_code, const std::vector<KeptRow>& kept);

// Returns `refused` with up to 10 of the sync's `errors` added to its
// message, so a refused sync still reports its rejected rows.
absl::Status WithRowErrors(const absl::Status& refused,
                           const std::vector<parentsportal::link::v1::RowError>& errors);

}  // namespace pp::link

#endif  // PP_LINK_ROSTER_GUARD_H_
