// The operator token: the secret that lets an operator issue school-system
// tokens. It lives in a file that only the service's user can read.
#ifndef PP_SERVICES_IDENTITY_OPERATOR_TOKEN_H_
#define PP_SERVICES_IDENTITY_OPERATOR_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"

namespace pp::identity {

struct OperatorToken {
  std::string token;
  // True when this call created the file.
  bool created = false;
};

// Returns the token in the file at `path`, first creating the file (mode
// 0600, written atomically) with a new random token when it does not
// exist. Fails with FailedPrecondition when the file exists but is empty,
// and Internal when it cannot be read or written.
absl::StatusOr<OperatorToken> LoadOrCreateOperatorToken(const std::string& path);

}  // namespace pp::identity

#endif  // PP_SERVICES_IDENTITY_OPERATOR_TOKEN_H_
