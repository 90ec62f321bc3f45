#include "gateway/online_services.h"

#include <set>

#include "absl/status/status.h"
#include "log/log.h"

namespace pp::gateway {

namespace payments = parentsportal::payments::v1;

const std::vector<std::string>& AllOnlineServices() {
  static const std::vector<std::string> all = {"school-meals", "trips"};
  return all;
}

OnlineServicesCache::OnlineServicesCache(const Clock& clock, absl::Duration ttl,
                                         absl::Duration retry_after)
    : clock_(clock), ttl_(ttl), retry_after_(retry_after) {}

OnlineServices OnlineServicesCache::Find(HandoffClient& handoff,
                                         const std::vector<std::string>& seed_codes) {
  absl::Time now = clock_.Now();
  OnlineServices found;
  payments::ListOnlineServicesRequest request;
  std::set<std::string> requested;
  {
    absl::MutexLock lock(&mutex_);
    for (const std::string& seed_code : seed_codes) {
      auto entry = entries_.find(seed_code);
      if (entry != entries_.end() && now < entry->second.expires) {
        found[seed_code] = entry->second.services;
      } else if (requested.insert(seed_code).second) {
        request.add_seed_codes(seed_code);
      }
    }
    if (request.seed_codes().empty() || now < next_attempt_) return found;
  }

  absl::StatusOr<payments::ListOnlineServicesResponse> listed = handoff.ListOnlineServices(request);
  absl::MutexLock lock(&mutex_);
  if (!listed.ok()) {
    next_attempt_ = now + retry_after_;
    log::Warning("online_services_unavailable")
        .Field("code", absl::StatusCodeToString(listed.status().code()))
        .Field("error", listed.status().message());
    return found;
  }
  for (const payments::SchoolServices& school : listed->schools()) {
    std::vector<std::string> services(school.services().begin(), school.services().end());
    found[school.seed_code()] = services;
    entries_[school.seed_code()] = Entry{std::move(services), now + ttl_};
  }
  return found;
}

}  // namespace pp::gateway
