// The identity service's own metric families, on top of the RPC counts
// every binary has.
#ifndef PP_SERVICES_IDENTITY_IDENTITY_METRICS_H_
#define PP_SERVICES_IDENTITY_IDENTITY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace pp::identity {

class IdentityMetrics {
 public:
  // Registers, in `registry`:
  //   pp_identity_registrations_total{result="created"|"existing_email"}
  //   pp_identity_sign_ins_total{result="success"|"failure"|"locked"}
  explicit IdentityMetrics(prometheus::Registry& registry);

  void CountRegistration(bool created);
  // `result` is "success", "failure" or "locked".
  void CountSignIn(const char* result);

 private:
  prometheus::Family<prometheus::Counter>& registrations_;
  prometheus::Family<prometheus::Counter>& sign_ins_;
};

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_IDENTITY_METRICS_H_
