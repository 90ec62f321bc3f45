// The payments-handoff service's SQLite store: signing keys, hand-offs, the
// personal data each carries until it completes or expires, receipts and
// the provider callbacks already processed.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"
#include "parentsportal/payments.pb.h"
#include "store/store.h"
#include "store_metrics/store_metrics.h"

namespace pp::payments {

namespace api = parentsportal::payments::v1;

struct SigningKeyRecord {
  std::string kid;
  crypto::SigningKey key;
  absl::Time created_at;
};

struct PublishedKey {
  std::string kid;
  std::string public_key;
};

struct NewHandoff {
  std::string id;
  std::string provider_id;
  std::string provider_name;
  std::string service;
  std::string seed_code;
  // A keyed hash of the parent's account id, kept with the receipt so the
  // parent can list it. The account id itself is never stored.
  std::string owner;
  // Personal data, deleted on completion or expiry.
  std::string pupil_ref;
  std::string parent_pseudonym;
  absl::Time created_at;
  // When the personal data is deleted unless the hand-off completed.
  absl::Time data_expires_at;
};

struct HandoffRecord {
  std::string id;
  std::string provider_id;
  std::string provider_name;
  std::string service;
  api::HandoffState state = api::HANDOFF_STATE_UNSPECIFIED;
  absl::Time created_at;
  std::optional<absl::Time> completed_at;
  std::optional<absl::Time> data_deleted_at;
  std::string outcome;
  std::string provider_reference;
  bool holds_personal_data = false;
};

// A provider's completion event, after its signature was checked.
struct CallbackEvent {
  std::string provider_id;
  std::string event_id;
  // SHA-256 of the body, to tell a replay from a reused event id.
  std::string body_hash;
  std::string handoff_id;
  std::string outcome;
  std::string provider_reference;
};

// The response to a callback, stored so that a replay gets it again.
struct CallbackAnswer {
  absl::Status status;
  std::string handoff_id;
  api::HandoffState state = api::HANDOFF_STATE_UNSPECIFIED;
  bool replayed = false;
};

class HandoffStore {
 public:
  // Opens or creates `<data_dir>/payments-handoff.db`, creating the folder
  // first, and makes it readable by its owner only, because it contains the
  // signing keys. pp::Store turns on secure_delete, so deleted rows are
  // overwritten on disk.
  static absl::StatusOr<std::unique_ptr<HandoffStore>> Open(const std::string& data_dir);

  explicit HandoffStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  // Returns the gauges read from this store at each scrape:
  //   pp_payments_handoff_open: hand-offs still holding personal data.
  // The store must outlive them.
  std::shared_ptr<prometheus::Collectable> Gauges();

  // Returns the 32-byte secret called `name`, creating it on first use.
  absl::StatusOr<std::string> LoadOrCreateSecret(const std::string& name);

  // Returns the key that signs now, creating one when there is none.
  absl::StatusOr<SigningKeyRecord> ActiveSigningKey(absl::Time now);

  // Creates a new active key and retires the old one, which stays
  // published until `old_key_unpublish_at`. Returns the new key; sets
  // `*retired_kid` to the old key's kid ("" when there was none).
  absl::StatusOr<SigningKeyRecord> RotateSigningKey(absl::Time now, absl::Time old_key_unpublish_at,
                                                    std::string* retired_kid);

  // Returns the keys published at `now`: the active one and retired ones
  // whose tokens may still be valid, newest first.
  absl::StatusOr<std::vector<PublishedKey>> PublishedKeys(absl::Time now);

  // Deletes retired keys whose publication ended at or before `now`.
  // Returns how many were deleted.
  absl::StatusOr<int> DeleteUnpublishedKeys(absl::Time now);

  // Stores a new hand-off in state CREATED with its personal data.
  absl::Status Insert(const NewHandoff& handoff);

  // Returns the hand-off, or NotFound.
  absl::StatusOr<HandoffRecord> Get(const std::string& id);

  // Returns the hand-offs of `owner`, newest first, at most `limit`.
  absl::StatusOr<std::vector<HandoffRecord>> ListByOwner(const std::string& owner, int limit);

  // Applies a completion event once, in one transaction. A CREATED
  // hand-off of the event's provider completes: its receipt is recorded
  // and its personal data deleted. The response is stored under the
  // provider and event id. An event id seen before gets the stored response
  // with `replayed` set, unless its body differs, which is
  // FailedPrecondition. The response's status is NotFound for a hand-off
  // unknown to that provider, FailedPrecondition for an expired one or one
  // completed with another outcome or reference.
  absl::StatusOr<CallbackAnswer> ApplyCallback(const CallbackEvent& event, absl::Time now);

  // Moves to EXPIRED the CREATED hand-offs whose data_expires_at is at or
  // before `now`, deleting their personal data. Returns how many expired.
  absl::StatusOr<int> Expire(absl::Time now);

  // Deletes processed callback events received before `cutoff`.
  absl::Status PruneCallbackEvents(absl::Time cutoff);

  // Empties the write-ahead log (Store::Checkpoint), so that deleted
  // personal data leaves no copy in it.
  absl::Status Checkpoint() { return store_->Checkpoint(); }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_
