#include "school_records_service.h"

#include <optional>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "crypto/crypto.h"
#include "link_rules.h"
#include "link_store.h"
#include "log/log.h"
#include "return_if_error.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;

constexpr char kPageTokenPrefix[] = "after:";

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

v1::LinkRequest ToLinkRequest(const RequestRecord& record) {
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
  return request;
}

}  // namespace

SchoolRecordsService::SchoolRecordsService(Store& store, Clock& clock, LinkMetrics& metrics,
                                           absl::TimeZone zone)
    : store_(store), clock_(clock), metrics_(metrics), zone_(zone) {}

RosterBatch SchoolRecordsService::NewRosterBatch(const std::string& seed_code) const {
  return RosterBatch(seed_code, absl::ToCivilDay(clock_.Now(), zone_));
}

absl::StatusOr<v1::SyncRosterSummary> SchoolRecordsService::ApplyRoster(RosterBatch& batch) {
  batch.Finish();
  int pupil_errors = 0;
  for (const v1::RowError& error : batch.errors()) pupil_errors += error.file() == "pupils";
  metrics_.pupils_loaded.Increment(batch.pupils().size());
  metrics_.pupils_rejected.Increment(pupil_errors);
  metrics_.contacts_loaded.Increment(batch.contacts().size());
  metrics_.contacts_rejected.Increment(batch.errors().size() - pupil_errors);

  // An empty sync would mark the whole school as left.
  if (batch.pupils().empty()) {
    std::string first_error;
    if (!batch.errors().empty()) {
      const v1::RowError& error = batch.errors().front();
      first_error = absl::StrCat(" The first error is in ", error.file(), " row ", error.row(),
                                 ": ", error.reason(), ".");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("The sync holds no valid pupil row, so nothing was changed (",
                     batch.errors().size(), " rows were rejected).", first_error));
  }

  const std::string school_name =
      batch.school_name().empty() ? batch.seed_code() : batch.school_name();
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  RosterCounts counts;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    absl::StatusOr<RosterCounts> replaced =
        ReplaceRoster(tx, batch.seed_code(), school_name, batch.pupils(), batch.contacts(), now);
    if (!replaced.ok()) return replaced.status();
    counts = *replaced;
    return absl::OkStatus();
  });
  if (!status.ok()) {
    log::Error("roster_sync_failed")
        .Field("school", batch.seed_code())
        .Field("error", status.message());
    return status;
  }
  metrics_.pupils_left.Increment(counts.pupils_left);
  log::Info("roster_synced")
      .Field("school", batch.seed_code())
      .Field("pupils_loaded", static_cast<int64_t>(batch.pupils().size()))
      .Field("contacts_loaded", static_cast<int64_t>(batch.contacts().size()))
      .Field("rows_rejected", static_cast<int64_t>(batch.errors().size()))
      .Field("pupils_left", counts.pupils_left)
      .Field("links_ended", counts.links_ended)
      .Field("requests_closed", counts.requests_closed);

  v1::SyncRosterSummary summary;
  summary.set_pupils_loaded(static_cast<int32_t>(batch.pupils().size()));
  summary.set_contacts_loaded(static_cast<int32_t>(batch.contacts().size()));
  summary.set_pupils_left(counts.pupils_left);
  for (const v1::RowError& error : batch.errors()) *summary.add_errors() = error;
  return summary;
}

absl::StatusOr<v1::ListLinkRequestsResponse> SchoolRecordsService::ListLinkRequests(
    const std::string& seed_code, const v1::ListLinkRequestsRequest& request) {
  if (request.page_size() < 0) {
    return absl::InvalidArgumentError("page_size must be 0 (the default of 100) or more");
  }
  int page_size =
      request.page_size() == 0 ? kDefaultPageSize : std::min(request.page_size(), kMaxPageSize);
  if (!v1::LinkRequestState_IsValid(request.state())) {
    return absl::InvalidArgumentError(
        absl::StrCat("state ", request.state(), " is not a valid LinkRequestState"));
  }
  std::string state = request.state() == v1::LINK_REQUEST_STATE_UNSPECIFIED
                          ? ""
                          : v1::LinkRequestState_Name(request.state());
  int64_t after_seq = 0;
  if (!request.page_token().empty()) {
    std::optional<int64_t> decoded = DecodePageToken(request.page_token());
    if (!decoded.has_value()) {
      return absl::InvalidArgumentError(
          "page_token is not one this service returned; list again without it");
    }
    after_seq = *decoded;
  }

  // One more than the page is read to learn whether another page follows.
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::vector<RequestRecord> records;
  absl::Status status = store_.Write([&](Tx& tx) -> absl::Status {
    LINK_RETURN_IF_ERROR(ExpireOverdueRequests(tx, now));
    absl::StatusOr<std::vector<RequestRecord>> loaded =
        ListSchoolRequests(tx, seed_code, state, after_seq, page_size + 1);
    if (!loaded.ok()) return loaded.status();
    records = *std::move(loaded);
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
  for (const RequestRecord& record : records) *response.add_requests() = ToLinkRequest(record);
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
  if (request.decided_by().empty()) {
    return absl::InvalidArgumentError("decided_by is missing: name the member of staff deciding");
  }
  const bool approve = request.decision() == v1::DecideLinkRequestRequest::APPROVE;
  const int64_t now = absl::ToUnixSeconds(clock_.Now());

  // Expiry is stored even when the decision is rejected, so the outcome
  // travels apart from the transaction's status.
  absl::Status outcome;
  RequestRecord record;
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

    record.state = approve ? kApproved : kRejected;
    record.decided_by = request.decided_by();
    record.reason = request.reason();
    if (approve) record.child_id = crypto::RandomToken(16);
    return UpdateRequestDecision(tx, record, now);
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
  return ToLinkRequest(record);
}

}  // namespace pp::link
