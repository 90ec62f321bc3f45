// The services a parent can pay for online at each school, as
// payments-handoff lists them, kept for a minute so that pages need not ask
// each time. The providers file can change while payments-handoff runs,
// so a school's new provider shows within a minute.
#ifndef PP_GATEWAY_ONLINE_SERVICES_H_
#define PP_GATEWAY_ONLINE_SERVICES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clock/clock.h"
#include "gateway/service_clients.h"

namespace pp::gateway {

// Services by seed code.
using OnlineServices = std::map<std::string, std::vector<std::string>>;

// The services every page offered before payments-handoff could be asked.
const std::vector<std::string>& AllOnlineServices();

class OnlineServicesCache {
 public:
  // Keeps each school's services for `ttl`. After a failed call it waits
  // `retry_after` before asking again, so that pages do not each wait for a
  // service that is down.
  OnlineServicesCache(const Clock& clock, absl::Duration ttl = absl::Minutes(1),
                      absl::Duration retry_after = absl::Seconds(10));

  // Returns the services of each of `seed_codes` that payments-handoff has
  // listed. A school it could not be asked about is left out, so the pages
  // offer every service there. The payments page then explains when one is
  // not available.
  OnlineServices Find(HandoffClient& handoff, const std::vector<std::string>& seed_codes);

 private:
  struct Entry {
    std::vector<std::string> services;
    absl::Time expires;
  };

  const Clock& clock_;
  const absl::Duration ttl_;
  const absl::Duration retry_after_;
  absl::Mutex mutex_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mutex_);
  absl::Time next_attempt_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_ONLINE_SERVICES_H_
