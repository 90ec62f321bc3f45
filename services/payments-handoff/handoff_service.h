// The payments-handoff service's logic, apart from the gRPC wiring: signed
// single-use hand-offs into the school payment providers, the keys that
// verify them, provider callbacks and receipts.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "child_directory.h"
#include "clock/clock.h"
#include "handoff_store.h"
#include "provider_registry.h"

namespace pp::payments {

struct HandoffOptions {
  // The assertion's `iss`: the portal's public address.
  std::string issuer = "http://127.0.0.1:8080";
  // How long an assertion is valid after Create.
  absl::Duration token_lifetime = absl::Seconds(60);
  // How long after Create an uncompleted hand-off keeps its personal data.
  absl::Duration data_lifetime = absl::Minutes(30);
  // The largest difference accepted between a callback's timestamp and
  // this service's clock.
  absl::Duration callback_tolerance = absl::Minutes(5);
  // How long a retired key stays published after its last assertion
  // expired, for providers whose clock runs behind.
  absl::Duration key_publication_margin = absl::Minutes(5);
  // The sweep rotates a signing key older than this.
  absl::Duration signing_key_max_age = absl::Hours(24 * 30);
  // How long processed callback event ids are kept to answer replays. It
  // must exceed callback_tolerance, because older callbacks are rejected
  // by their timestamp.
  absl::Duration callback_event_retention = absl::Hours(24 * 7);
};

// Callbacks that count events, which main wires to Prometheus counters.
// Every member may be left empty.
struct HandoffCounters {
  std::function<void()> on_created;
  std::function<void(const std::string& code)> on_callback;
  std::function<void(const std::string& outcome)> on_completed;
  std::function<void(int count)> on_expired;
};

class HandoffService {
 public:
  // Loads the service's secrets from the store, creating them on first
  // start. Every reference must outlive the service.
  static absl::StatusOr<std::unique_ptr<HandoffService>> Load(HandoffStore& store,
                                                              const ProviderRegistry& providers,
                                                              ChildDirectory& children,
                                                              Clock& clock, HandoffOptions options,
                                                              HandoffCounters counters = {});

  // Checks that the parent is linked to the child, records a hand-off with
  // the pupil's reference and the parent's pseudonym for the school's
  // provider, and returns the signed assertion. InvalidArgument names a
  // missing or malformed field; NotFound when the child is not linked to
  // the account; FailedPrecondition when the school has no provider for
  // the service; Unavailable when link-verification cannot be reached.
  absl::StatusOr<api::CreateResponse> Create(const api::CreateRequest& request);

  // Returns the hand-off's state and receipt, or NotFound.
  absl::StatusOr<api::HandoffStatus> GetStatus(const api::GetStatusRequest& request);

  // Returns the published public keys, creating the first key if needed.
  absl::StatusOr<api::JsonWebKeySet> GetJwks();

  // Verifies a provider's callback and applies it once. Unauthenticated
  // for an unknown provider, a timestamp that is not Unix seconds or is
  // more than callback_tolerance away, or a signature that does not
  // match; InvalidArgument for a body that is not a valid CallbackEvent.
  // Then as HandoffStore::ApplyCallback: a replay returns the first
  // answer, error or not.
  absl::StatusOr<api::CallbackResponse> HandleCallback(const api::CallbackRequest& request);

  // Returns the parent's receipts, newest first (at most 50).
  absl::StatusOr<api::ListReceiptsResponse> ListReceipts(const api::ListReceiptsRequest& request);

  // Returns the services each school in the request takes online, in the
  // order asked. InvalidArgument for more than 100 schools or a seed code
  // that is not 7 digits.
  absl::StatusOr<api::ListOnlineServicesResponse> ListOnlineServices(
      const api::ListOnlineServicesRequest& request) const;

  // Starts signing with a new key; the old one stays published until its
  // last assertion has expired plus key_publication_margin.
  absl::StatusOr<api::RotateSigningKeyResponse> RotateSigningKey();

  // Expires uncompleted hand-offs past data_lifetime, deleting their
  // personal data, and empties the write-ahead log after it. Also rotates
  // an old signing key, deletes keys no longer published and forgets old
  // callback events. Returns how many hand-offs expired.
  absl::StatusOr<int> SweepExpired();

 private:
  HandoffService(HandoffStore& store, const ProviderRegistry& providers, ChildDirectory& children,
                 Clock& clock, HandoffOptions options, HandoffCounters counters,
                 std::string pseudonym_key, std::string owner_key)
      : store_(store),
        providers_(providers),
        children_(children),
        clock_(clock),
        options_(std::move(options)),
        counters_(std::move(counters)),
        pseudonym_key_(std::move(pseudonym_key)),
        owner_key_(std::move(owner_key)) {}

  // Returns the receipt owner of an account: a keyed hash, never the id.
  std::string OwnerOf(const std::string& account_id) const;
  // Empties the write-ahead log after personal data was deleted. A failure
  // is only logged, because the rows are already gone from the tables.
  void ScrubDeletedData(const std::string& reason);

  HandoffStore& store_;
  const ProviderRegistry& providers_;
  ChildDirectory& children_;
  Clock& clock_;
  const HandoffOptions options_;
  const HandoffCounters counters_;
  const std::string pseudonym_key_;
  const std::string owner_key_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_
