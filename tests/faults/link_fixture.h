// Parents and requests for the link-verification crash tests: applicants
// taken from the demo roster, and the calls that file and decide their
// link requests through the real service.
#ifndef PP_TESTS_FAULTS_LINK_FIXTURE_H_
#define PP_TESTS_FAULTS_LINK_FIXTURE_H_

#include <grpcpp/support/status.h>

#include <string>
#include <utility>
#include <vector>

#include "parentsportal/link.grpc.pb.h"
#include "suite.h"

namespace pp::faults {

namespace link = parentsportal::link::v1;

// The demo school whose roster the tests load.
inline constexpr char kSchool[] = "5300011";

// A contact with parental responsibility in the demo roster, as a parent
// who starts linking to that contact's pupil.
struct Applicant {
  std::string account_id;
  std::string contact_email;
  link::StartLinkRequest start;
};

// Returns one applicant per contact of kSchool with parental responsibility
// and an email address of their own. An address shared by two contacts is
// left out, because the test finds each code by its recipient.
std::vector<Applicant> DemoApplicants();

// One applicant's way through StartLink and SendCode, and the code read
// from the outbox. Fields stay empty from the step that failed on.
struct Attempt {
  std::string attempt_id;
  std::string code;
  // Why SendCode failed, when it did.
  std::string error;
};

// Starts linking and sends the code by email. Returns the number of calls
// acknowledged (0 to 2) and fills `attempt` as far as it got.
int StartAndSendCode(const e2e::Suite& suite, link::Links::Stub& stub, const Applicant& applicant,
                     Attempt& attempt);

// Calls ConfirmCode with the attempt's code, within `seconds`.
grpc::Status Confirm(link::Links::Stub& stub, const std::string& account_id, const Attempt& attempt,
                     int seconds, bool wait_for_ready, link::ConfirmCodeResponse* confirmed);

// Files a pending request for each applicant, with the service running
// normally. Returns each request id with the applicant's account.
std::vector<std::pair<std::string, std::string>> FileRequests(
    const e2e::Suite& suite, const std::vector<Applicant>& applicants);

// Approves or rejects `request_id` as the school holding `token`, within
// `seconds`.
grpc::Status Decide(link::SchoolRecords::Stub& stub, const std::string& token,
                    const std::string& request_id, bool approve, int seconds, bool wait_for_ready);

// Returns the number of children the account is linked to, through ListLinks.
int LinkedChildren(const e2e::Suite& suite, const std::string& account_id);

}  // namespace pp::faults

#endif  // PP_TESTS_FAULTS_LINK_FIXTURE_H_
