#include "test_fixture.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "link_store.h"

namespace pp::link::testing {
namespace {

namespace v1 = parentsportal::link::v1;
namespace notification = parentsportal::notification::v1;

std::unique_ptr<Store> OpenOrFail(const std::string& data_dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = OpenLinkStore(data_dir);
  REQUIRE(store.ok());
  return *std::move(store);
}

absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

}  // namespace

absl::Status FakeNotifier::Send(const notification::SendRequest& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!failure_.ok()) return failure_;
  sent_.push_back(message);
  return absl::OkStatus();
}

std::vector<notification::SendRequest> FakeNotifier::sent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sent_;
}

void FakeNotifier::set_failure(absl::Status failure) {
  std::lock_guard<std::mutex> lock(mutex_);
  failure_ = std::move(failure);
}

absl::StatusOr<std::string> FakeAuthenticator::SchoolForToken(std::string_view token) {
  if (token == "tayside-token") return std::string(kTayside);
  if (token == "balhousie-token") return std::string(kBalhousie);
  return absl::UnauthenticatedError("unknown or revoked school token");
}

std::string CodeFromBody(const std::string& body) {
  // The email reads "Security code: NNNNNN" and the text "... security code: NNNNNN".
  constexpr char kLine[] = "ecurity code: ";
  size_t at = body.find(kLine);
  if (at == std::string::npos) return "";
  return body.substr(at + sizeof(kLine) - 1, 6);
}

std::string CodeFromMessage(const notification::SendRequest& message) {
  if (message.kind() != notification::SECURITY_CODE) return "";
  auto found = message.template_data().find("security_code");
  return found == message.template_data().end() ? "" : found->second;
}

v1::RosterRecord PupilRow(int row, const std::string& seed_code, const std::string& pupil_ref,
                          const std::string& forename, const std::string& surname,
                          const std::string& date_of_birth, const std::string& stage,
                          const std::string& postcode, const std::string& preferred_forename) {
  v1::RosterRecord record;
  record.set_row(row);
  v1::Pupil* pupil = record.mutable_pupil();
  pupil->set_seed_code(seed_code);
  pupil->set_school_name(seed_code == kTayside ? "Tayside Primary School"
                                               : "Balhousie High School");
  pupil->set_pupil_ref(pupil_ref);
  pupil->set_forename(forename);
  pupil->set_preferred_forename(preferred_forename);
  pupil->set_surname(surname);
  pupil->set_date_of_birth(date_of_birth);
  pupil->set_stage(stage);
  pupil->set_address_line1("1 High Street");
  pupil->set_town("Perth");
  pupil->set_postcode(postcode);
  return record;
}

v1::RosterRecord ContactRow(int row, const std::string& seed_code, const std::string& pupil_ref,
                            const std::string& contact_ref, const std::string& forename,
                            const std::string& surname, const std::string& parental_responsibility,
                            const std::string& email, const std::string& mobile,
                            const std::string& postcode) {
  v1::RosterRecord record;
  record.set_row(row);
  v1::Contact* contact = record.mutable_contact();
  contact->set_seed_code(seed_code);
  contact->set_pupil_ref(pupil_ref);
  contact->set_contact_ref(contact_ref);
  contact->set_forename(forename);
  contact->set_surname(surname);
  contact->set_relationship("Parent");
  contact->set_parental_responsibility(parental_responsibility);
  contact->set_lives_with_pupil("Y");
  contact->set_email(email);
  contact->set_mobile(mobile);
  contact->set_postcode(postcode);
  contact->set_priority("1");
  return record;
}

std::vector<v1::RosterRecord> TaysideRows() {
  return {
      PupilRow(2, kTayside, "0700000001", "Noah", "McDonald", "01/10/2020", "P3", "PH3 2QY"),
      PupilRow(3, kTayside, "0700000007", "Eòin", "O'Neill", "12/11/2019", "P4", "PH2 1EW"),
      ContactRow(2, kTayside, "0700000001", "C00000001", "Karen", "Taylor", "Y",
                 "karen.taylor72@example.com", "07294 053474", "PH3 2QY"),
      ContactRow(3, kTayside, "0700000001", "C00000002", "David", "McDonald", "Y",
                 "david.mcdonald71@example.com", "", "PH3 1YY"),
      ContactRow(4, kTayside, "0700000001", "C00000003", "Gillian", "MacDonald", "N",
                 "gillian.macdonald48@example.com", "(07442) 106 685", "PH3 2QY"),
      ContactRow(5, kTayside, "0700000007", "C00000010", "Siobhán", "O'Neill", "Y", "",
                 "+44 7476 001182", "PH2 1EW"),
  };
}

std::vector<v1::RosterRecord> BalhousieRows() {
  return {
      PupilRow(2, kBalhousie, "0700000004", "Robert", "Campbell", "2010-09-09", "S6", "KY13 9RR",
               "Rab"),
      ContactRow(2, kBalhousie, "0700000004", "C00000020", "Màiri", "Campbell", "Y",
                 "mairi.campbell@example.org", "", "KY13 9RR"),
      ContactRow(3, kBalhousie, "0700000004", "C00000021", "Fraser", "Campbell", "Y", "", "",
                 "KY13 9RR"),
  };
}

v1::StartLinkRequest KarenForNoah(const std::string& account_id) {
  v1::StartLinkRequest request;
  v1::Parent* parent = request.mutable_parent();
  parent->set_account_id(account_id);
  parent->set_forename("Karen");
  parent->set_surname("Taylor");
  parent->set_email("karen@example.net");
  parent->set_postcode("PH3 2QY");
  request.set_child_forename("Noah");
  request.set_child_surname("McDonald");
  request.set_child_date_of_birth("2020-10-01");
  request.set_stage("P3");
  request.set_postcode("PH3 2QY");
  return request;
}

Fixture::Fixture()
    : store(OpenOrFail(dir.path())),
      clock(absl::FromCivil(absl::CivilSecond(2026, 3, 4, 10, 0, 0), absl::UTCTimeZone())),
      metrics(registry),
      london(London()),
      links(*store, clock, notifier, school_days, metrics, london, "test code key"),
      records(*store, clock, notifier, school_days, metrics, london) {}

v1::SyncRosterSummary Fixture::Sync(const std::string& seed_code,
                                    const std::vector<v1::RosterRecord>& rows,
                                    RosterConfirmation confirmed) {
  RosterBatch batch = records.NewRosterBatch(seed_code);
  for (const v1::RosterRecord& row : rows) REQUIRE(batch.Add(row).ok());
  absl::StatusOr<v1::SyncRosterSummary> summary = records.ApplyRoster(batch, confirmed);
  INFO(summary.status().ToString());
  REQUIRE(summary.ok());
  return *summary;
}

std::string Fixture::FileRequest(const v1::StartLinkRequest& start) {
  absl::StatusOr<v1::StartLinkResponse> started = links.StartLink(start);
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  v1::SendCodeRequest send;
  send.set_account_id(start.parent().account_id());
  send.set_attempt_id(started->attempt_id());
  send.set_channel(started->channels(0).channel());
  REQUIRE(links.SendCode(send).ok());
  v1::ConfirmCodeRequest confirm;
  confirm.set_account_id(start.parent().account_id());
  confirm.set_attempt_id(started->attempt_id());
  confirm.set_code(LastCode());
  absl::StatusOr<v1::ConfirmCodeResponse> confirmed = links.ConfirmCode(confirm);
  INFO(confirmed.status().ToString());
  REQUIRE(confirmed.ok());
  return confirmed->request_id();
}

std::string Fixture::LastCode() const {
  std::vector<notification::SendRequest> sent = notifier.sent();
  for (auto message = sent.rbegin(); message != sent.rend(); ++message) {
    if (message->kind() == notification::SECURITY_CODE) return CodeFromMessage(*message);
  }
  FAIL("no security code was sent");
  return "";
}

}  // namespace pp::link::testing
