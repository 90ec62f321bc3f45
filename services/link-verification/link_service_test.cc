#include "link_service.h"

#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "server/grpc_status.h"
#include "test_fixture.h"

namespace pp::link {
namespace {

namespace v1 = parentsportal::link::v1;
using testing::Fixture;
using testing::KarenForNoah;
using testing::kBalhousie;
using testing::kTayside;

struct MatchCase {
  const char* name;
  std::function<void(v1::StartLinkRequest&)> change;
  bool matches;
};

TEST_CASE("start link matches roster details") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  fixture.Sync(kBalhousie, testing::BalhousieRows());

  auto eoin = [](v1::StartLinkRequest& request) {
    request.mutable_parent()->set_forename("Siobhán");
    request.mutable_parent()->set_surname("O'Neill");
    request.mutable_parent()->set_postcode("PH2 1EW");
    request.set_child_forename("Eòin");
    request.set_child_surname("O'Neill");
    request.set_child_date_of_birth("2019-11-12");
    request.set_stage("P4");
    request.set_postcode("PH2 1EW");
  };
  auto rab = [](v1::StartLinkRequest& request) {
    request.mutable_parent()->set_forename("Màiri");
    request.mutable_parent()->set_surname("Campbell");
    request.mutable_parent()->set_postcode("KY13 9RR");
    request.set_child_forename("Rab");
    request.set_child_surname("Campbell");
    request.set_child_date_of_birth("2010-09-09");
    request.set_stage("S6");
    request.set_postcode("KY13 9RR");
  };
  const MatchCase cases[] = {
      {"every detail right", [](v1::StartLinkRequest&) {}, true},
      {"case and spaces differ",
       [](v1::StartLinkRequest& r) {
         r.set_child_forename("  noah ");
         r.set_child_surname("MCDONALD");
         r.mutable_parent()->set_forename("KAREN");
         r.mutable_parent()->set_surname(" taylor  ");
         r.set_stage("p3");
       },
       true},
      {"postcodes without spaces",
       [](v1::StartLinkRequest& r) {
         r.set_postcode("ph32qy");
         r.mutable_parent()->set_postcode("PH3  2QY");
       },
       true},
      {"wrong child forename", [](v1::StartLinkRequest& r) { r.set_child_forename("Noel"); },
       false},
      {"wrong child surname", [](v1::StartLinkRequest& r) { r.set_child_surname("MacDonald"); },
       false},
      {"wrong date of birth",
       [](v1::StartLinkRequest& r) { r.set_child_date_of_birth("2020-01-10"); }, false},
      {"wrong stage", [](v1::StartLinkRequest& r) { r.set_stage("P4"); }, false},
      {"wrong child postcode", [](v1::StartLinkRequest& r) { r.set_postcode("PH3 2QZ"); }, false},
      {"wrong parent forename",
       [](v1::StartLinkRequest& r) { r.mutable_parent()->set_forename("Carol"); }, false},
      {"wrong parent surname",
       [](v1::StartLinkRequest& r) { r.mutable_parent()->set_surname("Tailor"); }, false},
      {"wrong parent postcode",
       [](v1::StartLinkRequest& r) { r.mutable_parent()->set_postcode("PH3 1YY"); }, false},
      {"contact without parental responsibility",
       [](v1::StartLinkRequest& r) {
         r.mutable_parent()->set_forename("Gillian");
         r.mutable_parent()->set_surname("MacDonald");
       },
       false},
      {"separated father at his own postcode",
       [](v1::StartLinkRequest& r) {
         r.mutable_parent()->set_forename("David");
         r.mutable_parent()->set_surname("McDonald");
         r.mutable_parent()->set_postcode("PH3 1YY");
       },
       true},
      {"separated father at the child's postcode",
       [](v1::StartLinkRequest& r) {
         r.mutable_parent()->set_forename("David");
         r.mutable_parent()->set_surname("McDonald");
       },
       false},
      {"another school's parent for this child",
       [](v1::StartLinkRequest& r) {
         r.mutable_parent()->set_forename("Màiri");
         r.mutable_parent()->set_surname("Campbell");
         r.mutable_parent()->set_postcode("KY13 9RR");
       },
       false},
      {"accents and apostrophes as held", eoin, true},
      {"curly apostrophes and capitals",
       [&](v1::StartLinkRequest& r) {
         eoin(r);
         r.set_child_forename("EÒIN");
         r.set_child_surname("O’Neill");
         r.mutable_parent()->set_surname("O’NEILL");
       },
       true},
      {"accent left out",
       [&](v1::StartLinkRequest& r) {
         eoin(r);
         r.set_child_forename("Eoin");
       },
       true},
      {"parent's accent left out",
       [&](v1::StartLinkRequest& r) {
         eoin(r);
         r.mutable_parent()->set_forename("Siobhan");
       },
       true},
      {"date of birth as the school writes it",
       [](v1::StartLinkRequest& r) { r.set_child_date_of_birth("1/10/2020"); }, true},
      {"preferred forename", rab, true},
      {"legal forename beside a preferred one",
       [&](v1::StartLinkRequest& r) {
         rab(r);
         r.set_child_forename("Robert");
       },
       true},
  };

  int account = 0;
  for (const MatchCase& test : cases) {
    INFO(test.name);
    v1::StartLinkRequest request = KarenForNoah("acc-" + std::to_string(++account));
    test.change(request);
    absl::StatusOr<v1::StartLinkResponse> response = fixture.links.StartLink(request);
    if (test.matches) {
      INFO(response.status().ToString());
      CHECK(response.ok());
    } else {
      CHECK(response.status().code() == absl::StatusCode::kNotFound);
      CHECK(response.status().message() == kNoMatchMessage);
    }
  }
}

TEST_CASE("start link masks school-held channels") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());

  absl::StatusOr<v1::StartLinkResponse> karen = fixture.links.StartLink(KarenForNoah());
  REQUIRE(karen.ok());
  CHECK(!karen->attempt_id().empty());
  REQUIRE(karen->channels_size() == 2);
  CHECK(karen->channels(0).channel() == "email");
  CHECK(karen->channels(0).masked_destination() == "k***@example.com");
  CHECK(karen->channels(1).channel() == "sms");
  CHECK(karen->channels(1).masked_destination() == "mobile ending 3474");

  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_postcode("PH3 1YY");
  absl::StatusOr<v1::StartLinkResponse> father = fixture.links.StartLink(david);
  REQUIRE(father.ok());
  REQUIRE(father->channels_size() == 1);
  CHECK(father->channels(0).channel() == "email");
  CHECK(father->attempt_id() != karen->attempt_id());
}

TEST_CASE("contact without email or mobile") {
  Fixture fixture;
  fixture.Sync(kBalhousie, testing::BalhousieRows());
  v1::StartLinkRequest request = KarenForNoah();
  request.mutable_parent()->set_forename("Fraser");
  request.mutable_parent()->set_surname("Campbell");
  request.mutable_parent()->set_postcode("KY13 9RR");
  request.set_child_forename("Robert");
  request.set_child_surname("Campbell");
  request.set_child_date_of_birth("2010-09-09");
  request.set_stage("S6");
  request.set_postcode("KY13 9RR");

  absl::StatusOr<v1::StartLinkResponse> response = fixture.links.StartLink(request);
  CHECK(response.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(response.status().message() == kNoChannelMessage);
}

TEST_CASE("start link rejects malformed details") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  const std::pair<const char*, std::function<void(v1::StartLinkRequest&)>> cases[] = {
      {"month-first date",
       [](v1::StartLinkRequest& r) { r.set_child_date_of_birth("10/31/2020"); }},
      {"no such date", [](v1::StartLinkRequest& r) { r.set_child_date_of_birth("2020-02-30"); }},
      {"unknown stage", [](v1::StartLinkRequest& r) { r.set_stage("Primary 3"); }},
      {"foreign postcode", [](v1::StartLinkRequest& r) { r.set_postcode("75001"); }},
      {"no forename", [](v1::StartLinkRequest& r) { r.set_child_forename(" "); }},
      {"no account", [](v1::StartLinkRequest& r) { r.mutable_parent()->set_account_id(""); }},
  };
  for (const auto& [name, change] : cases) {
    INFO(name);
    v1::StartLinkRequest request = KarenForNoah();
    change(request);
    CHECK(fixture.links.StartLink(request).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("start link names every bad child field") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  // The fixture's today is 4 March 2026.
  v1::StartLinkRequest request = KarenForNoah();
  request.set_child_forename("Gr4ce");
  request.set_child_surname(std::string(101, 'a'));
  request.set_child_date_of_birth("07/12/2030");
  request.set_stage("P9");
  request.set_postcode("PH!");
  absl::Status status = fixture.links.StartLink(request).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() ==
        "child_forename: The child's first name can contain only letters, spaces, hyphens, "
        "apostrophes and full stops.\n"
        "child_surname: The child's last name is longer than 100 characters.\n"
        "child_date_of_birth: The child's date of birth is in the future.\n"
        "stage: Enter the child's stage: P1 to P7, or S1 to S6.\n"
        "postcode: Enter the child's home postcode, for example PH1 8NR.");

  request = KarenForNoah();
  request.set_child_date_of_birth("07/12/1900");
  CHECK(fixture.links.StartLink(request).status().message() ==
        "child_date_of_birth: The child's date of birth is more than 25 years ago. Check the "
        "year.");
  // Names of any script, with the punctuation real names have, are checked
  // against the roster as usual.
  request = KarenForNoah();
  request.set_child_forename("Zoë-Éilis St. O'Neill");
  CHECK(fixture.links.StartLink(request).status().code() == absl::StatusCode::kNotFound);

  // None of the malformed calls counted towards the daily limit or left a
  // near miss for the school.
  absl::StatusOr<v1::ListMatchFailuresResponse> misses =
      fixture.records.ListMatchFailures(kTayside, {});
  REQUIRE(misses.ok());
  const int misses_before = misses->failures_size();
  for (int i = 0; i < LinkService::kMaxStartsPerDay + 2; ++i) {
    v1::StartLinkRequest future = KarenForNoah();
    future.set_child_date_of_birth("2030-01-01");
    REQUIRE(fixture.links.StartLink(future).status().code() == absl::StatusCode::kInvalidArgument);
  }
  misses = fixture.records.ListMatchFailures(kTayside, {});
  REQUIRE(misses.ok());
  CHECK(misses->failures_size() == misses_before);
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("start link check alone counts nothing") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest check = KarenForNoah();
  check.set_validate_only(true);
  for (int i = 0; i < LinkService::kMaxStartsPerDay + 2; ++i) {
    absl::StatusOr<v1::StartLinkResponse> checked = fixture.links.StartLink(check);
    REQUIRE(checked.ok());
    // No attempt was opened.
    CHECK(checked->attempt_id().empty());
  }
  check.set_stage("P9");
  CHECK(fixture.links.StartLink(check).status().message() ==
        "stage: Enter the child's stage: P1 to P7, or S1 to S6.");
  // The account still has all its calls of the day.
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("start link is limited per account per day") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest wrong = KarenForNoah();
  wrong.set_child_forename("Noel");
  // The calls are a minute apart.
  for (int i = 0; i < LinkService::kMaxStartsPerDay; ++i) {
    REQUIRE(fixture.links.StartLink(wrong).status().code() == absl::StatusCode::kNotFound);
    fixture.clock.Advance(absl::Minutes(1));
  }
  absl::Status limited = fixture.links.StartLink(KarenForNoah()).status();
  CHECK(limited.code() == absl::StatusCode::kResourceExhausted);
  // The calls began at 10:00 on Wednesday 4 March, UK time (GMT).
  CHECK(limited.message() ==
        "You have tried to link a child 10 times in the last 24 hours. You can try again from "
        "10:02 UK time on Thursday 5 March.");
  CHECK(fixture.links.StartLink(KarenForNoah("acc-other")).ok());

  // The refused call counts too, so the limit lifts only when the second
  // call is a day and a second old, 9 minutes before the refused one. A
  // parent who waits that long gets in.
  const absl::Duration wait =
      absl::Hours(24) + absl::Seconds(1) - absl::Minutes(LinkService::kMaxStartsPerDay - 1);
  REQUIRE(RetryDelay(limited).has_value());
  CHECK(*RetryDelay(limited) == wait);
  fixture.clock.Advance(wait);
  CHECK(fixture.links.StartLink(KarenForNoah()).ok());
}

TEST_CASE("concurrent starts keep the daily limit") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  constexpr int kCallers = LinkService::kMaxStartsPerDay + 6;
  std::vector<absl::StatusCode> codes(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    // Half of the calls match and half do not; all count.
    callers.emplace_back([&fixture, &codes, i] {
      v1::StartLinkRequest request = KarenForNoah();
      if (i % 2 == 1) request.set_child_forename("Noel");
      codes[i] = fixture.links.StartLink(request).status().code();
    });
  }
  for (std::thread& caller : callers) caller.join();

  int exhausted = 0;
  int answered = 0;
  for (absl::StatusCode code : codes) {
    if (code == absl::StatusCode::kResourceExhausted) ++exhausted;
    if (code == absl::StatusCode::kOk || code == absl::StatusCode::kNotFound) ++answered;
  }
  CHECK(answered == LinkService::kMaxStartsPerDay);
  CHECK(exhausted == kCallers - LinkService::kMaxStartsPerDay);
}

// Starts Karen's attempt for Noah and returns its id.
std::string StartKaren(Fixture& fixture, const std::string& account_id = "acc-karen") {
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah(account_id));
  REQUIRE(started.ok());
  return started->attempt_id();
}

v1::SendCodeRequest Send(const std::string& attempt_id, const std::string& channel,
                         const std::string& account_id = "acc-karen") {
  v1::SendCodeRequest request;
  request.set_account_id(account_id);
  request.set_attempt_id(attempt_id);
  request.set_channel(channel);
  return request;
}

v1::ConfirmCodeRequest Confirm(const std::string& attempt_id, const std::string& code,
                               const std::string& account_id = "acc-karen") {
  v1::ConfirmCodeRequest request;
  request.set_account_id(account_id);
  request.set_attempt_id(attempt_id);
  request.set_code(code);
  return request;
}

// Returns a six-digit code that differs from `code`.
std::string OtherCode(const std::string& code) { return code == "000000" ? "000001" : "000000"; }

TEST_CASE("right code files a pending request") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);

  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  std::vector<parentsportal::notification::v1::SendRequest> sent = fixture.notifier.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].channel() == parentsportal::notification::v1::EMAIL);
  CHECK(sent[0].to() == "karen.taylor72@example.com");
  CHECK(sent[0].kind() == parentsportal::notification::v1::SECURITY_CODE);
  CHECK(sent[0].subject().empty());
  CHECK(sent[0].body().empty());
  CHECK(sent[0].template_data().at("child_name") == "Noah");
  CHECK(sent[0].template_data().at("expires_at") == "2026-03-04T10:15:00+00:00");
  // Not for the account: its preferences must not redirect the code.
  CHECK(sent[0].account_id().empty());
  CHECK(sent[0].mobile().empty());
  CHECK(!sent[0].idempotency_key().empty());
  std::string code = testing::CodeFromMessage(sent[0]);
  REQUIRE(code.size() == 6);

  absl::StatusOr<v1::ConfirmCodeResponse> confirmed =
      fixture.links.ConfirmCode(Confirm(attempt, code));
  REQUIRE(confirmed.ok());
  CHECK(!confirmed->request_id().empty());

  // The parent hears at their own address, for their account, that the
  // request went to the school.
  sent = fixture.notifier.sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].kind() == parentsportal::notification::v1::LINK_REQUESTED);
  CHECK(sent[1].to() == "karen@example.net");
  CHECK(sent[1].account_id() == "acc-karen");
  CHECK(sent[1].template_data().at("child_name") == "Noah");
  CHECK(sent[1].template_data().at("school_name") == "Tayside Primary School");
  CHECK(sent[1].idempotency_key() == "link-requested/" + confirmed->request_id());

  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks([] {
    v1::ListLinksRequest request;
    request.set_account_id("acc-karen");
    return request;
  }());
  REQUIRE(links.ok());
  CHECK(links->children_size() == 0);
  REQUIRE(links->requests_size() == 1);
  CHECK(links->requests(0).request_id() == confirmed->request_id());
  CHECK(links->requests(0).state() == v1::PENDING);
  CHECK(links->requests(0).child_forename() == "Noah");
  CHECK(links->requests(0).school_name() == "Tayside Primary School");
  CHECK(links->requests(0).created_at() == "2026-03-04T10:00:00+00:00");

  // The attempt is used up, and a second request for the child is invalid.
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, code)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.links.StartLink(KarenForNoah()).status().code() ==
        absl::StatusCode::kAlreadyExists);
}

TEST_CASE("corrected contact details end the attempt") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  std::string code = fixture.LastCode();

  // The school corrects Karen's email address before she enters the code.
  std::vector<v1::RosterRecord> corrected = testing::TaysideRows();
  for (v1::RosterRecord& record : corrected) {
    if (record.has_contact() && record.contact().email() == "karen.taylor72@example.com") {
      record.mutable_contact()->set_email("karen.taylor@example.org");
    }
  }
  fixture.Sync(kTayside, corrected);
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, code)).status().code() ==
        absl::StatusCode::kFailedPrecondition);

  // A new attempt copies the new address, and a correction before the code
  // is sent ends that attempt without sending to the old one.
  std::string second = StartKaren(fixture);
  fixture.Sync(kTayside, testing::TaysideRows());
  size_t sent = fixture.notifier.sent().size();
  absl::Status resent = fixture.links.SendCode(Send(second, "email"));
  CHECK(resent.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(resent.message(), "records changed"));
  CHECK(fixture.notifier.sent().size() == sent);
  CHECK(fixture.links.SendCode(Send(second, "email")).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("text message goes to the normalised mobile") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "sms")).ok());
  std::vector<parentsportal::notification::v1::SendRequest> sent = fixture.notifier.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].channel() == parentsportal::notification::v1::SMS);
  CHECK(sent[0].to() == "+447294053474");
  CHECK(sent[0].kind() == parentsportal::notification::v1::SECURITY_CODE);
  CHECK(sent[0].account_id().empty());
  CHECK(testing::CodeFromMessage(sent[0]).size() == 6);
}

TEST_CASE("code is invalid after five wrong tries") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  std::string code = fixture.LastCode();

  for (int i = 0; i < LinkService::kMaxWrongTries; ++i) {
    INFO("wrong try " << i + 1);
    absl::StatusOr<v1::ConfirmCodeResponse> wrong =
        fixture.links.ConfirmCode(Confirm(attempt, OtherCode(code)));
    CHECK(wrong.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(wrong.status().message(), "The security code is wrong"));
  }
  absl::StatusOr<v1::ConfirmCodeResponse> locked =
      fixture.links.ConfirmCode(Confirm(attempt, code));
  CHECK(locked.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.links.SendCode(Send(attempt, "email")).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("code expires after fifteen minutes") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  std::string code = fixture.LastCode();

  fixture.clock.Advance(LinkService::kCodeLifetime);
  absl::StatusOr<v1::ConfirmCodeResponse> expired =
      fixture.links.ConfirmCode(Confirm(attempt, code));
  CHECK(expired.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(expired.status().message() == "The security code has expired; ask for a new one.");

  // A new code within the attempt's 30 minutes works.
  REQUIRE(fixture.links.SendCode(Send(attempt, "sms")).ok());
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, fixture.LastCode())).ok());
}

TEST_CASE("code just inside its lifetime is accepted") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  fixture.clock.Advance(LinkService::kCodeLifetime - absl::Seconds(1));
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, fixture.LastCode())).ok());
}

TEST_CASE("attempt expires after thirty minutes") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  fixture.clock.Advance(LinkService::kAttemptLifetime);
  absl::Status status = fixture.links.SendCode(Send(attempt, "email"));
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(status.message() == "This link attempt has expired; start linking again.");
}

TEST_CASE("resending replaces the previous code") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  std::string first = fixture.LastCode();
  std::string second;
  // Two random codes are equal one time in a million; send again until not.
  do {
    REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
    second = fixture.LastCode();
  } while (second == first);

  std::vector<parentsportal::notification::v1::SendRequest> sent = fixture.notifier.sent();
  CHECK(sent[0].idempotency_key() != sent[1].idempotency_key());
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, first)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, second)).ok());
}

TEST_CASE("at most three codes an hour") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  for (int i = 0; i < LinkService::kMaxSendsPerHour; ++i) {
    REQUIRE(fixture.links.SendCode(Send(attempt, i % 2 ? "sms" : "email")).ok());
    fixture.clock.Advance(absl::Minutes(1));
  }
  CHECK(fixture.links.SendCode(Send(attempt, "email")).code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(fixture.notifier.sent().size() == LinkService::kMaxSendsPerHour);
}

TEST_CASE("code limit says when to ask again") {
  Fixture fixture;
  // 10:00 UTC on 1 July is 11:00 in London, on British Summer Time.
  fixture.clock.Advance(
      absl::FromCivil(absl::CivilSecond(2026, 7, 1, 10, 0, 0), absl::UTCTimeZone()) -
      fixture.clock.Now());
  fixture.Sync(kTayside, testing::TaysideRows());
  for (int i = 0; i < LinkService::kMaxSendsPerHour; ++i) {
    REQUIRE(fixture.links.SendCode(Send(StartKaren(fixture), "email")).ok());
    fixture.clock.Advance(absl::Seconds(90));
  }

  // The first send, at 11:00:00 London time, counts until 12:00:00.
  absl::Status limited = fixture.links.SendCode(Send(StartKaren(fixture), "email"));
  CHECK(limited.code() == absl::StatusCode::kResourceExhausted);
  CHECK(limited.message() ==
        "3 codes have been sent in the last hour. You can ask for a new code from 12:01 UK time. "
        "No code has been sent for this request yet.");
  // The gateway turns this into Retry-After: until 11:00:01 UTC.
  REQUIRE(RetryDelay(limited).has_value());
  CHECK(*RetryDelay(limited) == absl::Minutes(55) + absl::Seconds(31));

  fixture.clock.Advance(
      absl::FromCivil(absl::CivilSecond(2026, 7, 1, 11, 0, 0), absl::UTCTimeZone()) -
      fixture.clock.Now());
  CHECK(fixture.links.SendCode(Send(StartKaren(fixture), "email")).code() ==
        absl::StatusCode::kResourceExhausted);
  fixture.clock.Advance(absl::Seconds(1));
  CHECK(fixture.links.SendCode(Send(StartKaren(fixture), "email")).ok());
}

TEST_CASE("code limit names the code that still works") {
  Fixture fixture;
  fixture.clock.Advance(
      absl::FromCivil(absl::CivilSecond(2026, 7, 1, 10, 0, 0), absl::UTCTimeZone()) -
      fixture.clock.Now());
  fixture.Sync(kTayside, testing::TaysideRows());
  // Three codes for one request, the last at 10:03 UTC (11:03 in London).
  const std::string attempt = StartKaren(fixture);
  for (int i = 0; i < LinkService::kMaxSendsPerHour; ++i) {
    REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
    if (i + 1 < LinkService::kMaxSendsPerHour) fixture.clock.Advance(absl::Seconds(90));
  }
  // Each code replaced the one before, so only the last works, for 15
  // minutes after it was sent.
  absl::Status limited = fixture.links.SendCode(Send(attempt, "email"));
  CHECK(limited.code() == absl::StatusCode::kResourceExhausted);
  CHECK(limited.message() ==
        "3 codes have been sent in the last hour. You can ask for a new code from 12:01 UK time. "
        "Until then, the last code sent for this request works until 11:18 UK time.");

  fixture.clock.Advance(absl::Minutes(16));
  CHECK(fixture.links.SendCode(Send(attempt, "email")).message() ==
        "3 codes have been sent in the last hour. You can ask for a new code from 12:01 UK time. "
        "The last code sent for this request has expired.");
}

TEST_CASE("code limit spans new attempts") {
  // Starting again after each code used to give a fresh allowance.
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  for (int i = 0; i < LinkService::kMaxSendsPerHour; ++i) {
    REQUIRE(fixture.links.SendCode(Send(StartKaren(fixture), "email")).ok());
    fixture.clock.Advance(absl::Minutes(1));
  }
  CHECK(fixture.links.SendCode(Send(StartKaren(fixture), "email")).code() ==
        absl::StatusCode::kResourceExhausted);
  CHECK(fixture.notifier.sent().size() == LinkService::kMaxSendsPerHour);

  // An hour after the first, the account may ask again.
  fixture.clock.Advance(absl::Minutes(58));
  CHECK(fixture.links.SendCode(Send(StartKaren(fixture), "email")).ok());
}

TEST_CASE("code limit protects the contact") {
  // Other accounts that match Karen still cannot flood her with codes.
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  for (int i = 0; i < LinkService::kMaxSendsPerHour; ++i) {
    const std::string account = "acc-" + std::to_string(i);
    absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(KarenForNoah(account));
    REQUIRE(started.ok());
    REQUIRE(fixture.links.SendCode(Send(started->attempt_id(), "sms", account)).ok());
  }
  absl::StatusOr<v1::StartLinkResponse> another = fixture.links.StartLink(KarenForNoah("acc-9"));
  REQUIRE(another.ok());
  CHECK(fixture.links.SendCode(Send(another->attempt_id(), "sms", "acc-9")).code() ==
        absl::StatusCode::kResourceExhausted);
}

TEST_CASE("notification outage keeps the send") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  fixture.notifier.set_failure(absl::UnavailableError("notification is down"));
  for (int i = 0; i < LinkService::kMaxSendsPerHour + 2; ++i) {
    CHECK(fixture.links.SendCode(Send(attempt, "email")).code() == absl::StatusCode::kUnavailable);
  }
  fixture.notifier.set_failure(absl::OkStatus());
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, fixture.LastCode())).ok());
}

TEST_CASE("another account's attempt is not found") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  CHECK(fixture.links.SendCode(Send(attempt, "email", "acc-other")).code() ==
        absl::StatusCode::kNotFound);
  CHECK(fixture.links.SendCode(Send("no-such-attempt", "email")).code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(fixture.links.SendCode(Send(attempt, "email")).ok());
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, fixture.LastCode(), "acc-other"))
            .status()
            .code() == absl::StatusCode::kNotFound);
}

TEST_CASE("channel must be one the attempt offers") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::StartLinkRequest david = KarenForNoah("acc-david");
  david.mutable_parent()->set_forename("David");
  david.mutable_parent()->set_surname("McDonald");
  david.mutable_parent()->set_postcode("PH3 1YY");
  absl::StatusOr<v1::StartLinkResponse> started = fixture.links.StartLink(david);
  REQUIRE(started.ok());
  CHECK(fixture.links.SendCode(Send(started->attempt_id(), "sms", "acc-david")).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.links.SendCode(Send(started->attempt_id(), "pigeon", "acc-david")).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(fixture.notifier.sent().empty());
}

TEST_CASE("confirm before any code is sent") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string attempt = StartKaren(fixture);
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, "123456")).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(fixture.links.ConfirmCode(Confirm(attempt, "12345")).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("approved link lists the child") {
  Fixture fixture;
  fixture.Sync(kBalhousie, testing::BalhousieRows());
  v1::StartLinkRequest request = KarenForNoah("acc-mairi");
  request.mutable_parent()->set_forename("Màiri");
  request.mutable_parent()->set_surname("Campbell");
  request.mutable_parent()->set_postcode("KY13 9RR");
  request.set_child_forename("Robert");
  request.set_child_surname("Campbell");
  request.set_child_date_of_birth("2010-09-09");
  request.set_stage("S6");
  request.set_postcode("KY13 9RR");
  std::string request_id = fixture.FileRequest(request);

  v1::DecideLinkRequestRequest decide;
  decide.set_request_id(request_id);
  decide.set_decision(v1::DecideLinkRequestRequest::APPROVE);
  decide.set_decided_by("Mrs Brown, school office");
  REQUIRE(fixture.records.DecideLinkRequest(kBalhousie, decide).ok());

  v1::ListLinksRequest list;
  list.set_account_id("acc-mairi");
  absl::StatusOr<v1::ListLinksResponse> links = fixture.links.ListLinks(list);
  REQUIRE(links.ok());
  CHECK(links->requests_size() == 0);
  REQUIRE(links->children_size() == 1);
  const v1::Child& child = links->children(0);
  CHECK(!child.child_id().empty());
  CHECK(child.forename() == "Rab");
  CHECK(child.surname() == "Campbell");
  CHECK(child.stage() == "S6");
  CHECK(child.seed_code() == kBalhousie);
  CHECK(child.school_name() == "Balhousie High School");

  v1::GetChildRequest get;
  get.set_account_id("acc-mairi");
  get.set_child_id(child.child_id());
  absl::StatusOr<v1::Child> got = fixture.links.GetChild(get);
  REQUIRE(got.ok());
  CHECK(got->forename() == "Rab");

  get.set_account_id("acc-other");
  CHECK(fixture.links.GetChild(get).status().code() == absl::StatusCode::kNotFound);
  get.set_account_id("acc-mairi");
  get.set_child_id("");
  CHECK(fixture.links.GetChild(get).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("contacts stored before postcode keys match") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  // A store upgraded from version 2 of the keys has an empty postcode_key
  // column until the keys are rebuilt.
  absl::Status reset = fixture.store->Write([](Tx& tx) {
    absl::Status cleared = tx.Exec("UPDATE contacts SET postcode_key = ''");
    if (!cleared.ok()) return cleared;
    return tx.Exec("UPDATE settings SET value = 2 WHERE name = 'name_key_version'");
  });
  REQUIRE(reset.ok());
  CHECK(fixture.links.StartLink(KarenForNoah("acc-before")).status().code() ==
        absl::StatusCode::kNotFound);

  REQUIRE(fixture.store->Write([](Tx& tx) { return RebuildNameKeys(tx); }).ok());
  CHECK(fixture.links.StartLink(KarenForNoah("acc-after")).ok());
}

TEST_CASE("links read without waiting match ListLinks") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  std::string request_id = fixture.FileRequest(KarenForNoah());
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");

  absl::StatusOr<v1::ListLinksResponse> waited = fixture.links.ListLinks(list);
  REQUIRE(waited.ok());
  REQUIRE(waited->requests_size() == 1);
  auto tried = fixture.links.TryListLinks(list);
  REQUIRE(tried.has_value());
  REQUIRE(tried->ok());
  CHECK((*tried)->SerializeAsString() == waited->SerializeAsString());

  v1::ListLinksRequest no_account;
  auto invalid = fixture.links.TryListLinks(no_account);
  REQUIRE(invalid.has_value());
  CHECK(invalid->status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("links are not read without waiting while the store is held") {
  Fixture fixture;
  fixture.Sync(kTayside, testing::TaysideRows());
  v1::ListLinksRequest list;
  list.set_account_id("acc-karen");

  std::optional<absl::StatusOr<v1::ListLinksResponse>> tried;
  REQUIRE(fixture.store
              ->Write([&](Tx&) {
                std::thread reader([&] { tried = fixture.links.TryListLinks(list); });
                reader.join();
                return absl::OkStatus();
              })
              .ok());
  CHECK_FALSE(tried.has_value());
}

}  // namespace
}  // namespace pp::link
