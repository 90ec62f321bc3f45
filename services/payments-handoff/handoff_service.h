// The payments-handoff service's logic: signed single-use hand-offs into the
// school payment provider, apart from the gRPC wiring.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "crypto/crypto.h"
#include "handoff_store.h"

namespace pp::payments {

struct HandoffOptions {
  // The provider URL that Create returns, where the browser posts the token.
  std::string provider_url = "http://127.0.0.1:8090/pay";
  // How long a token can be redeemed after Create.
  absl::Duration token_lifetime = absl::Minutes(5);
  // How long after Create a redeemed hand-off may complete. After that the
  // sweep deletes its personal data and it can no longer complete.
  absl::Duration completion_window = absl::Hours(24);
};

// Callbacks that count hand-off events, which main wires to Prometheus
// counters. Every
// member may be left empty.
struct HandoffCounters {
  std::function<void()> on_created;
  std::function<void()> on_redeemed;
  std::function<void(const std::string& reason)> on_token_rejected;
  std::function<void(const std::string& outcome)> on_completed;
  std::function<void(int count)> on_expired;
};

class HandoffService {
 public:
  // Loads the signing key from the store, creating it on first start.
  static absl::StatusOr<std::unique_ptr<HandoffService>> Load(HandoffStore& store, Clock& clock,
                                                              HandoffOptions options,
                                                              HandoffCounters counters = {});

  // Stores a hand-off with the request's personal data and returns its
  // signed token. InvalidArgument names the first missing or malformed
  // field. Also runs SweepExpired, whose failure is only logged.
  absl::StatusOr<api::CreateResponse> Create(const api::CreateRequest& request);

  // Exchanges a token for the hand-off's details, once. Returns
  // InvalidArgument when the token is not two base64url parts joined by
  // '.', Unauthenticated when its signature does not verify,
  // FailedPrecondition when it expired or was redeemed before, and NotFound
  // when the hand-off is unknown to this store.
  absl::StatusOr<api::RedeemResponse> Redeem(const api::RedeemRequest& request);

  // Records the provider's outcome of a redeemed hand-off and deletes its
  // personal data. Repeating the same call returns the same status.
  // Returns InvalidArgument for a missing id or reference or an outcome
  // other than paid, cancelled or failed, and NotFound for an unknown id.
  // Returns FailedPrecondition when the hand-off was never redeemed,
  // expired, or completed with another outcome or reference.
  absl::StatusOr<api::HandoffStatus> Complete(const api::CompleteRequest& request);

  // Returns the hand-off's state and receipt, or NotFound for an unknown id.
  absl::StatusOr<api::HandoffStatus> GetStatus(const api::GetStatusRequest& request);

  // Expires hand-offs never redeemed within the token lifetime and those
  // redeemed but not completed within the completion window, deleting their
  // personal data. Returns how many expired.
  absl::StatusOr<int> SweepExpired();

  // The raw Ed25519 public key a provider verifies tokens with.
  const std::string& public_key() const { return key_.public_key; }

 private:
  HandoffService(HandoffStore& store, Clock& clock, HandoffOptions options,
                 HandoffCounters counters, crypto::SigningKey key)
      : store_(store),
        clock_(clock),
        options_(std::move(options)),
        counters_(std::move(counters)),
        key_(std::move(key)) {}

  // Returns the hand-off id of a token that is well formed, signed by this
  // service's key and unexpired.
  absl::StatusOr<std::string> VerifyToken(const std::string& token);
  // Empties the write-ahead log after personal data was deleted. A failure
  // is only logged, because the rows are already gone from the tables.
  void ScrubDeletedData(const std::string& reason);

  HandoffStore& store_;
  Clock& clock_;
  const HandoffOptions options_;
  const HandoffCounters counters_;
  const crypto::SigningKey key_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_SERVICE_H_
