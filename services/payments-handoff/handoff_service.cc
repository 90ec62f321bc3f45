#include "handoff_service.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "jwt.h"
#include "log/log.h"
#include "provider_crypto.h"

namespace pp::payments {
namespace {

constexpr size_t kMaxFieldBytes = 200;
constexpr int kMaxReceipts = 50;

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone());
}

// Returns InvalidArgument unless `value` is 1 to kMaxFieldBytes bytes.
absl::Status RequireField(const char* name, const std::string& value) {
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat("`", name, "` is missing"));
  if (value.size() > kMaxFieldBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("`", name, "` is longer than ", kMaxFieldBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ValidateService(const std::string& service) {
  for (const char* known : kServices) {
    if (service == known) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("`service` must be school-meals or trips, got \"", service.substr(0, 40), "\""));
}

absl::Status ValidateEvent(const api::CallbackEvent& event) {
  for (auto [name, value] :
       {std::pair{"event_id", &event.event_id()}, std::pair{"handoff_id", &event.handoff_id()},
        std::pair{"provider_reference", &event.provider_reference()}}) {
    if (absl::Status status = RequireField(name, *value); !status.ok()) return status;
  }
  const std::string& outcome = event.outcome();
  if (outcome != "paid" && outcome != "cancelled" && outcome != "failed") {
    return absl::InvalidArgumentError(absl::StrCat(
        "`outcome` must be paid, cancelled or failed, got \"", outcome.substr(0, 40), "\""));
  }
  return absl::OkStatus();
}

api::HandoffStatus ToStatus(const HandoffRecord& record) {
  api::HandoffStatus status;
  status.set_handoff_id(record.id);
  status.set_state(record.state);
  status.set_outcome(record.outcome);
  status.set_provider_reference(record.provider_reference);
  status.set_holds_personal_data(record.holds_personal_data);
  status.set_provider_id(record.provider_id);
  status.set_provider_name(record.provider_name);
  status.set_service(record.service);
  status.set_created_at(Rfc3339(record.created_at));
  if (record.completed_at) status.set_completed_at(Rfc3339(*record.completed_at));
  if (record.data_deleted_at) status.set_data_deleted_at(Rfc3339(*record.data_deleted_at));
  return status;
}

bool IsStoreFault(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kInternal ||
         status.code() == absl::StatusCode::kDataLoss;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoffService>> HandoffService::Load(
    HandoffStore& store, const ProviderRegistry& providers, ChildDirectory& children, Clock& clock,
    HandoffOptions options, HandoffCounters counters) {
  absl::StatusOr<std::string> pseudonym_key = store.LoadOrCreateSecret("parent_pseudonym");
  if (!pseudonym_key.ok()) return pseudonym_key.status();
  absl::StatusOr<std::string> owner_key = store.LoadOrCreateSecret("receipt_owner");
  if (!owner_key.ok()) return owner_key.status();
  absl::StatusOr<SigningKeyRecord> key = store.ActiveSigningKey(clock.Now());
  if (!key.ok()) return key.status();
  return std::unique_ptr<HandoffService>(
      new HandoffService(store, providers, children, clock, std::move(options), std::move(counters),
                         std::move(*pseudonym_key), std::move(*owner_key)));
}

std::string HandoffService::OwnerOf(const std::string& account_id) const {
  return crypto::Base64UrlEncode(HmacSha256(owner_key_, account_id));
}

absl::StatusOr<api::CreateResponse> HandoffService::Create(const api::CreateRequest& request) {
  if (absl::Status status = RequireField("account_id", request.account_id()); !status.ok()) {
    return status;
  }
  if (absl::Status status = RequireField("child_id", request.child_id()); !status.ok()) {
    return status;
  }
  if (absl::Status status = ValidateService(request.service()); !status.ok()) return status;

  // The gateway checked the link too, but this service does not take its
  // word for it: a hand-off discloses the pupil to a third party.
  absl::StatusOr<parentsportal::link::v1::Child> child =
      children_.GetLinkedChild(request.account_id(), request.child_id());
  if (!child.ok()) {
    if (child.status().code() == absl::StatusCode::kNotFound ||
        child.status().code() == absl::StatusCode::kInvalidArgument) {
      return absl::NotFoundError("the child is not linked to this account");
    }
    return absl::UnavailableError(absl::StrCat("cannot check the link with link-verification: ",
                                               std::string(child.status().message())));
  }
  if (child->pupil_ref().empty()) {
    return absl::InternalError("link-verification returned the child without a pupil reference");
  }
  std::optional<api::ProviderConfig> provider =
      providers_.ForSchool(child->seed_code(), request.service());
  if (!provider) {
    return absl::FailedPreconditionError(
        absl::StrCat(child->school_name(), " takes no online payments for ", request.service()));
  }

  absl::Time now = clock_.Now();
  absl::StatusOr<SigningKeyRecord> key = store_.ActiveSigningKey(now);
  if (!key.ok()) return key.status();
  NewHandoff handoff;
  handoff.id = crypto::RandomToken(16);
  handoff.provider_id = provider->id();
  handoff.provider_name = provider->display_name();
  handoff.service = request.service();
  handoff.seed_code = child->seed_code();
  handoff.owner = OwnerOf(request.account_id());
  handoff.pupil_ref = child->pupil_ref();
  // Keyed by provider, so two providers cannot match up the same parent.
  handoff.parent_pseudonym = crypto::Base64UrlEncode(
      HmacSha256(pseudonym_key_, absl::StrCat(provider->id(), "\n", request.account_id())));
  handoff.created_at = now;
  handoff.data_expires_at = now + options_.data_lifetime;
  if (absl::Status status = store_.Insert(handoff); !status.ok()) {
    log::Error("handoff_store_failed").Field("rpc", "Create").Field("error", status.message());
    return status;
  }

  AssertionClaims claims;
  claims.issuer = options_.issuer;
  claims.audience = provider->audience();
  claims.subject = handoff.parent_pseudonym;
  claims.jwt_id = handoff.id;
  claims.issued_at = now;
  claims.expires_at = now + options_.token_lifetime;
  claims.school = handoff.seed_code;
  claims.pupil_ref = handoff.pupil_ref;
  claims.service = handoff.service;

  api::CreateResponse response;
  response.set_handoff_id(handoff.id);
  response.set_token(SignAssertion(claims, key->kid, key->key));
  response.set_provider_url(provider->handoff_url());
  response.set_provider_name(provider->display_name());
  response.set_expires_at(Rfc3339(claims.expires_at));
  log::Info("handoff_created")
      .Field("handoff", handoff.id)
      .Field("provider", provider->id())
      .Field("service", handoff.service);
  if (counters_.on_created) counters_.on_created();
  return response;
}

absl::StatusOr<api::HandoffStatus> HandoffService::GetStatus(const api::GetStatusRequest& request) {
  if (request.handoff_id().empty()) return absl::InvalidArgumentError("`handoff_id` is missing");
  absl::StatusOr<HandoffRecord> record = store_.Get(request.handoff_id());
  if (!record.ok()) return record.status();
  return ToStatus(*record);
}

absl::StatusOr<api::JsonWebKeySet> HandoffService::GetJwks() {
  absl::Time now = clock_.Now();
  // Creates the first key when a sweep or rotation left none.
  if (absl::StatusOr<SigningKeyRecord> active = store_.ActiveSigningKey(now); !active.ok()) {
    return active.status();
  }
  absl::StatusOr<std::vector<PublishedKey>> keys = store_.PublishedKeys(now);
  if (!keys.ok()) return keys.status();
  api::JsonWebKeySet set;
  for (const PublishedKey& key : *keys) *set.add_keys() = ToJsonWebKey(key.kid, key.public_key);
  return set;
}

absl::StatusOr<api::CallbackResponse> HandoffService::HandleCallback(
    const api::CallbackRequest& request) {
  auto reject = [this](const std::string& message) {
    if (counters_.on_callback) counters_.on_callback("UNAUTHENTICATED");
    return absl::UnauthenticatedError(message);
  };
  std::optional<api::ProviderConfig> provider = providers_.ById(request.provider_id());
  if (!provider) return reject("the Payment-Provider header names no configured provider");
  int64_t timestamp = 0;
  if (!absl::SimpleAtoi(request.timestamp(), &timestamp)) {
    return reject("the Payment-Timestamp header is not Unix seconds");
  }
  absl::Duration skew = absl::AbsDuration(clock_.Now() - absl::FromUnixSeconds(timestamp));
  if (skew > options_.callback_tolerance) {
    return reject("the Payment-Timestamp header is more than 5 minutes from the portal's clock");
  }
  if (!VerifyCallbackSignature(provider->callback_secret(), request.timestamp(), request.body(),
                               request.signature())) {
    return reject("the Payment-Signature header does not match the body");
  }

  // Only a body whose signature verified is parsed.
  api::CallbackEvent parsed;
  google::protobuf::util::JsonParseOptions json_options;
  json_options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(request.body(), &parsed, json_options).ok()) {
    return absl::InvalidArgumentError("the callback body is not a JSON CallbackEvent");
  }
  if (absl::Status status = ValidateEvent(parsed); !status.ok()) return status;

  CallbackEvent event{provider->id(),      parsed.event_id(), crypto::HashToken(request.body()),
                      parsed.handoff_id(), parsed.outcome(),  parsed.provider_reference()};
  absl::StatusOr<CallbackAnswer> answer = store_.ApplyCallback(event, clock_.Now());
  if (!answer.ok()) {
    if (IsStoreFault(answer.status())) {
      log::Error("handoff_store_failed")
          .Field("rpc", "HandleCallback")
          .Field("handoff", event.handoff_id)
          .Field("error", answer.status().message());
    }
    return answer.status();
  }
  std::string code = absl::StatusCodeToString(answer->status.code());
  log::Info("handoff_callback")
      .Field("provider", event.provider_id)
      .Field("handoff", event.handoff_id)
      .Field("code", code)
      .Field("replayed", answer->replayed ? "true" : "false");
  if (counters_.on_callback) counters_.on_callback(answer->replayed ? "REPLAYED" : code);
  if (!answer->status.ok()) return answer->status;

  if (!answer->replayed && answer->state == api::COMPLETED) {
    ScrubDeletedData("completed");
    if (counters_.on_completed) counters_.on_completed(event.outcome);
  }
  api::CallbackResponse response;
  response.set_event_id(event.event_id);
  response.set_handoff_id(answer->handoff_id);
  response.set_state(answer->state);
  response.set_replayed(answer->replayed);
  return response;
}

absl::StatusOr<api::ListReceiptsResponse> HandoffService::ListReceipts(
    const api::ListReceiptsRequest& request) {
  if (absl::Status status = RequireField("account_id", request.account_id()); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::vector<HandoffRecord>> records =
      store_.ListByOwner(OwnerOf(request.account_id()), kMaxReceipts);
  if (!records.ok()) return records.status();
  api::ListReceiptsResponse response;
  for (const HandoffRecord& record : *records) *response.add_receipts() = ToStatus(record);
  return response;
}

absl::StatusOr<api::ListOnlineServicesResponse> HandoffService::ListOnlineServices(
    const api::ListOnlineServicesRequest& request) const {
  constexpr int kMaxSchools = 100;
  if (request.seed_codes_size() > kMaxSchools) {
    return absl::InvalidArgumentError(absl::StrCat("seed_codes has ", request.seed_codes_size(),
                                                   " entries; at most ", kMaxSchools,
                                                   " are allowed"));
  }
  api::ListOnlineServicesResponse response;
  for (const std::string& seed_code : request.seed_codes()) {
    if (seed_code.size() != 7 || !absl::c_all_of(seed_code, absl::ascii_isdigit)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "seed_codes has \"", absl::CHexEscape(seed_code.substr(0, 20)), "\"; expected 7 digits"));
    }
    api::SchoolServices* school = response.add_schools();
    school->set_seed_code(seed_code);
    for (const char* service : kServices) {
      if (providers_.ForSchool(seed_code, service).has_value()) school->add_services(service);
    }
  }
  return response;
}

absl::StatusOr<api::RotateSigningKeyResponse> HandoffService::RotateSigningKey() {
  absl::Time now = clock_.Now();
  // The retired key's last assertion was signed just before `now`.
  absl::Time unpublish_at = now + options_.token_lifetime + options_.key_publication_margin;
  std::string retired_kid;
  absl::StatusOr<SigningKeyRecord> key = store_.RotateSigningKey(now, unpublish_at, &retired_kid);
  if (!key.ok()) return key.status();
  log::Info("signing_key_rotated").Field("kid", key->kid).Field("retired_kid", retired_kid);
  api::RotateSigningKeyResponse response;
  response.set_kid(key->kid);
  response.set_retired_kid(retired_kid);
  if (!retired_kid.empty()) response.set_retired_kid_unpublished_after(Rfc3339(unpublish_at));
  return response;
}

absl::StatusOr<int> HandoffService::SweepExpired() {
  absl::Time now = clock_.Now();
  absl::StatusOr<int> expired = store_.Expire(now);
  if (!expired.ok()) return expired.status();
  if (*expired > 0) {
    ScrubDeletedData("expired");
    log::Info("handoffs_expired").Field("count", *expired);
    if (counters_.on_expired) counters_.on_expired(*expired);
  }

  // Key upkeep and event pruning are housekeeping: a failure is logged and
  // tried again on the next sweep.
  absl::StatusOr<SigningKeyRecord> key = store_.ActiveSigningKey(now);
  if (key.ok() && now - key->created_at >= options_.signing_key_max_age) {
    if (absl::StatusOr<api::RotateSigningKeyResponse> rotated = RotateSigningKey(); !rotated.ok()) {
      log::Warning("signing_key_rotation_failed").Field("error", rotated.status().message());
    }
  }
  if (absl::StatusOr<int> deleted = store_.DeleteUnpublishedKeys(now); !deleted.ok()) {
    log::Warning("signing_key_cleanup_failed").Field("error", deleted.status().message());
  } else if (*deleted > 0) {
    ScrubDeletedData("key_deleted");
  }
  if (absl::Status pruned = store_.PruneCallbackEvents(now - options_.callback_event_retention);
      !pruned.ok()) {
    log::Warning("callback_event_prune_failed").Field("error", pruned.message());
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
