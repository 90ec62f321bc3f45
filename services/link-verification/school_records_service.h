// The school systems' side of the service: roster syncs, and the listing
// and deciding of link requests. Every method acts for one school, whose
// SEED code the caller has already taken from an authenticated token.
#ifndef PP_LINK_SCHOOL_RECORDS_SERVICE_H_
#define PP_LINK_SCHOOL_RECORDS_SERVICE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "link_metrics.h"
#include "parentsportal/link.pb.h"
#include "roster_batch.h"
#include "store/store.h"

namespace pp::link {

class SchoolRecordsService {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 500;

  // Today's date, for checking dates of birth, is taken in `zone`. All
  // references must outlive the service.
  SchoolRecordsService(Store& store, Clock& clock, LinkMetrics& metrics, absl::TimeZone zone);

  // Returns an empty batch for a full sync of the school `seed_code`.
  RosterBatch NewRosterBatch(const std::string& seed_code) const;

  // Applies the batch in one transaction, replacing the school's roster.
  // Pupils held before and absent now are marked as left, their approved
  // links end and their pending requests are rejected. InvalidArgument, with
  // nothing changed, when the batch has no valid pupil.
  absl::StatusOr<parentsportal::link::v1::SyncRosterSummary> ApplyRoster(RosterBatch& batch);

  // Lists the school's requests in one state (every state when unspecified),
  // oldest first, in pages. Pending requests past their deadline are stored
  // and shown as EXPIRED. InvalidArgument for a negative page size, an
  // unknown state or a page token this service did not return.
  absl::StatusOr<parentsportal::link::v1::ListLinkRequestsResponse> ListLinkRequests(
      const std::string& seed_code,
      const parentsportal::link::v1::ListLinkRequestsRequest& request);

  // Approves or rejects a pending request of the school. Approval makes a
  // link with a new child_id. NotFound for an unknown request,
  // PermissionDenied for another school's, FailedPrecondition for one
  // already decided or expired, InvalidArgument for a missing decision or
  // decided_by.
  absl::StatusOr<parentsportal::link::v1::LinkRequest> DecideLinkRequest(
      const std::string& seed_code,
      const parentsportal::link::v1::DecideLinkRequestRequest& request);

 private:
  Store& store_;
  Clock& clock_;
  LinkMetrics& metrics_;
  absl::TimeZone zone_;
};

}  // namespace pp::link

#endif  // PP_LINK_SCHOOL_RECORDS_SERVICE_H_
