#include "gateway/address_limit.h"

#include <algorithm>

namespace pp::gateway {

AddressLimit::AddressLimit(const Clock& clock, int burst, absl::Duration refill,
                           size_t max_addresses)
    : clock_(clock), burst_(burst), refill_(refill), max_addresses_(max_addresses) {}

AddressLimit::Allowance& AddressLimit::Current(const std::string& address, absl::Time now) {
  auto found = allowances_.find(address);
  if (found == allowances_.end()) {
    if (allowances_.size() >= max_addresses_) {
      // Forget the addresses that could try again in full anyway.
      for (auto it = allowances_.begin(); it != allowances_.end();) {
        double refilled =
            it->second.attempts + absl::FDivDuration(now - it->second.updated, refill_);
        it = refilled >= burst_ ? allowances_.erase(it) : std::next(it);
      }
    }
    found = allowances_.emplace(address, Allowance{static_cast<double>(burst_), now}).first;
  }
  Allowance& allowance = found->second;
  allowance.attempts = std::min<double>(
      burst_, allowance.attempts + absl::FDivDuration(now - allowance.updated, refill_));
  allowance.updated = now;
  return allowance;
}

absl::Duration AddressLimit::WaitFor(const std::string& address) {
  absl::MutexLock lock(&mutex_);
  Allowance& allowance = Current(address, clock_.Now());
  if (allowance.attempts >= 1) return absl::ZeroDuration();
  return (1 - allowance.attempts) * refill_;
}

void AddressLimit::RecordFailure(const std::string& address) {
  absl::MutexLock lock(&mutex_);
  Allowance& allowance = Current(address, clock_.Now());
  allowance.attempts = std::max(0.0, allowance.attempts - 1);
}

}  // namespace pp::gateway
