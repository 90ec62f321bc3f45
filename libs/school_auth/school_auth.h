// Authentication of school systems: each bearer token belongs to one school
// (its SEED code), and the identity service stores which.
#ifndef PP_SCHOOL_AUTH_SCHOOL_AUTH_H_
#define PP_SCHOOL_AUTH_SCHOOL_AUTH_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "parentsportal/identity.grpc.pb.h"

namespace pp {

class SchoolAuthenticator {
 public:
  virtual ~SchoolAuthenticator() = default;

  // Returns the SEED code of the school `token` was issued to.
  // Unauthenticated when the token is empty or unknown. Unavailable when
  // identity cannot be reached.
  virtual absl::StatusOr<std::string> SchoolForToken(std::string_view token) = 0;

  // Checks that `token` belongs to `seed_code`: Unauthenticated as above,
  // PermissionDenied for another school's token.
  absl::Status Authorize(std::string_view token, std::string_view seed_code);
};

// Asks the identity service, with a deadline.
class IdentitySchoolAuthenticator : public SchoolAuthenticator {
 public:
  explicit IdentitySchoolAuthenticator(std::shared_ptr<grpc::Channel> identity);
  absl::StatusOr<std::string> SchoolForToken(std::string_view token) override;

 private:
  std::unique_ptr<parentsportal::identity::v1::Identity::Stub> stub_;
};

}  // namespace pp

#endif  // PP_SCHOOL_AUTH_SCHOOL_AUTH_H_
