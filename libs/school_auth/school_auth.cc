#include "school_auth/school_auth.h"

#include "absl/strings/str_cat.h"
#include "server/server.h"

namespace pp {

namespace identity = parentsportal::identity::v1;

absl::Status SchoolAuthenticator::Authorize(std::string_view token, std::string_view seed_code) {
  absl::StatusOr<std::string> school = SchoolForToken(token);
  if (!school.ok()) return school.status();
  if (*school != seed_code) {
    return absl::PermissionDeniedError(
        absl::StrCat("this token belongs to school ", *school, ", not ", std::string(seed_code)));
  }
  return absl::OkStatus();
}

IdentitySchoolAuthenticator::IdentitySchoolAuthenticator(std::shared_ptr<grpc::Channel> identity)
    : stub_(identity::Identity::NewStub(identity)) {}

absl::StatusOr<std::string> IdentitySchoolAuthenticator::SchoolForToken(std::string_view token) {
  if (token.empty()) {
    return absl::UnauthenticatedError("missing bearer token in the authorization metadata");
  }
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(2));
  identity::CheckSchoolTokenRequest request;
  request.set_token(std::string(token));
  identity::CheckSchoolTokenResponse response;
  grpc::Status status = stub_->CheckSchoolToken(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return absl::UnauthenticatedError("unknown or revoked school token");
  }
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot check the school token now: ", status.error_message()));
  }
  return response.seed_code();
}

}  // namespace pp
