#include "link_fixture.h"

#include <grpcpp/client_context.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "fault_harness.h"

namespace pp::faults {
namespace {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream row(line);
  for (std::string field; std::getline(row, field, ',');) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

}  // namespace

std::vector<Applicant> DemoApplicants() {
  std::map<std::string, std::vector<std::string>> pupils;
  std::ifstream pupil_file(std::string(PP_DEMO_DIR) + "/pupils.csv");
  std::string line;
  std::getline(pupil_file, line);
  while (std::getline(pupil_file, line)) {
    std::vector<std::string> fields = SplitCsvLine(line);
    if (fields.size() >= 12 && fields[0] == kSchool) pupils[fields[2]] = fields;
  }

  std::map<std::string, int> email_uses;
  std::vector<std::vector<std::string>> contacts;
  std::ifstream contact_file(std::string(PP_DEMO_DIR) + "/contacts.csv");
  std::getline(contact_file, line);
  while (std::getline(contact_file, line)) {
    std::vector<std::string> fields = SplitCsvLine(line);
    if (fields.size() < 15 || fields[0] != kSchool || fields[7] != "Y" || fields[9].empty()) {
      continue;
    }
    if (pupils.count(fields[1]) == 0) continue;
    ++email_uses[fields[9]];
    contacts.push_back(fields);
  }

  std::vector<Applicant> applicants;
  for (const std::vector<std::string>& contact : contacts) {
    if (email_uses[contact[9]] > 1) continue;
    const std::vector<std::string>& pupil = pupils[contact[1]];
    Applicant applicant;
    applicant.account_id = "account-" + std::to_string(applicants.size());
    applicant.contact_email = contact[9];
    link::Parent* parent = applicant.start.mutable_parent();
    parent->set_account_id(applicant.account_id);
    parent->set_forename(contact[4]);
    parent->set_surname(contact[5]);
    parent->set_email("parent-" + std::to_string(applicants.size()) + "@example.org");
    parent->set_postcode(contact[14]);
    applicant.start.set_child_forename(pupil[3]);
    applicant.start.set_child_surname(pupil[5]);
    applicant.start.set_child_date_of_birth(pupil[6]);
    applicant.start.set_stage(pupil[7]);
    applicant.start.set_postcode(pupil[11]);
    applicants.push_back(applicant);
  }
  return applicants;
}

int StartAndSendCode(const e2e::Suite& suite, link::Links::Stub& stub, const Applicant& applicant,
                     Attempt& attempt) {
  link::StartLinkResponse started;
  grpc::ClientContext start_context;
  PrepareContext(start_context, 5, false);
  if (!stub.StartLink(&start_context, applicant.start, &started).ok()) return 0;

  link::SendCodeRequest send;
  send.set_account_id(applicant.account_id);
  send.set_attempt_id(started.attempt_id());
  send.set_channel("email");
  link::SendCodeResponse sent;
  grpc::ClientContext send_context;
  PrepareContext(send_context, 5, false);
  grpc::Status send_status = stub.SendCode(&send_context, send, &sent);
  if (!send_status.ok()) {
    attempt.error = send_status.error_message();
    return 1;
  }
  attempt.attempt_id = started.attempt_id();
  attempt.code =
      pp::faults::FindInOutbox(suite, applicant.contact_email, "Security code: ([0-9]{6})");
  REQUIRE(attempt.code.size() == 6);
  return 2;
}

grpc::Status Confirm(link::Links::Stub& stub, const std::string& account_id, const Attempt& attempt,
                     int seconds, bool wait_for_ready, link::ConfirmCodeResponse* confirmed) {
  link::ConfirmCodeRequest request;
  request.set_account_id(account_id);
  request.set_attempt_id(attempt.attempt_id);
  request.set_code(attempt.code);
  grpc::ClientContext context;
  PrepareContext(context, seconds, wait_for_ready);
  return stub.ConfirmCode(&context, request, confirmed);
}

std::vector<std::pair<std::string, std::string>> FileRequests(
    const e2e::Suite& suite, const std::vector<Applicant>& applicants) {
  auto stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
  std::vector<std::pair<std::string, std::string>> filed;
  for (const Applicant& applicant : applicants) {
    Attempt attempt;
    INFO("applicant " << applicant.account_id);
    int steps = StartAndSendCode(suite, *stub, applicant, attempt);
    INFO("SendCode: " << attempt.error);
    REQUIRE(steps == 2);
    link::ConfirmCodeResponse confirmed;
    REQUIRE(Confirm(*stub, applicant.account_id, attempt, 10, true, &confirmed).ok());
    filed.emplace_back(confirmed.request_id(), applicant.account_id);
  }
  return filed;
}

grpc::Status Decide(link::SchoolRecords::Stub& stub, const std::string& token,
                    const std::string& request_id, bool approve, int seconds, bool wait_for_ready) {
  link::DecideLinkRequestRequest request;
  request.set_request_id(request_id);
  request.set_decision(approve ? link::DecideLinkRequestRequest::APPROVE
                               : link::DecideLinkRequestRequest::REJECT);
  request.set_decided_by("Ms Reid");
  request.set_reason(approve ? "known to the office" : "not on our records");
  link::LinkRequest decided;
  grpc::ClientContext context;
  PrepareContext(context, seconds, wait_for_ready);
  context.AddMetadata("authorization", "Bearer " + token);
  return stub.DecideLinkRequest(&context, request, &decided);
}

int LinkedChildren(const e2e::Suite& suite, const std::string& account_id) {
  auto stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
  link::ListLinksRequest request;
  request.set_account_id(account_id);
  link::ListLinksResponse response;
  grpc::ClientContext context;
  PrepareContext(context, 10, true);
  grpc::Status status = stub->ListLinks(&context, request, &response);
  INFO("ListLinks: " << status.error_message());
  REQUIRE(status.ok());
  return response.children_size();
}

}  // namespace pp::faults
