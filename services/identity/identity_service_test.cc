#include "identity_service.h"

#include <catch2/catch.hpp>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "testing/temp_dir.h"

namespace pp::identity {
namespace {

const char kOperatorToken[] = "operator-secret";

// A notifier that keeps what it is given and fails while `failing` is set.
class FakeNotifier : public Notifier {
 public:
  absl::Status SendEmail(const Email& email) override {
    if (failing) return absl::UnavailableError("notification is down");
    sent.push_back(email);
    return absl::OkStatus();
  }

  bool failing = false;
  std::vector<Email> sent;
};

// Returns the password on the "One-time password: " line of `body`, or "".
std::string OneTimePassword(const std::string& body) {
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (absl::ConsumePrefix(&line, "One-time password: ")) return std::string(line);
  }
  return "";
}

RegistrationForm Ann() {
  return {"Ann", "Smith", "Ann.Smith@Example.com", "eh1 1yz", "female", "1985-04-23"};
}

struct Fixture {
  Fixture()
      : clock(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone())) {
    auto opened = IdentityStore::Open(dir.Path("data"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    service = std::make_unique<IdentityService>(*store, clock, notifier, kOperatorToken,
                                                crypto::PasswordCost::kFastForTests, nullptr);
  }

  // Registers Ann and returns her one-time password.
  std::string RegisterAnn() {
    REQUIRE(service->Register(Ann()).ok());
    REQUIRE_FALSE(notifier.sent.empty());
    std::string password = OneTimePassword(notifier.sent.back().body);
    REQUIRE(password.size() == 12);
    return password;
  }

  // Registers Ann, signs in and changes the password to `password`.
  std::string ActiveAnn(const std::string& password) {
    std::string one_time = RegisterAnn();
    absl::StatusOr<SignInResult> first = service->SignIn("ann.smith@example.com", one_time);
    REQUIRE(first.ok());
    REQUIRE(service->ChangePassword(first->session_token, one_time, password).ok());
    return first->session_token;
  }

  pp::TempDir dir;
  pp::FakeClock clock;
  FakeNotifier notifier;
  std::unique_ptr<IdentityStore> store;
  std::unique_ptr<IdentityService> service;
};

}  // namespace

TEST_CASE("registration emails a one-time password") {
  Fixture f;
  REQUIRE(f.service->Register(Ann()).ok());
  REQUIRE(f.notifier.sent.size() == 1);
  const Email& email = f.notifier.sent[0];
  CHECK(email.to == "ann.smith@example.com");
  CHECK(absl::StartsWith(email.idempotency_key, "register:acc-"));
  CHECK(absl::StrContains(email.body, "must change it at your first sign-in"));

  std::string password = OneTimePassword(email.body);
  REQUIRE(password.size() == 12);
  CHECK(password.find_first_of("01IOilo") == std::string::npos);

  absl::StatusOr<std::optional<AccountRecord>> account =
      f.store->FindAccountByEmail("ann.smith@example.com");
  REQUIRE(account.ok());
  REQUIRE(account->has_value());
  CHECK((*account)->postcode == "EH1 1YZ");
  CHECK((*account)->password_sent);
  CHECK((*account)->password_hash.find(password) == std::string::npos);
  CHECK(email.idempotency_key == "register:" + (*account)->account_id);
}

TEST_CASE("registration rejects an invalid field") {
  Fixture f;
  RegistrationForm form = Ann();
  form.date_of_birth = "2020-01-01";
  absl::Status status = f.service->Register(form);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "You must be 12 or over to register");
  CHECK(f.notifier.sent.empty());
}

TEST_CASE("registration of a taken email warns the owner") {
  Fixture f;
  std::string password = f.RegisterAnn();
  RegistrationForm again = Ann();
  again.email = "ANN.SMITH@example.com";
  again.forename = "Someone";
  CHECK(f.service->Register(again).ok());
  REQUIRE(f.notifier.sent.size() == 2);
  const Email& warning = f.notifier.sent[1];
  CHECK(warning.to == "ann.smith@example.com");
  CHECK(absl::StrContains(warning.subject, "tried to register"));
  CHECK(OneTimePassword(warning.body).empty());
  CHECK(absl::StartsWith(warning.idempotency_key, "register-attempt:acc-"));
  CHECK(absl::EndsWith(warning.idempotency_key, ":2026-12-04"));

  // The first password still works.
  CHECK(f.service->SignIn("ann.smith@example.com", password).ok());
}

TEST_CASE("registration leaves no account when email is down") {
  Fixture f;
  f.notifier.failing = true;
  absl::Status status = f.service->Register(Ann());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  absl::StatusOr<std::optional<AccountRecord>> account =
      f.store->FindAccountByEmail("ann.smith@example.com");
  REQUIRE(account.ok());
  CHECK_FALSE(account->has_value());

  // A retry once it is back creates the account and sends the password.
  f.notifier.failing = false;
  std::string password = f.RegisterAnn();
  CHECK(f.service->SignIn("ann.smith@example.com", password).ok());
}

TEST_CASE("abandoned unsent account is replaced") {
  Fixture f;
  AccountRecord stale;
  stale.account_id = "acc-stale";
  stale.forename = "Ann";
  stale.surname = "Smith";
  stale.email = "ann.smith@example.com";
  stale.postcode = "EH1 1YZ";
  stale.gender = "female";
  stale.date_of_birth = "1985-04-23";
  stale.password_hash = "x";
  stale.password_is_one_time = true;
  stale.created_at = f.clock.Now();
  REQUIRE(f.store->InsertAccountUnlessTaken(stale, f.clock.Now()).ok());

  // Within the timeout, a registration in flight is left alone.
  REQUIRE(f.service->Register(Ann()).ok());
  CHECK(absl::StartsWith(f.notifier.sent.back().idempotency_key, "register-attempt:acc-stale"));

  f.clock.Advance(kUnsentAccountTimeout + absl::Seconds(1));
  std::string password = f.RegisterAnn();
  CHECK_FALSE(absl::StrContains(f.notifier.sent.back().idempotency_key, "acc-stale"));
  CHECK(f.service->SignIn("ann.smith@example.com", password).ok());
}

TEST_CASE("sign-in with the one-time password must change it") {
  Fixture f;
  std::string password = f.RegisterAnn();
  absl::StatusOr<SignInResult> result = f.service->SignIn(" ANN.smith@example.com ", password);
  REQUIRE(result.ok());
  CHECK(result->session.must_change_password);
  CHECK(result->session.account.email == "ann.smith@example.com");
  CHECK(result->session_token.size() == 43);

  absl::StatusOr<SessionInfo> session = f.service->GetSession(result->session_token);
  REQUIRE(session.ok());
  CHECK(session->must_change_password);
}

TEST_CASE("sign-in failures read the same") {
  Fixture f;
  std::string password = f.RegisterAnn();
  absl::StatusOr<SignInResult> wrong = f.service->SignIn("ann.smith@example.com", "wrong");
  absl::StatusOr<SignInResult> unknown = f.service->SignIn("bob@example.com", password);
  CHECK(wrong.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(unknown.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(wrong.status().message() == unknown.status().message());
}

TEST_CASE("one-time password expires after 72 hours") {
  Fixture f;
  std::string password = f.RegisterAnn();
  f.clock.Advance(kOneTimePasswordLifetime - absl::Seconds(1));
  CHECK(f.service->SignIn("ann.smith@example.com", password).ok());
  f.clock.Advance(absl::Seconds(1));
  CHECK(f.service->SignIn("ann.smith@example.com", password).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("five wrong passwords lock the account") {
  Fixture f;
  f.ActiveAnn("correct horse battery");
  for (int i = 0; i < kFailuresBeforeLock; ++i) {
    CHECK_FALSE(f.service->SignIn("ann.smith@example.com", "wrong").ok());
  }
  absl::StatusOr<SignInResult> locked =
      f.service->SignIn("ann.smith@example.com", "correct horse battery");
  CHECK(locked.status().code() == absl::StatusCode::kUnauthenticated);

  f.clock.Advance(kLockDuration);
  CHECK(f.service->SignIn("ann.smith@example.com", "correct horse battery").ok());
}

TEST_CASE("change password clears the flag and other sessions") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> first = f.service->SignIn("ann.smith@example.com", one_time);
  absl::StatusOr<SignInResult> second = f.service->SignIn("ann.smith@example.com", one_time);
  REQUIRE(first.ok());
  REQUIRE(second.ok());

  REQUIRE(f.service->ChangePassword(first->session_token, one_time, "correct horse battery").ok());
  absl::StatusOr<SessionInfo> kept = f.service->GetSession(first->session_token);
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->must_change_password);
  CHECK(f.service->GetSession(second->session_token).status().code() ==
        absl::StatusCode::kUnauthenticated);

  CHECK_FALSE(f.service->SignIn("ann.smith@example.com", one_time).ok());
  absl::StatusOr<SignInResult> again =
      f.service->SignIn("ann.smith@example.com", "correct horse battery");
  REQUIRE(again.ok());
  CHECK_FALSE(again->session.must_change_password);
}

TEST_CASE("change password rejects weak or wrong input") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> session = f.service->SignIn("ann.smith@example.com", one_time);
  REQUIRE(session.ok());
  const std::string& token = session->session_token;

  struct Case {
    std::string current;
    std::string next;
    const char* message;
  };
  const Case cases[] = {
      {"not-the-password", "correct horse battery",
       "current_password is not your current password"},
      {one_time, "short", "new_password must be at least 10 characters long"},
      {one_time, std::string(257, 'a'), "new_password is longer than 256 characters"},
      {one_time, "Ann.Smith@example.com", "new_password must not be your email address"},
      {one_time, one_time, "new_password must be different from your current password"},
  };
  for (const Case& c : cases) {
    INFO("expected: " << c.message);
    absl::Status status = f.service->ChangePassword(token, c.current, c.next);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(status.message() == c.message);
  }
  CHECK(f.service->ChangePassword("unknown", one_time, "correct horse battery").code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->GetSession(token)->must_change_password);
}

TEST_CASE("session ends after 30 idle minutes") {
  Fixture f;
  std::string token = f.ActiveAnn("correct horse battery");
  f.clock.Advance(kSessionIdle - absl::Seconds(1));
  REQUIRE(f.service->GetSession(token).ok());
  // Each use extends the idle expiry.
  f.clock.Advance(kSessionIdle - absl::Seconds(1));
  REQUIRE(f.service->GetSession(token).ok());
  f.clock.Advance(kSessionIdle);
  CHECK(f.service->GetSession(token).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("session ends 12 hours after sign-in") {
  Fixture f;
  std::string token = f.ActiveAnn("correct horse battery");
  for (int i = 0; i < 24; ++i) {
    f.clock.Advance(absl::Minutes(29));
    REQUIRE(f.service->GetSession(token).ok());
  }
  f.clock.Advance(kSessionMax - absl::Minutes(29 * 24));
  CHECK(f.service->GetSession(token).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("sign-out ends the session") {
  Fixture f;
  std::string token = f.ActiveAnn("correct horse battery");
  REQUIRE(f.service->SignOut(token).ok());
  CHECK(f.service->GetSession(token).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(f.service->SignOut(token).ok());
  CHECK(f.service->SignOut("").ok());
  CHECK(f.service->GetSession("").status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("school tokens need the operator token") {
  Fixture f;
  CHECK(f.service->IssueSchoolToken("", "5300011").status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->IssueSchoolToken("guess", "5300011").status().code() ==
        absl::StatusCode::kUnauthenticated);
  for (const char* seed : {"", "530001", "53000111", "530001a", "５300011"}) {
    INFO("seed: " << seed);
    CHECK(f.service->IssueSchoolToken(kOperatorToken, seed).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }

  absl::StatusOr<std::string> token = f.service->IssueSchoolToken(kOperatorToken, "5300011");
  REQUIRE(token.ok());
  absl::StatusOr<std::string> seed = f.service->CheckSchoolToken(*token);
  REQUIRE(seed.ok());
  CHECK(*seed == "5300011");
  CHECK(f.service->CheckSchoolToken("unknown").status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->CheckSchoolToken("").status().code() == absl::StatusCode::kUnauthenticated);
}

}  // namespace pp::identity
