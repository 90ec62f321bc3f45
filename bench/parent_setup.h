// Brings the portal to the state the parents' pages are measured in. A
// parent has registered, changed the one-time password and linked a child
// with a security code, the school has approved the link, and the school's
// calendar has 500 events.
#ifndef PP_BENCH_PARENT_SETUP_H_
#define PP_BENCH_PARENT_SETUP_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "parentsportal/link.pb.h"
#include "portal.h"
#include "roster_sync.h"

namespace pp::bench {

struct SignedInParent {
  std::string account_id;
  std::string email;
  std::string password;
  std::string session_token;
  std::string seed_code;
};

// StartLink requests that match a parent and a child of `schools`: at most
// `max_requests`, taken evenly across the schools. The parent's account_id
// is left empty for the caller to fill.
absl::StatusOr<std::vector<parentsportal::link::v1::StartLinkRequest>> MatchingStartRequests(
    const std::vector<SchoolExport>& schools, int max_requests);

// Registers the parent of `request`, links them to its child at the school
// `seed_code` through the services' own calls, as the gateway would, has
// the school approve with its `token`, and imports `calendar_events` timed
// events into the school's calendar. The roster must already be synced.
absl::StatusOr<SignedInParent> SetUpLinkedParent(
    const Portal& portal, const parentsportal::link::v1::StartLinkRequest& request,
    const std::string& seed_code, const std::string& token, int calendar_events);

// Registers one more account, changes its one-time password, and returns
// it signed in.
absl::StatusOr<SignedInParent> RegisterAccount(const Portal& portal, const std::string& email);

}  // namespace pp::bench

#endif  // PP_BENCH_PARENT_SETUP_H_
