#include "handoff_service.h"

#include <algorithm>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "log/log.h"

namespace pp::payments {
namespace {

// The signed payload is "1.<hand-off id>.<expiry, Unix seconds>.<nonce>";
// the leading 1 is the format version.
constexpr char kPayloadVersion[] = "1";

constexpr size_t kMaxFieldBytes = 200;
constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxTokenBytes = 1024;

struct Field {
  const char* name;
  const std::string& value;
  size_t max_bytes;
};

absl::Status ValidateCreate(const api::CreateRequest& request) {
  for (const Field& field : {Field{"account_id", request.account_id(), kMaxFieldBytes},
                             Field{"parent_name", request.parent_name(), kMaxFieldBytes},
                             Field{"parent_email", request.parent_email(), kMaxEmailBytes},
                             Field{"seed_code", request.seed_code(), kMaxFieldBytes},
                             Field{"school_name", request.school_name(), kMaxFieldBytes},
                             Field{"child_id", request.child_id(), kMaxFieldBytes},
                             Field{"child_name", request.child_name(), kMaxFieldBytes},
                             Field{"stage", request.stage(), kMaxFieldBytes}}) {
    if (field.value.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("`", field.name, "` is missing"));
    }
    if (field.value.size() > field.max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("`", field.name, "` is longer than ", field.max_bytes, " bytes"));
    }
  }
  const std::string& seed_code = request.seed_code();
  if (seed_code.size() != 7 || !std::all_of(seed_code.begin(), seed_code.end(),
                                            [](char c) { return absl::ascii_isdigit(c); })) {
    return absl::InvalidArgumentError("`seed_code` must be the school's 7-digit SEED code");
  }
  const std::string& email = request.parent_email();
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == email.size() ||
      email.find('@', at + 1) != std::string::npos) {
    return absl::InvalidArgumentError("`parent_email` must be an email address such as a@b.uk");
  }
  return absl::OkStatus();
}

absl::Status ValidateOutcome(const std::string& outcome) {
  if (outcome == "paid" || outcome == "cancelled" || outcome == "failed") return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "`outcome` must be paid, cancelled or failed, got \"", outcome.substr(0, 40), "\""));
}

api::HandoffStatus ToStatus(const HandoffRecord& record) {
  api::HandoffStatus status;
  status.set_handoff_id(record.id);
  status.set_state(record.state);
  status.set_outcome(record.outcome);
  status.set_provider_reference(record.provider_reference);
  status.set_holds_personal_data(record.holds_personal_data);
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoffService>> HandoffService::Load(HandoffStore& store,
                                                                     Clock& clock,
                                                                     HandoffOptions options,
                                                                     HandoffCounters counters) {
  absl::StatusOr<crypto::SigningKey> key = store.LoadOrCreateSigningKey(clock.Now());
  if (!key.ok()) return key.status();
  return std::unique_ptr<HandoffService>(
      new HandoffService(store, clock, std::move(options), std::move(counters), *key));
}

absl::StatusOr<api::CreateResponse> HandoffService::Create(const api::CreateRequest& request) {
  if (absl::Status status = ValidateCreate(request); !status.ok()) return status;
  if (absl::StatusOr<int> swept = SweepExpired(); !swept.ok()) {
    log::Warning("handoff_sweep_failed").Field("error", swept.status().message());
  }

  absl::Time now = clock_.Now();
  absl::Time expires_at = now + options_.token_lifetime;
  std::string id = crypto::RandomToken(16);
  HandoffDetails details{request.account_id(), request.parent_name(), request.parent_email(),
                         request.seed_code(),  request.school_name(), request.child_id(),
                         request.child_name(), request.stage()};
  if (absl::Status status = store_.Insert(id, details, now, expires_at); !status.ok()) {
    log::Error("handoff_store_failed")
        .Field("rpc", "Create")
        .Field("handoff", id)
        .Field("error", status.message());
    return status;
  }

  std::string payload = absl::StrCat(kPayloadVersion, ".", id, ".", absl::ToUnixSeconds(expires_at),
                                     ".", crypto::RandomToken(16));
  api::CreateResponse response;
  response.set_handoff_id(id);
  response.set_token(absl::StrCat(crypto::Base64UrlEncode(payload), ".",
                                  crypto::Base64UrlEncode(crypto::Sign(key_, payload))));
  response.set_provider_url(options_.provider_url);
  response.set_expires_at(absl::FormatTime(absl::RFC3339_sec, expires_at, absl::UTCTimeZone()));
  log::Info("handoff_created").Field("handoff", id).Field("school", request.seed_code());
  if (counters_.on_created) counters_.on_created();
  return response;
}

absl::StatusOr<std::string> HandoffService::VerifyToken(const std::string& token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (token.size() > kMaxTokenBytes || parts.size() != 2) {
    return absl::InvalidArgumentError(
        "the token is malformed: expected two base64url parts joined by '.'");
  }
  absl::StatusOr<std::string> payload = crypto::Base64UrlDecode(parts[0]);
  absl::StatusOr<std::string> signature = crypto::Base64UrlDecode(parts[1]);
  if (!payload.ok() || !signature.ok()) {
    return absl::InvalidArgumentError("the token is malformed: a part is not base64url");
  }

  // The payload is trusted only after its signature verifies.
  if (!crypto::VerifySignature(key_.public_key, *payload, *signature)) {
    return absl::UnauthenticatedError("the token's signature is not valid");
  }
  std::vector<std::string> fields = absl::StrSplit(*payload, '.');
  int64_t expires_seconds = 0;
  if (fields.size() != 4 || fields[0] != kPayloadVersion ||
      !absl::SimpleAtoi(fields[2], &expires_seconds)) {
    return absl::InvalidArgumentError("the token's payload has an unknown format");
  }
  if (clock_.Now() >= absl::FromUnixSeconds(expires_seconds)) {
    return absl::FailedPreconditionError(
        "the hand-off token expired; start the payment again from Parents Portal");
  }
  return fields[1];
}

absl::StatusOr<api::RedeemResponse> HandoffService::Redeem(const api::RedeemRequest& request) {
  absl::StatusOr<std::string> id = VerifyToken(request.token());
  if (!id.ok()) {
    if (counters_.on_token_rejected) {
      counters_.on_token_rejected(absl::StatusCodeToString(id.status().code()));
    }
    return id.status();
  }

  absl::StatusOr<HandoffDetails> details = store_.Redeem(*id, clock_.Now());
  if (!details.ok()) {
    if (details.status().code() == absl::StatusCode::kUnavailable ||
        details.status().code() == absl::StatusCode::kInternal) {
      log::Error("handoff_store_failed")
          .Field("rpc", "Redeem")
          .Field("handoff", *id)
          .Field("error", details.status().message());
    } else if (counters_.on_token_rejected) {
      counters_.on_token_rejected(absl::StatusCodeToString(details.status().code()));
    }
    return details.status();
  }

  api::RedeemResponse response;
  response.set_handoff_id(*id);
  response.set_parent_name(details->parent_name);
  response.set_parent_email(details->parent_email);
  response.set_seed_code(details->seed_code);
  response.set_school_name(details->school_name);
  response.set_child_name(details->child_name);
  response.set_stage(details->stage);
  log::Info("handoff_redeemed").Field("handoff", *id);
  if (counters_.on_redeemed) counters_.on_redeemed();
  return response;
}

absl::StatusOr<api::HandoffStatus> HandoffService::Complete(const api::CompleteRequest& request) {
  if (request.handoff_id().empty()) return absl::InvalidArgumentError("`handoff_id` is missing");
  if (request.provider_reference().empty() ||
      request.provider_reference().size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError(absl::StrCat("`provider_reference` must be 1 to ",
                                                   kMaxFieldBytes,
                                                   " bytes of the provider's reference"));
  }
  if (absl::Status status = ValidateOutcome(request.outcome()); !status.ok()) return status;

  bool repeated = false;
  absl::StatusOr<HandoffRecord> record =
      store_.Complete(request.handoff_id(), request.outcome(), request.provider_reference(),
                      clock_.Now(), &repeated);
  if (!record.ok()) {
    if (record.status().code() == absl::StatusCode::kUnavailable ||
        record.status().code() == absl::StatusCode::kInternal) {
      log::Error("handoff_store_failed")
          .Field("rpc", "Complete")
          .Field("handoff", request.handoff_id())
          .Field("error", record.status().message());
    }
    return record.status();
  }
  if (repeated) return ToStatus(*record);

  ScrubDeletedData("completed");
  log::Info("handoff_completed")
      .Field("handoff", request.handoff_id())
      .Field("outcome", request.outcome());
  if (counters_.on_completed) counters_.on_completed(request.outcome());
  return ToStatus(*record);
}

absl::StatusOr<api::HandoffStatus> HandoffService::GetStatus(const api::GetStatusRequest& request) {
  if (request.handoff_id().empty()) return absl::InvalidArgumentError("`handoff_id` is missing");
  absl::StatusOr<HandoffRecord> record = store_.Get(request.handoff_id());
  if (!record.ok()) return record.status();
  return ToStatus(*record);
}

absl::StatusOr<int> HandoffService::SweepExpired() {
  absl::Time now = clock_.Now();
  absl::StatusOr<int> expired = store_.Expire(now, now - options_.completion_window);
  if (!expired.ok()) return expired.status();
  if (*expired > 0) {
    ScrubDeletedData("expired");
    log::Info("handoffs_expired").Field("count", *expired);
    if (counters_.on_expired) counters_.on_expired(*expired);
  }
  return *expired;
}

void HandoffService::ScrubDeletedData(const std::string& reason) {
  absl::Status status = store_.Checkpoint();
  if (!status.ok()) {
    log::Warning("handoff_checkpoint_failed")
        .Field("reason", reason)
        .Field("error", status.message());
  }
}

}  // namespace pp::payments
