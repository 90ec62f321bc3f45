#include "identity_metrics.h"

namespace pp::identity {

IdentityMetrics::IdentityMetrics(prometheus::Registry& registry)
    : registrations_(prometheus::BuildCounter()
                         .Name("pp_identity_registrations_total")
                         .Help("Successful Register calls, by whether an account was created.")
                         .Register(registry)),
      sign_ins_(prometheus::BuildCounter()
                    .Name("pp_identity_sign_ins_total")
                    .Help("SignIn calls, by result.")
                    .Register(registry)) {}

void IdentityMetrics::CountRegistration(bool created) {
  registrations_.Add({{"result", created ? "created" : "existing_email"}}).Increment();
}

void IdentityMetrics::CountSignIn(const char* result) {
  sign_ins_.Add({{"result", result}}).Increment();
}

}  // namespace pp::identity
