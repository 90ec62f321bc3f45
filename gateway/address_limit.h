// A limit on failed sign-ins per client address, to slow password guessing
// spread across many accounts, which the per-account lock in identity does
// not see. Each address may fail `burst` times, and then once more for
// every `refill` that passes. Kept in memory: a restart of the gateway
// starts every address afresh.
#ifndef PP_GATEWAY_ADDRESS_LIMIT_H_
#define PP_GATEWAY_ADDRESS_LIMIT_H_

#include <cstddef>
#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clock/clock.h"

namespace pp::gateway {

class AddressLimit {
 public:
  // At most `max_addresses` addresses are tracked; past that, addresses
  // whose allowance is full again are forgotten first.
  explicit AddressLimit(const Clock& clock, int burst = 20,
                        absl::Duration refill = absl::Minutes(1), size_t max_addresses = 100000);

  // Returns how long `address` must wait before its next attempt, or zero
  // when it may try now.
  absl::Duration WaitFor(const std::string& address);

  // Counts one failed attempt from `address`.
  void RecordFailure(const std::string& address);

 private:
  struct Allowance {
    double attempts;
    absl::Time updated;
  };
  // Returns the allowance of `address` refilled up to now.
  Allowance& Current(const std::string& address, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Clock& clock_;
  const int burst_;
  const absl::Duration refill_;
  const size_t max_addresses_;
  absl::Mutex mutex_;
  std::unordered_map<std::string, Allowance> allowances_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_ADDRESS_LIMIT_H_
