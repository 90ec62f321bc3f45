// The payments-handoff service's SQLite store: the signing key, hand-offs,
// the personal data each carries until it completes or expires, and
// completion receipts.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/crypto.h"
#include "parentsportal/payments.pb.h"
#include "store/store.h"

namespace pp::payments {

namespace api = parentsportal::payments::v1;

// The personal data of one hand-off.
struct HandoffDetails {
  std::string account_id;
  std::string parent_name;
  std::string parent_email;
  std::string seed_code;
  std::string school_name;
  std::string child_id;
  std::string child_name;
  std::string stage;
};

struct HandoffRecord {
  std::string id;
  api::HandoffState state = api::HANDOFF_STATE_UNSPECIFIED;
  absl::Time expires_at;
  // Set once completed.
  std::string outcome;
  std::string provider_reference;
  bool holds_personal_data = false;
};

class HandoffStore {
 public:
  // Opens or creates `<data_dir>/payments-handoff.db`, creating the folder
  // first. Makes the file readable by its owner only, because it contains
  // the signing key. pp::Store turns on secure_delete, so deleted rows are
  // overwritten on disk.
  static absl::StatusOr<std::unique_ptr<HandoffStore>> Open(const std::string& data_dir);

  explicit HandoffStore(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  // Returns the signing key, creating and storing one on first use.
  absl::StatusOr<crypto::SigningKey> LoadOrCreateSigningKey(absl::Time now);

  // Stores a new hand-off in state CREATED.
  absl::Status Insert(const std::string& id, const HandoffDetails& details, absl::Time created_at,
                      absl::Time expires_at);

  // Returns the hand-off, or NotFound.
  absl::StatusOr<HandoffRecord> Get(const std::string& id);

  // Moves a CREATED hand-off that has not expired at `now` to REDEEMED and
  // returns its details. NotFound for an unknown id; FailedPrecondition when
  // it expired or was redeemed before.
  absl::StatusOr<HandoffDetails> Redeem(const std::string& id, absl::Time now);

  // Records the receipt of a REDEEMED hand-off, deletes its details and
  // moves it to COMPLETED. Repeating the same outcome and reference returns
  // the hand-off unchanged and sets `*repeated`. NotFound for an unknown id;
  // FailedPrecondition when it was never redeemed, expired, or completed
  // differently.
  absl::StatusOr<HandoffRecord> Complete(const std::string& id, const std::string& outcome,
                                         const std::string& provider_reference, absl::Time now,
                                         bool* repeated);

  // Moves to EXPIRED, deleting their details, the CREATED hand-offs whose
  // token expired at or before `now` and the REDEEMED ones created at or
  // before `redeemed_cutoff`. Returns how many expired.
  absl::StatusOr<int> Expire(absl::Time now, absl::Time redeemed_cutoff);

  // Empties the write-ahead log (Store::Checkpoint), so that deleted
  // details leave no copy in it.
  absl::Status Checkpoint() { return store_->Checkpoint(); }

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_HANDOFF_STORE_H_
