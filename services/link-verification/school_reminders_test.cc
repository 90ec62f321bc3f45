#include "school_reminders.h"

#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>

#include "absl/strings/match.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
namespace notification = parentsportal::notification::v1;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kTayside;

// Keeps the log lines written to std::cerr while in scope.
class LogCapture {
 public:
  LogCapture() : saved_(std::cerr.rdbuf(lines_.rdbuf())) {}
  ~LogCapture() { std::cerr.rdbuf(saved_); }
  std::string lines() const { return lines_.str(); }

 private:
  std::ostringstream lines_;
  std::streambuf* saved_;
};

SchoolReminders MakeReminders(Fixture& fixture) {
  return SchoolReminders(*fixture.store, fixture.clock, fixture.notifier, fixture.school_days,
                         fixture.metrics, fixture.london);
}

void SetContact(Fixture& fixture, const std::string& seed_code, const std::string& email) {
  v1::SetSchoolContactRequest request;
  request.set_email(email);
  absl::StatusOr<v1::SchoolContact> stored = fixture.records.SetSchoolContact(seed_code, request);
  INFO(stored.status().ToString());
  REQUIRE(stored.ok());
}

std::vector<notification::SendRequest> RemindersSent(const Fixture& fixture) {
  std::vector<notification::SendRequest> reminders;
  for (const notification::SendRequest& message : fixture.notifier.sent()) {
    if (message.kind() == notification::SCHOOL_REMINDER) reminders.push_back(message);
  }
  return reminders;
}

v1::LinkRequest OnlyRequest(Fixture& fixture) {
  absl::StatusOr<v1::ListLinkRequestsResponse> listed =
      fixture.records.ListLinkRequests(kTayside, {});
  REQUIRE(listed.ok());
  REQUIRE(listed->requests_size() == 1);
  return listed->requests(0);
}

TEST_CASE("reminder sent once on third school day") {
  Fixture fixture;  // Wednesday 4 March 2026, 10:00
  fixture.Sync(kTayside, testing::TaysideRows());
  SetContact(fixture, kTayside, " Office@Tayside.example ");
  std::string request_id = fixture.FileRequest(KarenForNoah());
  SchoolReminders reminders = MakeReminders(fixture);

  // Friday is two school days on: not yet.
  fixture.clock.Advance(absl::Hours(48));
  absl::StatusOr<SweepResult> early = reminders.Sweep();
  REQUIRE(early.ok());
  CHECK(early->sent == 0);
  CHECK(RemindersSent(fixture).empty());

  // Monday 9 March is the third school day.
  fixture.clock.Advance(absl::Hours(72));
  absl::StatusOr<SweepResult> due = reminders.Sweep();
  REQUIRE(due.ok());
  CHECK(due->sent == 1);
  std::vector<notification::SendRequest> sent = RemindersSent(fixture);
  REQUIRE(sent.size() == 1);
  const notification::SendRequest& message = sent[0];
  CHECK(message.channel() == notification::EMAIL);
  CHECK(message.to() == "Office@tayside.example");
  CHECK(message.idempotency_key() == "school-reminder/" + request_id);
  CHECK(message.template_data().at("request_id") == request_id);
  CHECK(message.template_data().at("pupil_ref") == "0700000001");
  CHECK(message.template_data().at("school_name") == "Tayside Primary School");
  CHECK(message.template_data().at("requested_at") == "2026-03-04T10:00:00+00:00");
  CHECK(message.template_data().at("decide_by_at") == "2026-03-11T23:59:59+00:00");
  // Nothing about the family beyond the school's own pupil reference.
  CHECK(message.account_id().empty());
  CHECK(message.mobile().empty());
  CHECK(message.template_data().count("parent_name") == 0);
  CHECK(message.template_data().count("child_name") == 0);
  CHECK(OnlyRequest(fixture).reminder_sent_at() == "2026-03-09T10:00:00+00:00");

  // A second sweep, and a restarted service's first, send nothing more.
  fixture.clock.Advance(absl::Minutes(5));
  absl::StatusOr<SweepResult> again = reminders.Sweep();
  REQUIRE(again.ok());
  CHECK(again->sent == 0);
  SchoolReminders restarted = MakeReminders(fixture);
  absl::StatusOr<SweepResult> after_restart = restarted.Sweep();
  REQUIRE(after_restart.ok());
  CHECK(after_restart->sent == 0);
  CHECK(RemindersSent(fixture).size() == 1);
}

TEST_CASE("failed reminder retried at next sweep") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  SetContact(fixture, kTayside, "office@tayside.example");
  std::string request_id = fixture.FileRequest(KarenForNoah());
  SchoolReminders reminders = MakeReminders(fixture);
  fixture.clock.Advance(absl::Hours(24 * 5));

  fixture.notifier.set_failure(absl::UnavailableError("notification is down"));
  absl::StatusOr<SweepResult> failed = reminders.Sweep();
  REQUIRE(failed.ok());
  CHECK(failed->sent == 0);
  CHECK(failed->failed == 1);
  CHECK(OnlyRequest(fixture).reminder_sent_at().empty());

  fixture.notifier.set_failure(absl::OkStatus());
  absl::StatusOr<SweepResult> retried = reminders.Sweep();
  REQUIRE(retried.ok());
  CHECK(retried->sent == 1);
  std::vector<notification::SendRequest> sent = RemindersSent(fixture);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].idempotency_key() == "school-reminder/" + request_id);
  CHECK_FALSE(OnlyRequest(fixture).reminder_sent_at().empty());
}

TEST_CASE("school without contact gets no reminder") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_email("david@example.net");
  david.mutable_parent()->set_postcode("PH3 1YY");
  fixture.FileRequest(KarenForNoah());
  fixture.FileRequest(david);
  SchoolReminders reminders = MakeReminders(fixture);
  fixture.clock.Advance(absl::Hours(24 * 5));

  LogCapture log;
  absl::StatusOr<SweepResult> swept = reminders.Sweep();
  REQUIRE(swept.ok());
  CHECK(swept->sent == 0);
  CHECK(swept->no_contact == 2);
  CHECK(RemindersSent(fixture).empty());
  // One line for the school, not one per request.
  std::string lines = log.lines();
  INFO(lines);
  size_t first = lines.find("event=school_reminder_not_sent school=5300011");
  REQUIRE(first != std::string::npos);
  CHECK(lines.find("event=school_reminder_not_sent", first + 1) == std::string::npos);
  CHECK(absl::StrContains(lines, "requests=2"));

  // Removing a contact that was set stops reminders again.
  SetContact(fixture, kTayside, "office@tayside.example");
  SetContact(fixture, kTayside, "");
  absl::StatusOr<SweepResult> removed = reminders.Sweep();
  REQUIRE(removed.ok());
  CHECK(removed->sent == 0);
  CHECK(RemindersSent(fixture).empty());
}

TEST_CASE("closed requests get no reminder") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  SetContact(fixture, kTayside, "office@tayside.example");
  std::string request_id = fixture.FileRequest(KarenForNoah());
  SchoolReminders reminders = MakeReminders(fixture);

  SECTION("approved before the third day") {
    v1::DecideLinkRequestRequest decide;
    decide.set_request_id(request_id);
    decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
    decide.set_decided_by("Mrs Brown");
    REQUIRE(fixture.records.DecideLinkRequest(kTayside, decide).ok());
    fixture.clock.Advance(absl::Hours(24 * 5));
  }
  SECTION("past its deadline") {
    // Thursday 12 March, after the end of Wednesday 11 March.
    fixture.clock.Advance(absl::Hours(24 * 8));
  }
  absl::StatusOr<SweepResult> swept = reminders.Sweep();
  REQUIRE(swept.ok());
  CHECK(swept->sent == 0);
  CHECK(RemindersSent(fixture).empty());
}

TEST_CASE("school contact must be an email address") {
  Fixture fixture;
  v1::SetSchoolContactRequest request;
  request.set_email("not an address");
  absl::StatusOr<v1::SchoolContact> stored = fixture.records.SetSchoolContact(kTayside, request);
  CHECK(stored.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(stored.status().message(), "email: "));
}

}  // namespace
}  // namespace pp::link
