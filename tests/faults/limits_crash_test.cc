// Crash at every write while an attacker uses up the limits that slow
// guessing: wrong passwords before a sign-in lock, StartLink calls per
// account and day, security codes sent per hour and wrong codes per link
// attempt. A kill must never reset a limit. Across every kill and restart,
// the attacker gets no more tries with a response than the limit allows,
// and every acknowledged try stays counted in the store.
//
// PP_FAULT_MAX_WRITE raises the highest write killed at (docs/reliability.md).
#include <grpcpp/client_context.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fault_harness.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "suite.h"
#include "web_session.h"

namespace {

namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;
using pp::faults::CrashAtEveryWrite;
using pp::faults::CrashFigures;
using pp::faults::FreshChannel;
using pp::faults::PrepareContext;
using pp::faults::QueryRows;

constexpr char kSchool[] = "5300011";
// The limits as services document them (identity_service.h, link_service.h).
constexpr int kFailuresBeforeLock = 5;
constexpr int kMaxStartsPerDay = 10;
constexpr int kMaxSendsPerHour = 3;
constexpr int kMaxWrongTries = 5;

// Returns a StartLink request of `account_id` for a contact of the demo
// roster and their pupil.
link::StartLinkRequest StartRequest(const std::string& account_id, const std::string& forename,
                                    const std::string& surname, const std::string& postcode,
                                    const std::string& child_forename,
                                    const std::string& child_surname,
                                    const std::string& date_of_birth, const std::string& stage) {
  link::StartLinkRequest request;
  request.mutable_parent()->set_account_id(account_id);
  request.mutable_parent()->set_forename(forename);
  request.mutable_parent()->set_surname(surname);
  request.mutable_parent()->set_email(account_id + "@example.org");
  request.mutable_parent()->set_postcode(postcode);
  request.set_child_forename(child_forename);
  request.set_child_surname(child_surname);
  request.set_child_date_of_birth(date_of_birth);
  request.set_stage(stage);
  request.set_postcode(postcode);
  return request;
}

// Each Call sends one request with a 10-second deadline. `wait_for_ready`
// waits for a service that has just restarted instead of failing at once.
grpc::Status Call(link::Links::Stub& stub, const link::StartLinkRequest& request,
                  link::StartLinkResponse* response, bool wait_for_ready = false) {
  grpc::ClientContext context;
  PrepareContext(context, 10, wait_for_ready);
  return stub.StartLink(&context, request, response);
}

grpc::Status Call(link::Links::Stub& stub, const link::SendCodeRequest& request,
                  bool wait_for_ready = false) {
  link::SendCodeResponse response;
  grpc::ClientContext context;
  PrepareContext(context, 10, wait_for_ready);
  return stub.SendCode(&context, request, &response);
}

grpc::Status Call(link::Links::Stub& stub, const link::ConfirmCodeRequest& request,
                  bool wait_for_ready = false) {
  link::ConfirmCodeResponse response;
  grpc::ClientContext context;
  PrepareContext(context, 10, wait_for_ready);
  return stub.ConfirmCode(&context, request, &response);
}

// Returns the single number a query on the store returns.
int QueryCount(const std::string& store, const std::string& sql, const std::string& param) {
  std::vector<std::string> rows = QueryRows(store, sql, {param});
  REQUIRE(rows.size() == 1);
  return std::stoi(rows[0]);
}

}  // namespace

TEST_CASE("sign-in lock survives crashes") {
  pp::e2e::Suite suite;
  std::string store = suite.DataDir("identity") + "/identity.db";
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");

  // The attacker guesses one username until it locks, then moves on to the
  // next, so that every run writes. Unknown usernames lock like real ones.
  std::vector<std::string> usernames = {"karen.taylor@example.net"};
  // Per username, wrong passwords rejected with UNAUTHENTICATED: the
  // password was wrong and the username not locked yet.
  std::map<std::string, int> wrong_answers;
  int locked_answers = 0;
  int guess = 0;
  auto load = [&](int n) {
    auto stub = identity::Identity::NewStub(FreshChannel(suite.Address("identity")));
    int count = 0;
    while (count < n) {
      identity::SignInRequest request;
      request.set_username(usernames.back());
      request.set_password("guess number " + std::to_string(++guess));
      request.set_client_address("127.0.0.1");
      identity::SignInResponse response;
      grpc::ClientContext context;
      PrepareContext(context, 10, false);
      grpc::Status status = stub->SignIn(&context, request, &response);
      if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
        ++wrong_answers[usernames.back()];
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++locked_answers;
        usernames.push_back("target-" + std::to_string(usernames.size()) + "@example.net");
      } else {
        // The kill ended the call, most often as UNAVAILABLE.
        return count;
      }
      ++count;
    }
    return count;
  };
  auto check = [&] {
    for (const auto& [username, answers] : wrong_answers) {
      INFO(username << ": " << answers << " wrong passwords answered as such");
      CHECK(answers <= kFailuresBeforeLock - 1);
      // Every answered wrong password is still counted.
      std::vector<std::string> failures =
          QueryRows(store, "SELECT failures FROM sign_in_throttles WHERE username = ?", {username});
      REQUIRE(failures.size() == 1);
      CHECK(std::stoi(failures[0]) >= answers);
    }
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "identity", store, load, check);
  int answered = 0;
  for (const auto& [username, answers] : wrong_answers) answered += answers;
  WARN("identity sign-in lock: " << figures.Summary() << "; " << answered
                                 << " wrong passwords answered, " << locked_answers
                                 << " usernames locked");
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);
  CHECK(locked_answers > 0);

  // Every username answered as locked still has enough failures stored to
  // be locked, the real account first among them.
  for (size_t i = 0; i + 1 < usernames.size(); ++i) {
    INFO("locked username " << usernames[i]);
    std::vector<std::string> failures = QueryRows(
        store, "SELECT failures FROM sign_in_throttles WHERE username = ?", {usernames[i]});
    REQUIRE(failures.size() == 1);
    CHECK(std::stoi(failures[0]) >= kFailuresBeforeLock);
  }
}

TEST_CASE("link limits survive crashes") {
  // StartLink responds after a fixed 750 ms by default; the limits do not
  // depend on it, and the crash loop makes hundreds of calls.
  setenv("PP_START_LINK_MS", "0", 1);
  pp::e2e::Suite suite;
  std::string token = pp::faults::IssueToken(suite, kSchool);
  std::string store = suite.DataDir("link-verification") + "/link-verification.db";
  pp::faults::LoadDemoRoster(suite, token);
  auto stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));

  // Three accounts, one per limit. The prober's details match no pupil.
  link::StartLinkRequest probe = StartRequest("account-prober", "Mallory", "Nobody", "PH3 2QY",
                                              "Noah", "McDonald", "2020-10-01", "P3");
  link::StartLinkRequest sender = StartRequest("account-sender", "Karen", "Taylor", "PH3 2QY",
                                               "Noah", "McDonald", "2020-10-01", "P3");
  link::StartLinkRequest guesser = StartRequest("account-guesser", "Karen", "Campbell", "PH2 1AB",
                                                "Jean-Luc", "Campbell", "2018-11-21", "P5");
  link::StartLinkResponse sender_attempt;
  REQUIRE(Call(*stub, sender, &sender_attempt).ok());
  link::StartLinkResponse guesser_attempt;
  REQUIRE(Call(*stub, guesser, &guesser_attempt).ok());
  link::SendCodeRequest send;
  send.set_account_id("account-guesser");
  send.set_attempt_id(guesser_attempt.attempt_id());
  send.set_channel("email");
  REQUIRE(Call(*stub, send).ok());
  std::string code =
      pp::faults::FindInOutbox(suite, "karen.campbell1@example.com", "Security code: ([0-9]{6})");
  REQUIRE(code.size() == 6);
  std::string wrong_code = code;
  wrong_code[0] = static_cast<char>('0' + (code[0] - '0' + 1) % 10);

  // Answers counted against each limit, and the tries acknowledged.
  int starts_answered = 0;
  int starts_acknowledged = 0;
  int codes_sent = 0;
  int wrong_codes_answered = 0;
  auto load = [&](int n) {
    auto channel = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
    int count = 0;

    // Wrong codes until the attempt locks (FAILED_PRECONDITION).
    while (count < n) {
      link::ConfirmCodeRequest confirm;
      confirm.set_account_id("account-guesser");
      confirm.set_attempt_id(guesser_attempt.attempt_id());
      confirm.set_code(wrong_code);
      grpc::Status status = Call(*channel, confirm);
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return count;
      ++count;
      if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) break;
      ++wrong_codes_answered;
    }

    // Codes sent until the hourly limit (RESOURCE_EXHAUSTED).
    while (count < n) {
      link::SendCodeRequest again;
      again.set_account_id("account-sender");
      again.set_attempt_id(sender_attempt.attempt_id());
      again.set_channel("email");
      grpc::Status status = Call(*channel, again);
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return count;
      ++count;
      if (!status.ok()) break;
      ++codes_sent;
    }

    // StartLink calls: each is stored, limited or not, so these reach write n.
    while (count < n) {
      link::StartLinkResponse response;
      grpc::Status status = Call(*channel, probe, &response);
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE) return count;
      ++count;
      ++starts_acknowledged;
      if (status.error_code() == grpc::StatusCode::NOT_FOUND) ++starts_answered;
    }
    return count;
  };
  auto check = [&] {
    INFO("wrong codes answered " << wrong_codes_answered << ", codes sent " << codes_sent
                                 << ", StartLink calls answered " << starts_answered << " of "
                                 << starts_acknowledged);
    CHECK(wrong_codes_answered <= kMaxWrongTries);
    CHECK(QueryCount(store, "SELECT wrong_tries FROM link_attempts WHERE attempt_id = ?",
                     guesser_attempt.attempt_id()) >= wrong_codes_answered);
    CHECK(codes_sent <= kMaxSendsPerHour);
    int sends_stored = QueryCount(store, "SELECT COUNT(*) FROM code_sends WHERE attempt_id = ?",
                                  sender_attempt.attempt_id());
    CHECK(sends_stored >= codes_sent);
    CHECK(sends_stored <= kMaxSendsPerHour);
    CHECK(starts_answered <= kMaxStartsPerDay);
    CHECK(QueryCount(store, "SELECT COUNT(*) FROM start_calls WHERE account_id = ?",
                     "account-prober") >= starts_acknowledged);
  };

  CrashFigures figures = CrashAtEveryWrite(suite, "link-verification", store, load, check);
  WARN("link-verification limits: " << figures.Summary() << "; " << wrong_codes_answered
                                    << " wrong codes, " << codes_sent << " codes sent, "
                                    << starts_answered << " of " << starts_acknowledged
                                    << " StartLink calls answered");
  CHECK(figures.killed_at_write >= pp::faults::MaxKillWrite() / 2);

  // Each limit is used up and still enforced: the right code, a new code and
  // a StartLink with the prober's details are all rejected.
  stub = link::Links::NewStub(FreshChannel(suite.Address("link-verification")));
  link::ConfirmCodeRequest right;
  right.set_account_id("account-guesser");
  right.set_attempt_id(guesser_attempt.attempt_id());
  right.set_code(code);
  CHECK(Call(*stub, right, true).error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  link::SendCodeRequest more;
  more.set_account_id("account-sender");
  more.set_attempt_id(sender_attempt.attempt_id());
  more.set_channel("email");
  CHECK(Call(*stub, more, true).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  link::StartLinkResponse response;
  CHECK(Call(*stub, probe, &response, true).error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_CASE("concurrent wrong passwords all count") {
  pp::e2e::Suite suite;
  pp::e2e::WebSession browser("127.0.0.1", suite.HttpPort());
  pp::faults::SignUp(suite, browser, "karen.taylor@example.net", "a long new passphrase");

  // Wrong passwords sent at once, as an attacker with many connections
  // would, must not be checked against one stale count of failures.
  constexpr int kGuesses = 16;
  std::vector<grpc::StatusCode> codes(kGuesses);
  std::vector<std::thread> guessers;
  for (int i = 0; i < kGuesses; ++i) {
    guessers.emplace_back([&, i] {
      auto stub = identity::Identity::NewStub(FreshChannel(suite.Address("identity")));
      identity::SignInRequest request;
      request.set_username("karen.taylor@example.net");
      request.set_password("concurrent guess " + std::to_string(i));
      identity::SignInResponse response;
      grpc::ClientContext context;
      PrepareContext(context, 30, true);
      codes[i] = stub->SignIn(&context, request, &response).error_code();
    });
  }
  for (std::thread& guesser : guessers) guesser.join();

  int wrong_answers = 0;
  for (grpc::StatusCode code : codes) {
    CHECK((code == grpc::StatusCode::UNAUTHENTICATED ||
           code == grpc::StatusCode::RESOURCE_EXHAUSTED));
    if (code == grpc::StatusCode::UNAUTHENTICATED) ++wrong_answers;
  }
  WARN("concurrent wrong passwords: " << kGuesses << " sent, " << wrong_answers
                                      << " answered as wrong before the lock");
  CHECK(wrong_answers <= kFailuresBeforeLock - 1);
  std::vector<std::string> failures = QueryRows(
      suite.DataDir("identity") + "/identity.db",
      "SELECT failures FROM sign_in_throttles WHERE username = ?", {"karen.taylor@example.net"});
  REQUIRE(failures.size() == 1);
  CHECK(std::stoi(failures[0]) >= kFailuresBeforeLock);
}
