#include "school_records_service.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "contact/contact.h"
#include "crypto/crypto.h"
#include "link_rules.h"
#include "link_store.h"
#include "log/log.h"
#include "return_if_error.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

constexpr char kPageTokenPrefix[] = "after:";

// The maximum number of SEED codes a refused sync names when its rows are all
// for other schools.
constexpr size_t kSchoolsNamed = 5;

std::string EncodePageToken(int64_t seq) {
  return crypto::Base64UrlEncode(absl::StrCat(kPageTokenPrefix, seq));
}

std::optional<int64_t> DecodePageToken(const std::string& token) {
  absl::StatusOr<std::string> text = crypto::Base64UrlDecode(token);
  if (!text.ok()) return std::nullopt;
  absl::string_view rest = *text;
  int64_t seq = 0;
  if (!absl::ConsumePrefix(&rest, kPageTokenPrefix) || !absl::SimpleAtoi(rest, &seq) || seq < 0) {
    return std::nullopt;
  }
  return seq;
}

v1::LinkRequest ToLinkRequest(const RequestRecord& record,
                              const std::vector<LinkEventRecord>& history) {
  v1::LinkRequest request;
  request.set_request_id(record.request_id);
  v1::LinkRequestState state = v1::LINK_REQUEST_STATE_UNSPECIFIED;
  v1::LinkRequestState_Parse(record.state, &state);
  request.set_state(state);
  request.set_pupil_ref(record.pupil_ref);
  std::string known_as = record.pupil_preferred_forename.empty()
                             ? ""
                             : absl::StrCat(" (", record.pupil_preferred_forename, ")");
  request.set_pupil_name(absl::StrCat(record.pupil_forename, known_as, " ", record.pupil_surname));
  request.set_contact_ref(record.contact_ref);
  request.set_contact_name(record.contact_name);
  request.set_created_at(FormatTimestamp(absl::FromUnixSeconds(record.created_at)));
  request.set_decide_by(FormatTimestamp(absl::FromUnixSeconds(record.decide_by)));
  request.set_decided_by(record.decided_by);
  request.set_reason(record.reason);
  if (record.decided_at != 0) {
    request.set_decided_at(FormatTimestamp(absl::FromUnixSeconds(record.decided_at)));
  }
  if (record.reminder_sent_at != 0) {
    request.set_reminder_sent_at(FormatTimestamp(absl::FromUnixSeconds(record.reminder_sent_at)));
  }
  for (const LinkEventRecord& event : history) {
    v1::LinkEvent* added = request.add_history();
    added->set_at(FormatTimestamp(absl::FromUnixSeconds(event.at)));
    added->set_action(event.action);
    added->set_actor(event.actor);
    added->set_reason(event.reason);
  }
  return request;
}

std::string ChildForename(const RequestRecord& record) {
  return record.pupil_preferred_forename.empty() ? record.pupil_forename
                                                 : record.pupil_preferred_forename;
}

// Builds the email to a parent whose request the school did not confirm: by
// the school's decision, or because a roster sync closed it.
parentsportal::notification::v1::SendRequest RejectedMessage(const RequestRecord& record) {
  parentsportal::notification::v1::SendRequest message;
  message.set_kind(parentsportal::notification::v1::LINK_REJECTED);
  auto& data = *message.mutable_template_data();
  data["parent_name"] = ClipCharacters(record.contact_name, kMaxTemplateValueCharacters);
  data["child_name"] = ChildForename(record);
  data["school_name"] = record.school_name;
  message.set_idempotency_key(absl::StrCat("link-decision/", record.request_id));
  return message;
}

// Builds the email to a parent whose approved link has ended. Its template
// gives no reason, because the reason may be a safeguarding hold.
parentsportal::notification::v1::SendRequest EndedMessage(const RequestRecord& record) {
  parentsportal::notification::v1::SendRequest message;
  message.set_kind(parentsportal::notification::v1::LINK_ENDED);
  auto& data = *message.mutable_template_data();
  data["parent_name"] = ClipCharacters(record.contact_name, kMaxTemplateValueCharacters);
  data["child_name"] = ChildForename(record);
  data["school_name"] = record.school_name;
  message.set_idempotency_key(absl::StrCat("link-ended/", record.request_id));
  return message;
}

// Sets `closed` to the requests a sync's closures closed after the link
// event `events_before`, so that their parents can be told once the sync
// commits. Returns CheckConfirmed's result for the sync, which names the
// links among them that need the school's confirmation.
absl::Status ListClosedAndCheck(Tx& tx, int64_t events_before, const RosterCounts& counts,
                                int64_t pupils_before, int64_t contacts_before,
                                const RosterConfirmation& confirmed,
                                std::vector<RequestRecord>* closed) {
  closed->clear();
  if (counts.links_ended + counts.requests_closed > 0) {
    absl::StatusOr<std::vector<RequestRecord>> listed = ListRequestsClosedBySync(tx, events_before);
    if (!listed.ok()) return listed.status();
    *closed = *std::move(listed);
  }
  return CheckConfirmed(counts, pupils_before, contacts_before, confirmed, LinksToConfirm(*closed));
}

// Reads the page size and token shared by the listing calls.
absl::Status ReadPage(int32_t page_size_field, const std::string& page_token, int* page_size,
                      int64_t* after_seq) {
  if (page_size_field < 0) {
    return absl::InvalidArgumentError("page_size must be 0 (the default of 100) or more");
  }
  *page_size = page_size_field == 0 ? SchoolRecordsService::kDefaultPageSize
                                    : std::min(page_size_field, SchoolRecordsService::kMaxPageSize);
  *after_seq = 0;
  if (!page_token.empty()) {
    std::optional<int64_t> decoded = DecodePageToken(page_token);
    if (!decoded.has_value()) {
      return absl::InvalidArgumentError(
          "page_token is not one this service returned; list again without it");
    }
    *after_seq = *decoded;
  }
  return absl::OkStatus();
}

}  // namespace

SchoolRecordsService::SchoolRecordsService(Store& store, Clock& clock, Notifier& notifier,
                                           SchoolDays& school_days, LinkMetrics& metrics,
                                           absl::TimeZone zone)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      school_days_(school_days),
      metrics_(metrics),
      zone_(zone) {}

absl::Status SchoolRecordsService::AddAge(const std::string& seed_code, int64_t created_at,
                                          v1::LinkRequest* request) {
  absl::StatusOr<int> age = school_days_.CountSchoolDays(
      seed_code, absl::ToCivilDay(absl::FromUnixSeconds(created_at), zone_),
      absl::ToCivilDay(clock_.Now(), zone_));
  if (!age.ok()) return age.status();
  request->set_age_working_days(*age);
  request->set_reminder_due(request->state() == v1::PENDING && *age >= kReminderWorkingDays);
  return absl::OkStatus();
}

void SchoolRecordsService::TellParent(const RequestRecord& record,
                                      parentsportal::notification::v1::SendRequest message) {
  if (record.parent_email.empty()) {
    log::Warning("parent_not_told")
        .Field("request_id", record.request_id)
        .Field("error", "no email");
    return;
  }
  message.set_channel(parentsportal::notification::v1::EMAIL);
  message.set_to(record.parent_email);
  message.set_account_id(record.account_id);
  absl::Status sent = notifier_.Send(message);
  if (!sent.ok()) {
    log::Warning("parent_not_told")
        .Field("request_id", record.request_id)
        .Field("error", sent.message());
  }
}

RosterBatch SchoolRecordsService::NewRosterBatch(const std::string& seed_code) const {
  return RosterBatch(seed_code, absl::ToCivilDay(clock_.Now(), zone_));
}

absl::StatusOr<v1::SyncRosterSummary> SchoolRecordsService::ApplyRoster(
    RosterBatch& batch, RosterConfirmation confirmed) {
  batch.Finish();
  int pupil_errors = 0;
  for (const v1::RowError& error : batch.errors()) pupil_errors += error.file() == "pupils";
  metrics_.pupils_loaded.Increment(batch.pupils().size());
  metrics_.pupils_rejected.Increment(pupil_errors);
  metrics_.contacts_loaded.Increment(batch.contacts().size());
  metrics_.contacts_rejected.Increment(batch.errors().size() - pupil_errors);

  // Rows only for other schools mean the token is another school's. Saying
  // so is clearer than rejecting each row.
  if (batch.own_pupil_rows() == 0 && !batch.other_pupil_schools().empty()) {
    const std::set<std::string>& others = batch.other_pupil_schools();
    std::vector<std::string> named(others.begin(), others.end());
    std::string more;
    if (named.size() > kSchoolsNamed) {
      more = absl::StrCat(" and ", named.size() - kSchoolsNamed, " more");
      named.resize(kSchoolsNamed);
    }
    log::Warning("roster_sync_refused")
        .Field("school", batch.seed_code())
        .Field("row_schools", static_cast<int64_t>(others.size()));
    return absl::PermissionDeniedError(absl::StrCat(
        "This token belongs to school ", batch.seed_code(), ", but every pupil row is for ",
        others.size() == 1 ? "school " : "schools ", absl::StrJoin(named, ", "), more,
        ", so nothing was changed. Sync with the token of the school the rows are for."));
  }

  // A rejected row keeps its pupil or contact as before, which is
  // impossible when the row does not say which one it is, and would drop
  // a safeguarding hold the row sets.
  if (!batch.unidentified().empty() || !batch.holds().empty()) {
    log::Warning("roster_sync_refused")
        .Field("school", batch.seed_code())
        .Field("unidentified_rows", static_cast<int64_t>(batch.unidentified().size()))
        .Field("rejected_hold_rows", static_cast<int64_t>(batch.holds().size()));
    return RefusedRowsError(batch.holds(), batch.unidentified());
  }

  // An empty sync would mark the whole school as left.
  if (batch.pupils().empty()) {
    std::string first_error;
    if (!batch.errors().empty()) {
      const v1::RowError& error = batch.errors().front();
      first_error = absl::StrCat(" The first error is in ", error.file(), " row ", error.row(),
                                 ": ", error.reason(), ".");
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "The sync holds no valid pupil row, so nothing was changed (", batch.errors().size(),
        batch.errors().size() == 1 ? " row was" : " rows were", " rejected).", first_error));
  }

  const std::string school_name =
      batch.school_name().empty() ? batch.seed_code() : batch.school_name();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  RosterCounts counts;
  std::set<std::pair<std::string, int>> rows_not_stored;
  std::vector<RequestRecord> closed;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    closed.clear();
    absl::StatusOr<int64_t> pupils_before = tx.QueryInt(
        "SELECT COUNT(*) FROM pupils WHERE seed_code = ? AND left_at IS NULL", {batch.seed_code()});
    if (!pupils_before.ok()) return pupils_before.status();
    absl::StatusOr<int64_t> contacts_before = tx.QueryInt(
        "SELECT COUNT(*) FROM contacts c JOIN pupils p ON p.id = c.pupil_id WHERE p.seed_code = ?",
        {batch.seed_code()});
    if (!contacts_before.ok()) return contacts_before.status();
    absl::StatusOr<std::set<std::pair<std::string, int>>> not_stored =
        RowsNotStored(tx, batch.seed_code(), batch.kept_rows());
    if (!not_stored.ok()) return not_stored.status();
    rows_not_stored = *std::move(not_stored);
    absl::StatusOr<int64_t> events_before = LastLinkEventSeq(tx);
    if (!events_before.ok()) return events_before.status();

    absl::StatusOr<RosterCounts> replaced =
        ReplaceRoster(tx, batch.seed_code(), school_name, batch.pupils(), batch.contacts(),
                      batch.kept_pupils(), batch.kept_contacts(), now);
    if (!replaced.ok()) return replaced.status();
    counts = *replaced;

    // A sync that rejected a row is never taken as unchanged, because a row
    // rejected today, for a date of birth in the future, may pass later.
    std::optional<SyncedRows> synced;
    if (batch.errors().empty()) {
      synced = SyncedRows{batch.rows_digest(), static_cast<int64_t>(batch.pupils().size()),
                          static_cast<int64_t>(batch.contacts().size())};
    }
    LINK_RETURN_IF_ERROR(RecordSyncedRows(tx, batch.seed_code(), synced));

    // Returning an error rolls the whole sync back.
    return ListClosedAndCheck(tx, *events_before, counts, *pupils_before, *contacts_before,
                              confirmed, &closed);
  });
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    log::Warning("roster_sync_refused")
        .Field("school", batch.seed_code())
        .Field("pupils_left", counts.pupils_left)
        .Field("contacts_removed", counts.contacts_removed)
        .Field("links_ended", counts.links_ended)
        .Field("holds_lifted", static_cast<int64_t>(counts.holds_lifted.size()));
    return WithRowErrors(status, batch.errors());
  }
  if (!status.ok()) {
    log::Error("roster_sync_failed")
        .Field("school", batch.seed_code())
        .Field("error", status.message());
    return status;
  }
  v1::SyncRosterSummary summary =
      ReportSync(batch.seed_code(), static_cast<int64_t>(batch.pupils().size()),
                 static_cast<int64_t>(batch.contacts().size()),
                 static_cast<int64_t>(batch.errors().size()), counts, closed);
  for (const v1::RowError& error : batch.errors()) {
    v1::RowError* added = summary.add_errors();
    *added = error;
    // A new pupil or contact has no stored record to keep.
    if (rows_not_stored.count({error.file(), error.row()}) > 0) added->set_kept_as_before(false);
  }
  return summary;
}

absl::StatusOr<std::optional<v1::SyncRosterSummary>> SchoolRecordsService::RepeatRoster(
    const std::string& seed_code, const std::string& rows_digest, RosterConfirmation confirmed) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::optional<SyncedRows> last;
  RosterCounts counts;
  std::vector<RequestRecord> closed;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    counts = RosterCounts();
    closed.clear();
    absl::StatusOr<std::optional<SyncedRows>> found = FindSyncedRows(tx, seed_code, rows_digest);
    if (!found.ok()) return found.status();
    last = *std::move(found);
    if (!last.has_value()) return absl::OkStatus();

    // The stored rows are the ones this sync would write, but requests made
    // since the last sync may still need closing.
    absl::StatusOr<int64_t> events_before = LastLinkEventSeq(tx);
    if (!events_before.ok()) return events_before.status();
    LINK_RETURN_IF_ERROR(CloseAfterRoster(tx, seed_code, now, &counts));
    return ListClosedAndCheck(tx, *events_before, counts, last->pupils, last->contacts, confirmed,
                              &closed);
  });
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    log::Warning("roster_sync_refused")
        .Field("school", seed_code)
        .Field("links_ended", counts.links_ended);
    return status;
  }
  if (!status.ok()) {
    log::Error("roster_sync_failed").Field("school", seed_code).Field("error", status.message());
    return status;
  }
  if (!last.has_value()) return std::nullopt;

  metrics_.roster_syncs_unchanged.Increment();
  v1::SyncRosterSummary summary =
      ReportSync(seed_code, last->pupils, last->contacts, 0, counts, closed);
  summary.set_matched_last_sync(true);
  return summary;
}

v1::SyncRosterSummary SchoolRecordsService::ReportSync(const std::string& seed_code, int64_t pupils,
                                                       int64_t contacts, int64_t rows_rejected,
                                                       const RosterCounts& counts,
                                                       const std::vector<RequestRecord>& closed) {
  metrics_.pupils_left.Increment(counts.pupils_left);
  log::Info("roster_synced")
      .Field("school", seed_code)
      .Field("pupils_loaded", pupils)
      .Field("contacts_loaded", contacts)
      .Field("rows_rejected", rows_rejected)
      .Field("pupils_left", counts.pupils_left)
      .Field("links_ended", counts.links_ended)
      .Field("requests_closed", counts.requests_closed)
      .Field("holds_lifted", static_cast<int64_t>(counts.holds_lifted.size()));

  // Each parent whose link or request the sync closed hears it from the
  // portal, not only from the page's next visit.
  for (const RequestRecord& record : closed) {
    TellParent(record, record.state == kEnded ? EndedMessage(record) : RejectedMessage(record));
  }

  v1::SyncRosterSummary summary;
  summary.set_pupils_loaded(static_cast<int32_t>(pupils));
  summary.set_contacts_loaded(static_cast<int32_t>(contacts));
  summary.set_pupils_left(counts.pupils_left);
  summary.set_pupils_added(counts.pupils_added);
  summary.set_pupils_changed(counts.pupils_changed);
  summary.set_contacts_added(counts.contacts_added);
  summary.set_contacts_changed(counts.contacts_changed);
  summary.set_contacts_removed(counts.contacts_removed);
  summary.set_links_ended(counts.links_ended);
  summary.set_requests_closed(counts.requests_closed);
  summary.set_holds_lifted(static_cast<int32_t>(counts.holds_lifted.size()));
  return summary;
}

absl::StatusOr<v1::ListLinkRequestsResponse> SchoolRecordsService::ListLinkRequests(
    const std::string& seed_code, const v1::ListLinkRequestsRequest& request) {
  int page_size = 0;
  int64_t after_seq = 0;
  LINK_RETURN_IF_ERROR(ReadPage(request.page_size(), request.page_token(), &page_size, &after_seq));
  if (!v1::LinkRequestState_IsValid(request.state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("state ", request.state(), " is not a valid LinkRequestState"));
  }
  std::string state = request.state() == v1::LINK_REQUEST_STATE_UNSPECIFIED
                          ? ""
                          : v1::LinkRequestState_Name(request.state());

  // One more than the page is read to learn whether another page follows.
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::vector<RequestRecord> records;
  std::vector<std::vector<LinkEventRecord>> histories;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    histories.clear();
    LINK_RETURN_IF_ERROR(ExpireOverdueRequests(tx, now));
    absl::StatusOr<std::vector<RequestRecord>> loaded =
        ListSchoolRequests(tx, seed_code, state, after_seq, page_size + 1);
    if (!loaded.ok()) return loaded.status();
    records = *std::move(loaded);
    for (const RequestRecord& record : records) {
      absl::StatusOr<std::vector<LinkEventRecord>> history = ListLinkEvents(tx, record.request_id);
      if (!history.ok()) return history.status();
      histories.push_back(*std::move(history));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("list_link_requests_failed")
        .Field("school", seed_code)
        .Field("error", status.message());
    return status;
  }

  v1::ListLinkRequestsResponse response;
  bool more = static_cast<int>(records.size()) > page_size;
  if (more) records.resize(page_size);
  for (size_t i = 0; i < records.size(); ++i) {
    v1::LinkRequest* listed = response.add_requests();
    *listed = ToLinkRequest(records[i], histories[i]);
    LINK_RETURN_IF_ERROR(AddAge(seed_code, records[i].created_at, listed));
  }
  if (more) response.set_next_page_token(EncodePageToken(records.back().seq));
  return response;
}

absl::StatusOr<v1::LinkRequest> SchoolRecordsService::DecideLinkRequest(
    const std::string& seed_code, const v1::DecideLinkRequestRequest& request) {
  if (request.request_id().empty()) return absl::InvalidArgumentError("request_id is missing");
  if (request.decision() != v1::DecideLinkRequestRequest::APPROVE &&
      request.decision() != v1::DecideLinkRequestRequest::REJECT) {
    return absl::InvalidArgumentError("decision must be APPROVE or REJECT");
  }
  // A name of spaces alone names no one.
  if (absl::StripAsciiWhitespace(request.decided_by()).empty()) {
    return absl::InvalidArgumentError("decided_by is missing: name the member of staff deciding");
  }
  const bool approve = request.decision() == v1::DecideLinkRequestRequest::APPROVE;
  const int64_t now = absl::ToUnixSeconds(clock_.Now());

  // Expiry is stored even when the decision is rejected, so the outcome
  // travels apart from the transaction's status.
  absl::Status outcome;
  RequestRecord record;
  std::vector<LinkEventRecord> history;
  std::string contact_mobile;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    outcome = absl::OkStatus();
    LINK_RETURN_IF_ERROR(ExpireOverdueRequests(tx, now));
    absl::StatusOr<std::optional<RequestRecord>> loaded = LoadRequest(tx, request.request_id());
    if (!loaded.ok()) return loaded.status();
    if (!loaded->has_value()) {
      outcome = absl::NotFoundError(absl::StrCat("no link request has id ", request.request_id()));
      return absl::OkStatus();
    }
    record = **loaded;
    if (record.seed_code != seed_code) {
      outcome = absl::PermissionDeniedError(
          absl::StrCat("link request ", record.request_id, " belongs to another school"));
      return absl::OkStatus();
    }
    if (record.state == kExpired) {
      outcome = absl::FailedPreconditionError(absl::StrCat(
          "link request ", record.request_id, " expired at ",
          FormatTimestamp(absl::FromUnixSeconds(record.decide_by)), "; the parent must ask again"));
      return absl::OkStatus();
    }
    if (record.state != kPending) {
      outcome = absl::FailedPreconditionError(
          absl::StrCat("link request ", record.request_id, " is already ", record.state));
      return absl::OkStatus();
    }

    if (approve) {
      absl::StatusOr<bool> may_link = ContactMayLink(tx, record.pupil_id, record.contact_ref);
      if (!may_link.ok()) return may_link.status();
      absl::StatusOr<std::string> mobile = ContactMobile(tx, record.pupil_id, record.contact_ref);
      if (!mobile.ok()) return mobile.status();
      contact_mobile = *mobile;
      if (!*may_link) {
        outcome = absl::FailedPreconditionError(absl::StrCat(
            "link request ", record.request_id,
            " cannot be approved: the contact or pupil is under a safeguarding hold, or the "
            "roster no longer lists the contact with parental responsibility"));
        return absl::OkStatus();
      }
    }

    record.state = approve ? kApproved : kRejected;
    record.decided_by = request.decided_by();
    record.reason = request.reason();
    record.decided_at = now;
    if (approve) record.child_id = crypto::RandomToken(16);
    LINK_RETURN_IF_ERROR(UpdateRequestDecision(tx, record, now));
    LINK_RETURN_IF_ERROR(
        InsertLinkEvent(tx, {record.request_id, now, approve ? "approved" : "rejected",
                             record.decided_by, record.reason}));
    absl::StatusOr<std::vector<LinkEventRecord>> events = ListLinkEvents(tx, record.request_id);
    if (!events.ok()) return events.status();
    history = *std::move(events);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("decide_link_request_failed")
        .Field("school", seed_code)
        .Field("request_id", request.request_id())
        .Field("error", status.message());
    return status;
  }
  if (!outcome.ok()) return outcome;

  (approve ? metrics_.approved : metrics_.rejected).Increment();
  log::Info("link_request_decided")
      .Field("school", seed_code)
      .Field("request_id", record.request_id)
      .Field("state", record.state);
  // The decision goes to the parent's own account address, where their
  // preferences apply. Only an approved parent's texts may go to the
  // mobile the school holds for the contact: after a rejection the school
  // has not accepted that the account holder is that contact.
  parentsportal::notification::v1::SendRequest message = RejectedMessage(record);
  if (approve) {
    message.set_kind(parentsportal::notification::v1::LINK_APPROVED);
    message.set_mobile(contact_mobile);
  }
  TellParent(record, std::move(message));
  v1::LinkRequest decided = ToLinkRequest(record, history);
  LINK_RETURN_IF_ERROR(AddAge(seed_code, record.created_at, &decided));
  return decided;
}

absl::StatusOr<v1::LinkRequest> SchoolRecordsService::RevokeLink(
    const std::string& seed_code, const v1::RevokeLinkRequest& request) {
  if (request.request_id().empty()) return absl::InvalidArgumentError("request_id is missing");
  if (absl::StripAsciiWhitespace(request.revoked_by()).empty()) {
    return absl::InvalidArgumentError(
        "revoked_by is missing: name the member of staff ending the link");
  }
  const int64_t now = absl::ToUnixSeconds(clock_.Now());

  absl::Status outcome;
  RequestRecord record;
  std::vector<LinkEventRecord> history;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    outcome = absl::OkStatus();
    absl::StatusOr<std::optional<RequestRecord>> loaded = LoadRequest(tx, request.request_id());
    if (!loaded.ok()) return loaded.status();
    if (!loaded->has_value()) {
      outcome = absl::NotFoundError(absl::StrCat("no link request has id ", request.request_id()));
      return absl::OkStatus();
    }
    record = **loaded;
    if (record.seed_code != seed_code) {
      outcome = absl::PermissionDeniedError(
          absl::StrCat("link request ", record.request_id, " belongs to another school"));
      return absl::OkStatus();
    }
    if (record.state != kApproved) {
      outcome = absl::FailedPreconditionError(absl::StrCat(
          "link request ", record.request_id, " is ", record.state, ", not an approved link"));
      return absl::OkStatus();
    }
    record.state = kEnded;
    record.decided_by = request.revoked_by();
    record.reason = request.reason();
    record.decided_at = now;
    LINK_RETURN_IF_ERROR(UpdateRequestDecision(tx, record, now));
    LINK_RETURN_IF_ERROR(InsertLinkEvent(
        tx, {record.request_id, now, "revoked", request.revoked_by(), request.reason()}));
    absl::StatusOr<std::vector<LinkEventRecord>> events = ListLinkEvents(tx, record.request_id);
    if (!events.ok()) return events.status();
    history = *std::move(events);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("revoke_link_failed")
        .Field("school", seed_code)
        .Field("request_id", request.request_id())
        .Field("error", status.message());
    return status;
  }
  if (!outcome.ok()) return outcome;

  metrics_.revoked.Increment();
  log::Info("link_revoked").Field("school", seed_code).Field("request_id", record.request_id);
  TellParent(record, EndedMessage(record));
  v1::LinkRequest revoked = ToLinkRequest(record, history);
  LINK_RETURN_IF_ERROR(AddAge(seed_code, record.created_at, &revoked));
  return revoked;
}

absl::StatusOr<v1::ListMatchFailuresResponse> SchoolRecordsService::ListMatchFailures(
    const std::string& seed_code, const v1::ListMatchFailuresRequest& request) {
  int page_size = 0;
  int64_t before_seq = 0;
  LINK_RETURN_IF_ERROR(
      ReadPage(request.page_size(), request.page_token(), &page_size, &before_seq));
  const absl::Time now = clock_.Now();

  std::vector<MatchFailureRecord> failures;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::vector<MatchFailureRecord>> loaded = pp::link::ListMatchFailures(
        tx, seed_code, before_seq, page_size + 1, absl::ToUnixSeconds(now - kMatchFailureLifetime));
    if (!loaded.ok()) return loaded.status();
    failures = *std::move(loaded);
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("list_match_failures_failed")
        .Field("school", seed_code)
        .Field("error", status.message());
    return status;
  }

  v1::ListMatchFailuresResponse response;
  bool more = static_cast<int>(failures.size()) > page_size;
  if (more) failures.resize(page_size);
  for (const MatchFailureRecord& failure : failures) {
    v1::MatchFailure* listed = response.add_failures();
    listed->set_at(FormatTimestamp(absl::FromUnixSeconds(failure.created_at)));
    listed->set_pupil_ref(failure.pupil_ref);
    listed->set_pupil_name(failure.pupil_name);
    listed->set_contact_ref(failure.contact_ref);
    listed->set_contact_name(failure.contact_name);
    for (absl::string_view reason : absl::StrSplit(failure.reasons, ',')) {
      listed->add_reasons(std::string(reason));
    }
  }
  if (more) response.set_next_page_token(EncodePageToken(failures.back().seq));
  return response;
}

absl::StatusOr<v1::SchoolContact> SchoolRecordsService::SetSchoolContact(
    const std::string& seed_code, const v1::SetSchoolContactRequest& request) {
  SchoolContactRecord record;
  record.seed_code = seed_code;
  record.updated_at = absl::ToUnixSeconds(clock_.Now());
  if (!request.email().empty()) {
    absl::StatusOr<std::string> email = pp::contact::NormaliseEmail(request.email());
    if (!email.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("email: ", email.status().message()));
    }
    record.email = *email;
  }
  absl::Status status =
      store_.Write([&](Tx& tx) { return pp::link::SetSchoolContact(tx, record); });
  if (!status.ok()) {
    log::Error("set_school_contact_failed")
        .Field("school", seed_code)
        .Field("error", status.message());
    return status;
  }
  log::Info("school_contact_set")
      .Field("school", seed_code)
      .Field("removed", record.email.empty() ? "true" : "false");

  v1::SchoolContact stored;
  stored.set_seed_code(seed_code);
  stored.set_email(record.email);
  stored.set_updated_at(FormatTimestamp(absl::FromUnixSeconds(record.updated_at)));
  return stored;
}

}  // namespace pp::link
