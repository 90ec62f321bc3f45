// The school systems' side of the service: roster syncs, and the listing
// and deciding of link requests. Every method acts for one school, whose
// SEED code the caller has already taken from an authenticated token.
#ifndef PP_LINK_SCHOOL_RECORDS_SERVICE_H_
#define PP_LINK_SCHOOL_RECORDS_SERVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "link_metrics.h"
#include "link_store.h"
#include "notifier.h"
#include "parentsportal/link.pb.h"
#include "roster_batch.h"
#include "roster_guard.h"
#include "store/store.h"
#include "working_days.h"

namespace pp::link {

class SchoolRecordsService {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 500;
  // A pending request this many school working days old is due a reminder.
  static constexpr int kReminderWorkingDays = 3;
  // Near misses are kept this long.
  static constexpr absl::Duration kMatchFailureLifetime = absl::Hours(24 * 30);

  // Today's date, for checking dates of birth and counting working days, is
  // taken in `zone`. Decisions are emailed to the parent through
  // `notifier`. All references must outlive the service.
  SchoolRecordsService(Store& store, Clock& clock, Notifier& notifier, SchoolDays& school_days,
                       LinkMetrics& metrics, absl::TimeZone zone);

  // Returns an empty batch for a full sync of the school `seed_code`.
  RosterBatch NewRosterBatch(const std::string& seed_code) const;

  // Applies the batch in one transaction, replacing the school's roster.
  // Pupils held before and absent now are marked as left, their approved
  // links end and their pending requests are rejected. A pupil or contact
  // whose row was rejected keeps its record and links as they were.
  // Returns InvalidArgument, with nothing changed, when the batch has no
  // valid pupil, or has a rejected row whose pupil or contact is unknown
  // (RosterBatch::unidentified) or that sets a safeguarding hold
  // (RosterBatch::holds). Returns FailedPrecondition, with nothing
  // changed, when `confirmed` is below any of these numbers:
  //  - pupils marked as left, when more than kRoutineRemovals and a tenth of
  //    the school's pupils (roster_guard.h);
  //  - contacts removed, when more than kRoutineRemovals and a tenth of the
  //    school's contacts;
  //  - approved links ended, when any is, except those a safeguarding hold
  //    ends, which end without confirmation.
  // An export cut short must not end families' links unnoticed.
  absl::StatusOr<parentsportal::link::v1::SyncRosterSummary> ApplyRoster(
      RosterBatch& batch, RosterConfirmation confirmed = {});

  // Repeats the school's last sync when `rows_digest` is the digest of the
  // records it sent (RosterRows.rows_digest) and it rejected none of them.
  // A repeat closes the links and requests a sync closes, with the
  // confirmations ApplyRoster requires for links ended, and returns that
  // sync's counts with matched_last_sync set. Returns nothing, having
  // changed nothing, when the digest does not match, so that the caller
  // reads the records.
  absl::StatusOr<std::optional<parentsportal::link::v1::SyncRosterSummary>> RepeatRoster(
      const std::string& seed_code, const std::string& rows_digest,
      RosterConfirmation confirmed = {});

  // Lists the school's requests in one state (every state when unspecified),
  // oldest first, in pages, each with its history, its age in school working
  // days and whether a reminder is due. Pending requests past their deadline
  // are stored and shown as EXPIRED. InvalidArgument for a negative page
  // size, an unknown state or a page token this service did not return.
  absl::StatusOr<parentsportal::link::v1::ListLinkRequestsResponse> ListLinkRequests(
      const std::string& seed_code,
      const parentsportal::link::v1::ListLinkRequestsRequest& request);

  // Approves or rejects a pending request of the school, records who, when
  // and why, and emails the parent either way. Approval makes a link with a
  // new child_id. NotFound for an unknown request, PermissionDenied for
  // another school's, FailedPrecondition for one already decided or
  // expired, or an approval while the contact or pupil is restricted or no
  // longer on the roster with parental responsibility; InvalidArgument for
  // a missing decision or decided_by. A failed email is logged, and the
  // decision stands.
  absl::StatusOr<parentsportal::link::v1::LinkRequest> DecideLinkRequest(
      const std::string& seed_code,
      const parentsportal::link::v1::DecideLinkRequestRequest& request);

  // Ends an approved link of the school, records it and emails the parent.
  // NotFound, PermissionDenied and InvalidArgument as for
  // DecideLinkRequest; FailedPrecondition unless the link is APPROVED.
  absl::StatusOr<parentsportal::link::v1::LinkRequest> RevokeLink(
      const std::string& seed_code, const parentsportal::link::v1::RevokeLinkRequest& request);

  // Lists the school's near misses of the last kMatchFailureLifetime, newest
  // first, in pages. InvalidArgument as for ListLinkRequests.
  absl::StatusOr<parentsportal::link::v1::ListMatchFailuresResponse> ListMatchFailures(
      const std::string& seed_code,
      const parentsportal::link::v1::ListMatchFailuresRequest& request);

  // Stores the address the school is reminded at, or removes it when
  // `request.email()` is empty. InvalidArgument for a value that is not an
  // email address.
  absl::StatusOr<parentsportal::link::v1::SchoolContact> SetSchoolContact(
      const std::string& seed_code,
      const parentsportal::link::v1::SetSchoolContactRequest& request);

 private:
  // Sets the age in school working days of a request made at `created_at`,
  // and whether a reminder is due.
  absl::Status AddAge(const std::string& seed_code, int64_t created_at,
                      parentsportal::link::v1::LinkRequest* request);
  // Emails `message` to the parent's own address, for their account, so
  // that it is listed in their history and their preferences apply. Logs and
  // carries on when it fails.
  void TellParent(const RequestRecord& record,
                  parentsportal::notification::v1::SendRequest message);
  // Counts, logs and returns the summary of a sync that has committed, and
  // emails the parents whose links or requests it closed.
  parentsportal::link::v1::SyncRosterSummary ReportSync(const std::string& seed_code,
                                                        int64_t pupils, int64_t contacts,
                                                        int64_t rows_rejected,
                                                        const RosterCounts& counts,
                                                        const std::vector<RequestRecord>& closed);

  Store& store_;
  Clock& clock_;
  Notifier& notifier_;
  SchoolDays& school_days_;
  LinkMetrics& metrics_;
  absl::TimeZone zone_;
};

}  // namespace pp::link

#endif  // PP_LINK_SCHOOL_RECORDS_SERVICE_H_
