#include "identity_service.h"

#include <sodium.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <functional>
#include <iterator>
#include <memory>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "crypto/crypto.h"
#include "server/grpc_status.h"
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

namespace notification = parentsportal::notification::v1;

// Returns the one-time password an email carries, or "".
std::string OneTimePassword(const Email& email) {
  auto found = email.template_data.find("one_time_password");
  return found == email.template_data.end() ? "" : found->second;
}

RegistrationForm Ann() {
  return {"Ann", "Smith", "Ann.Smith@Example.com", "eh1 1yz", "female", "1985-04-23"};
}

constexpr char kAnnPassword[] = "correct horse battery";
constexpr char kUsername[] = "ann.smith@example.com";

struct Fixture {
  explicit Fixture(Argon2Cost cost = FastArgon2CostForTests())
      : clock(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone())) {
    Open(cost);
  }

  // Opens the store and a service over it, as a restarted process would.
  void Open(Argon2Cost cost = FastArgon2CostForTests()) {
    service.reset();
    store.reset();
    auto opened = IdentityStore::Open(dir.Path("data"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    service =
        std::make_unique<IdentityService>(*store, clock, notifier, kOperatorToken, cost, nullptr);
  }

  // Registers Ann and returns her one-time password.
  std::string RegisterAnn() {
    REQUIRE(service->Register(Ann(), "192.0.2.1").ok());
    REQUIRE_FALSE(notifier.sent.empty());
    std::string password = OneTimePassword(notifier.sent.back());
    REQUIRE(password.size() == 12);
    return password;
  }

  // Registers Ann, signs in and changes the password to `password`.
  // Returns the session token.
  std::string ActiveAnn(const std::string& password = kAnnPassword) {
    std::string one_time = RegisterAnn();
    absl::StatusOr<SignInResult> first = service->SignIn(kUsername, one_time);
    REQUIRE(first.ok());
    absl::StatusOr<std::string> token =
        service->ChangePassword(first->session_token, one_time, password);
    REQUIRE(token.ok());
    return *token;
  }

  AccountRecord Account() {
    absl::StatusOr<std::optional<AccountRecord>> account = store->FindAccountByEmail(kUsername);
    REQUIRE(account.ok());
    REQUIRE(account->has_value());
    return **account;
  }

  // Returns the kinds of Ann's events, oldest first.
  std::vector<std::string> EventKinds() {
    absl::StatusOr<std::vector<AccountEvent>> events =
        store->ListEvents(Account().account_id, {}, 50);
    REQUIRE(events.ok());
    std::vector<std::string> kinds;
    for (auto it = events->rbegin(); it != events->rend(); ++it) kinds.push_back(it->kind);
    return kinds;
  }

  pp::TempDir dir;
  pp::FakeClock clock;
  FakeNotifier notifier;
  std::unique_ptr<IdentityStore> store;
  std::unique_ptr<IdentityService> service;
};

ForgotPasswordForm AnnReset() {
  return {"ANN.smith@example.com", "ann.smith@example.com", "EH11YZ", "1985-04-23"};
}

}  // namespace

TEST_CASE("registration emails a one-time password") {
  Fixture f;
  REQUIRE(f.service->Register(Ann()).ok());
  REQUIRE(f.notifier.sent.size() == 1);
  const Email& email = f.notifier.sent[0];
  // Sent to the address as typed; looked up in lower case.
  CHECK(email.to == "Ann.Smith@Example.com");
  CHECK(absl::StartsWith(email.idempotency_key, "register:acc-"));
  // An account message of notification's one-time password kind, in the
  // parent's message history, and valid for 24 hours.
  CHECK(email.kind == notification::ONE_TIME_PASSWORD);
  CHECK(email.template_data.at("parent_name") == "Ann");
  CHECK(email.template_data.at("expires_at") == "2026-12-05T12:00:00+00:00");

  std::string password = OneTimePassword(email);
  REQUIRE(password.size() == 12);
  CHECK(password.find_first_of("01IOilo") == std::string::npos);

  AccountRecord account = f.Account();
  CHECK(account.email_as_typed == "Ann.Smith@Example.com");
  CHECK(account.postcode == "EH1 1YZ");
  CHECK(account.password_sent);
  CHECK(account.password_hash.empty());
  CHECK(absl::StartsWith(account.one_time_password_hash, "$argon2id$"));
  CHECK_FALSE(absl::StrContains(account.one_time_password_hash, password));
  CHECK(email.idempotency_key == "register:" + account.account_id);
  CHECK(email.account_id == account.account_id);
}

TEST_CASE("one-time passwords differ each time") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) seen.insert(NewOneTimePassword());
  CHECK(seen.size() == 200);
}

TEST_CASE("registration rejects an invalid field") {
  Fixture f;
  RegistrationForm form = Ann();
  form.date_of_birth = "2020-01-01";
  absl::Status status = f.service->Register(form);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "date_of_birth: You must be 12 or over to register");
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
  CHECK(warning.to == "Ann.Smith@Example.com");
  CHECK(warning.kind == notification::REGISTRATION_ATTEMPT);
  CHECK(warning.account_id == f.Account().account_id);
  // The owner's name, not the name the other registration gave.
  CHECK(warning.template_data.at("parent_name") == "Ann");
  CHECK(OneTimePassword(warning).empty());
  CHECK(absl::StartsWith(warning.idempotency_key, "register-attempt:acc-"));
  CHECK(absl::EndsWith(warning.idempotency_key, ":2026-12-04"));

  // The first password still works.
  CHECK(f.service->SignIn(kUsername, password).ok());
}

TEST_CASE("registration sent twice sends one email") {
  Fixture f;
  std::string password = f.RegisterAnn();
  // The same form again, as a double click or a resent form delivers it,
  // with the spelling a browser might change.
  RegistrationForm again = Ann();
  again.postcode = "EH1 1YZ";
  again.email = " ann.smith@example.com ";
  f.clock.Advance(absl::Minutes(59));
  CHECK(f.service->Register(again).ok());
  CHECK(f.notifier.sent.size() == 1);
  CHECK(f.service->SignIn(kUsername, password).ok());
}

TEST_CASE("registration repeated later still warns") {
  struct Case {
    const char* name;
    std::function<void(Fixture&, RegistrationForm&)> change;
  };
  const Case cases[] = {
      {"another first name", [](Fixture&, RegistrationForm& form) { form.forename = "Anne"; }},
      {"another date of birth",
       [](Fixture&, RegistrationForm& form) { form.date_of_birth = "1985-04-24"; }},
      {"an hour later", [](Fixture& f, RegistrationForm&) { f.clock.Advance(absl::Hours(1)); }},
      {"after the one-time password was used",
       [](Fixture& f, RegistrationForm&) {
         REQUIRE(f.service->SignIn(kUsername, OneTimePassword(f.notifier.sent[0])).ok());
       }},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    Fixture f;
    f.RegisterAnn();
    RegistrationForm again = Ann();
    test.change(f, again);
    CHECK(f.service->Register(again).ok());
    REQUIRE(f.notifier.sent.size() == 2);
    CHECK(f.notifier.sent[1].kind == notification::REGISTRATION_ATTEMPT);
  }
}

TEST_CASE("registration leaves no account when email is down") {
  Fixture f;
  f.notifier.failing = true;
  absl::Status status = f.service->Register(Ann());
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  absl::StatusOr<std::optional<AccountRecord>> account = f.store->FindAccountByEmail(kUsername);
  REQUIRE(account.ok());
  CHECK_FALSE(account->has_value());

  // A retry once it is back creates the account and sends the password.
  f.notifier.failing = false;
  std::string password = f.RegisterAnn();
  CHECK(f.service->SignIn(kUsername, password).ok());
}

TEST_CASE("abandoned unsent account is replaced") {
  Fixture f;
  AccountRecord stale;
  stale.account_id = "acc-stale";
  stale.forename = "Ann";
  stale.surname = "Smith";
  stale.email = kUsername;
  stale.postcode = "EH1 1YZ";
  stale.gender = "female";
  stale.date_of_birth = "1985-04-23";
  stale.one_time_password_hash = "x";
  stale.created_at = f.clock.Now();
  REQUIRE(f.store->InsertAccountUnlessTaken(stale, f.clock.Now()).ok());

  // Within the timeout, a registration in flight is left alone.
  REQUIRE(f.service->Register(Ann()).ok());
  CHECK(absl::StartsWith(f.notifier.sent.back().idempotency_key, "register-attempt:acc-stale"));

  f.clock.Advance(kUnsentAccountTimeout + absl::Seconds(1));
  std::string password = f.RegisterAnn();
  CHECK_FALSE(absl::StrContains(f.notifier.sent.back().idempotency_key, "acc-stale"));
  CHECK(f.service->SignIn(kUsername, password).ok());
}

TEST_CASE("one-time password leads to a password change") {
  Fixture f;
  std::string password = f.RegisterAnn();
  absl::StatusOr<SignInResult> result = f.service->SignIn(" ANN.smith@example.com ", password);
  REQUIRE(result.ok());
  CHECK(result->session.must_change_password);
  CHECK(result->session.account.email == kUsername);
  // 16 random bytes in unpadded base64url.
  CHECK(result->session_token.size() == 22);

  absl::StatusOr<SessionInfo> session = f.service->GetSession(result->session_token);
  REQUIRE(session.ok());
  CHECK(session->must_change_password);
}

TEST_CASE("one-time password works only once") {
  Fixture f;
  std::string password = f.RegisterAnn();
  REQUIRE(f.service->SignIn(kUsername, password).ok());
  absl::StatusOr<SignInResult> again = f.service->SignIn(kUsername, password);
  CHECK(again.status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("one-time password expires after 24 hours") {
  Fixture f;
  std::string password = f.RegisterAnn();
  f.clock.Advance(absl::Hours(24) - absl::Seconds(1));
  CHECK(f.service->SignIn(kUsername, password).ok());

  Fixture g;
  password = g.RegisterAnn();
  g.clock.Advance(absl::Hours(24));
  CHECK(g.service->SignIn(kUsername, password).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("sign-in failures read the same") {
  Fixture f;
  f.ActiveAnn();
  absl::StatusOr<SignInResult> wrong = f.service->SignIn(kUsername, "wrong");
  absl::StatusOr<SignInResult> unknown = f.service->SignIn("bob@example.com", kAnnPassword);
  CHECK(wrong.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(unknown.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(wrong.status().message() == unknown.status().message());
}

TEST_CASE("unknown username locks like a known one") {
  Fixture f;
  f.ActiveAnn();
  absl::Status known;
  absl::Status unknown;
  for (int i = 0; i < kFailuresBeforeLock; ++i) {
    known = f.service->SignIn(kUsername, "wrong").status();
    unknown = f.service->SignIn("bob@example.com", "wrong").status();
  }
  CHECK(known.code() == absl::StatusCode::kResourceExhausted);
  CHECK(unknown.code() == absl::StatusCode::kResourceExhausted);
  CHECK(known.message() == unknown.message());
}

TEST_CASE("lock doubles from one minute to two hours") {
  Fixture f;
  f.ActiveAnn();
  for (int i = 0; i < kFailuresBeforeLock - 1; ++i) {
    CHECK(f.service->SignIn(kUsername, "wrong").status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
  absl::Status fifth = f.service->SignIn(kUsername, "wrong").status();
  CHECK(fifth.code() == absl::StatusCode::kResourceExhausted);
  CHECK(absl::StrContains(fifth.message(), "Wait 1 minute "));
  REQUIRE(RetryDelay(fifth).has_value());
  CHECK(*RetryDelay(fifth) == absl::Minutes(1));

  // Each lock is twice the last, up to two hours.
  const int expected_minutes[] = {1, 2, 4, 8, 16, 32, 64, 120, 120};
  const char* expected_waits[] = {"1 minute",         "2 minutes",  "4 minutes",
                                  "8 minutes",        "16 minutes", "32 minutes",
                                  "1 hour 4 minutes", "2 hours",    "2 hours"};
  for (size_t i = 0; i < std::size(expected_minutes); ++i) {
    absl::Duration lock = absl::Minutes(expected_minutes[i]);
    INFO("lock " << i << " of " << expected_minutes[i] << " minutes");
    f.clock.Advance(lock - absl::Seconds(1));
    absl::Status waiting = f.service->SignIn(kUsername, kAnnPassword).status();
    CHECK(waiting.code() == absl::StatusCode::kResourceExhausted);
    CHECK(RetryDelay(waiting) == absl::Seconds(1));
    f.clock.Advance(absl::Seconds(1));
    if (i + 1 < std::size(expected_minutes)) {
      absl::Status next = f.service->SignIn(kUsername, "wrong").status();
      CHECK(next.code() == absl::StatusCode::kResourceExhausted);
      CHECK(absl::StrContains(next.message(),
                              absl::StrCat("Wait ", expected_waits[i + 1], " before")));
    }
  }
  CHECK(f.service->SignIn(kUsername, kAnnPassword).ok());
  // A success clears the count: four more failures do not lock.
  for (int i = 0; i < kFailuresBeforeLock - 1; ++i) {
    CHECK(f.service->SignIn(kUsername, "wrong").status().code() ==
          absl::StatusCode::kUnauthenticated);
  }
}

TEST_CASE("lock survives a restart") {
  Fixture f;
  f.ActiveAnn();
  for (int i = 0; i < kFailuresBeforeLock; ++i) (void)f.service->SignIn(kUsername, "wrong");
  f.Open();
  CHECK(f.service->SignIn(kUsername, kAnnPassword).status().code() ==
        absl::StatusCode::kResourceExhausted);
  f.clock.Advance(kFirstLock);
  CHECK(f.service->SignIn(kUsername, kAnnPassword).ok());
}

TEST_CASE("unstored failure is not revealed") {
  Fixture fixture;
  fixture.ActiveAnn();
  // A trigger makes the store reject every failure written from now on, as
  // a full disk or a broken file would.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((fixture.dir.Path("data") + "/identity.db").c_str(), &db) == SQLITE_OK);
  const char* reject =
      "CREATE TRIGGER reject_insert BEFORE INSERT ON sign_in_throttles "
      "BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END;"
      "CREATE TRIGGER reject_update BEFORE UPDATE ON sign_in_throttles "
      "BEGIN SELECT RAISE(ABORT, 'rejected by the test'); END;";
  REQUIRE(sqlite3_exec(db, reject, nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  // More guesses than the lock allows: no response reveals a wrong password.
  for (int guess = 0; guess < 2 * kFailuresBeforeLock; ++guess) {
    absl::StatusOr<SignInResult> signed_in =
        fixture.service->SignIn(kUsername, "wrong guess " + std::to_string(guess));
    CHECK(signed_in.status().code() == absl::StatusCode::kUnavailable);
  }
  absl::StatusOr<SignInResult> right = fixture.service->SignIn(kUsername, kAnnPassword);
  REQUIRE(right.ok());
  absl::StatusOr<std::string> changed =
      fixture.service->ChangePassword(right->session_token, "wrong guess", "a new passphrase 42");
  CHECK(changed.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("failures are forgotten after a quiet day") {
  Fixture f;
  f.ActiveAnn();
  for (int i = 0; i < kFailuresBeforeLock - 1; ++i) (void)f.service->SignIn(kUsername, "wrong");
  f.clock.Advance(kFailureMemory);
  CHECK(f.service->SignIn(kUsername, "wrong").status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("password reset keeps the old password until used") {
  Fixture f;
  f.ActiveAnn();
  size_t before = f.notifier.sent.size();
  REQUIRE(f.service->ForgotPassword(AnnReset(), "198.51.100.7").ok());
  REQUIRE(f.notifier.sent.size() == before + 1);
  const Email& reset = f.notifier.sent.back();
  CHECK(reset.to == "Ann.Smith@Example.com");
  CHECK(reset.kind == notification::PASSWORD_RESET);
  CHECK(reset.account_id == f.Account().account_id);
  CHECK(reset.template_data.at("expires_at") == "2026-12-05T12:00:00+00:00");
  std::string one_time = OneTimePassword(reset);
  REQUIRE(one_time.size() == 12);

  // Someone else asking for a reset does not lock the owner out.
  absl::StatusOr<SignInResult> owner = f.service->SignIn(kUsername, kAnnPassword);
  REQUIRE(owner.ok());
  CHECK_FALSE(owner->session.must_change_password);

  absl::StatusOr<SignInResult> reset_session = f.service->SignIn(kUsername, one_time);
  REQUIRE(reset_session.ok());
  CHECK(reset_session->session.must_change_password);
  // Using the one-time password ends the old password and other sessions.
  CHECK(f.service->SignIn(kUsername, kAnnPassword).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->GetSession(owner->session_token).status().code() ==
        absl::StatusCode::kUnauthenticated);

  absl::StatusOr<std::string> changed = f.service->ChangePassword(
      reset_session->session_token, one_time, "a different long passphrase");
  REQUIRE(changed.ok());
  CHECK(f.service->SignIn(kUsername, "a different long passphrase").ok());
  CHECK_FALSE(f.service->SignIn(kUsername, one_time).ok());
}

TEST_CASE("password reset ends a lock") {
  Fixture f;
  f.ActiveAnn();
  for (int i = 0; i < kFailuresBeforeLock; ++i) (void)f.service->SignIn(kUsername, "wrong");
  REQUIRE(f.service->ForgotPassword(AnnReset()).ok());
  std::string one_time = OneTimePassword(f.notifier.sent.back());

  absl::StatusOr<SignInResult> reset_session = f.service->SignIn(kUsername, one_time);
  REQUIRE(reset_session.ok());
  CHECK(f.service->ChangePassword(reset_session->session_token, one_time, "another long phrase")
            .ok());
  CHECK(f.service->SignIn(kUsername, "another long phrase").ok());
}

TEST_CASE("forgot password answers the same for wrong details") {
  Fixture f;
  f.ActiveAnn();
  size_t before = f.notifier.sent.size();
  std::vector<ForgotPasswordForm> wrong(5, AnnReset());
  wrong[0].username = "bob@example.com";
  wrong[1].email = "ann@example.com";
  wrong[2].postcode = "EH1 1YY";
  wrong[3].date_of_birth = "1985-04-24";
  wrong[4].username = "bob@example.com";
  wrong[4].email = "bob@example.com";
  for (const ForgotPasswordForm& form : wrong) {
    INFO("username " << form.username << " email " << form.email << " postcode " << form.postcode
                     << " date " << form.date_of_birth);
    CHECK(f.service->ForgotPassword(form).ok());
  }
  CHECK(f.notifier.sent.size() == before);
  CHECK(f.service->ForgotPassword(AnnReset()).ok());
  CHECK(f.notifier.sent.size() == before + 1);

  // Another request while that one-time password is new sends nothing more.
  CHECK(f.service->ForgotPassword(AnnReset()).ok());
  CHECK(f.notifier.sent.size() == before + 1);
  f.clock.Advance(kResetEmailInterval);
  CHECK(f.service->ForgotPassword(AnnReset()).ok());
  CHECK(f.notifier.sent.size() == before + 2);
}

TEST_CASE("forgot password rejects fields that are not valid") {
  Fixture f;
  ForgotPasswordForm form = AnnReset();
  form.postcode = "EH!1 1YZ";
  absl::Status status = f.service->ForgotPassword(form);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StartsWith(status.message(), "postcode "));
  form = AnnReset();
  form.username = "ann";
  CHECK(absl::StartsWith(f.service->ForgotPassword(form).message(), "username "));
}

TEST_CASE("forgot username emails only a full match") {
  Fixture f;
  f.ActiveAnn();
  size_t before = f.notifier.sent.size();
  ForgotUsernameForm form{"ann.smith@EXAMPLE.com", "eh1 1yz", "female", "1985-04-23"};
  ForgotUsernameForm wrong_gender = form;
  wrong_gender.gender = "male";
  ForgotUsernameForm unknown = form;
  unknown.email = "bob@example.com";
  CHECK(f.service->ForgotUsername(wrong_gender).ok());
  CHECK(f.service->ForgotUsername(unknown).ok());
  CHECK(f.notifier.sent.size() == before);

  CHECK(f.service->ForgotUsername(form).ok());
  REQUIRE(f.notifier.sent.size() == before + 1);
  const Email& reminder = f.notifier.sent.back();
  CHECK(reminder.to == "Ann.Smith@Example.com");
  CHECK(reminder.kind == notification::USERNAME_REMINDER);
  CHECK(reminder.account_id == f.Account().account_id);
  CHECK(reminder.template_data.at("username") == "ann.smith@example.com");
}

// A notifier that keeps each email back until the test releases it.
class BlockingNotifier : public Notifier {
 public:
  absl::Status SendEmail(const Email& email) override {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(&released_));
    sent_.push_back(email);
    return absl::OkStatus();
  }
  void Release() {
    absl::MutexLock lock(&mutex_);
    released_ = true;
  }
  size_t SentCount() {
    absl::MutexLock lock(&mutex_);
    return sent_.size();
  }

 private:
  absl::Mutex mutex_;
  bool released_ = false;
  std::vector<Email> sent_;
};

TEST_CASE("forgot password does not wait for the email") {
  Fixture f;
  f.ActiveAnn();
  BlockingNotifier blocking;
  WorkPool mail_pool(1);
  IdentityService service(*f.store, f.clock, blocking, kOperatorToken, FastArgon2CostForTests(),
                          nullptr, &mail_pool);
  // Returns while the email is still held, so a match returns as soon as
  // a mismatch does.
  REQUIRE(service.ForgotPassword(AnnReset()).ok());
  CHECK(blocking.SentCount() == 0);
  blocking.Release();
}

TEST_CASE("change password gives a new session token") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> first = f.service->SignIn(kUsername, one_time);
  REQUIRE(first.ok());

  absl::StatusOr<std::string> token =
      f.service->ChangePassword(first->session_token, one_time, kAnnPassword);
  REQUIRE(token.ok());
  CHECK(*token != first->session_token);
  CHECK(f.service->GetSession(first->session_token).status().code() ==
        absl::StatusCode::kUnauthenticated);
  absl::StatusOr<SessionInfo> kept = f.service->GetSession(*token);
  REQUIRE(kept.ok());
  CHECK_FALSE(kept->must_change_password);

  // The account holder is sent an email.
  const Email& told = f.notifier.sent.back();
  CHECK(told.to == "Ann.Smith@Example.com");
  CHECK(told.kind == notification::PASSWORD_CHANGED);
  CHECK(told.account_id == f.Account().account_id);
  CHECK(told.template_data.at("changed_at") == "2026-12-04T12:00:00+00:00");
  for (const auto& [key, value] : told.template_data) {
    CHECK_FALSE(absl::StrContains(value, kAnnPassword));
  }
}

TEST_CASE("change password ends other sessions") {
  Fixture f;
  std::string token = f.ActiveAnn();
  absl::StatusOr<SignInResult> other = f.service->SignIn(kUsername, kAnnPassword);
  REQUIRE(other.ok());
  absl::StatusOr<std::string> renewed =
      f.service->ChangePassword(token, kAnnPassword, "a second long passphrase");
  REQUIRE(renewed.ok());
  CHECK(f.service->GetSession(other->session_token).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->GetSession(*renewed).ok());
  CHECK_FALSE(f.service->SignIn(kUsername, kAnnPassword).ok());
  CHECK(f.service->SignIn(kUsername, "a second long passphrase").ok());
}

TEST_CASE("change password rejects weak or wrong input") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> session = f.service->SignIn(kUsername, one_time);
  REQUIRE(session.ok());
  const std::string& token = session->session_token;

  struct Case {
    std::string current;
    std::string next;
    const char* message_start;
  };
  const Case cases[] = {
      {"not-the-password", kAnnPassword,
       "current_password does not match the password you signed in with"},
      {one_time, "short", "new_password must be at least 12 characters long"},
      {one_time, "elevenchars", "new_password must be at least 12 characters long"},
      {one_time, std::string(257, 'a'), "new_password is longer than 256 characters"},
      {one_time, "Ann.Smith@example.com", "new_password must not be your email address"},
      {one_time, one_time, "new_password must be different from your current password"},
      {one_time, "password1234", "new_password is too easy to guess because it is mostly a"},
      {one_time, "xdr5tgbhu8ik", "new_password is too easy to guess because it contains a row"},
      {one_time, "abcdefghijklmn", "new_password is too easy to guess because it contains a seq"},
      {one_time, "zzzzzzzzzzzzzzzz", "new_password is too easy to guess because it repeats"},
      {one_time, "ann.smith@example1",
       "new_password is too easy to guess because it contains your"},
      {one_time, "EH11YZ eh11yz", "new_password is too easy to guess because"},
      {one_time, std::string("abc\0defghijklmnop", 17), "new_password contains a NUL"},
  };
  for (const Case& c : cases) {
    INFO("expected: " << c.message_start);
    absl::StatusOr<std::string> status = f.service->ChangePassword(token, c.current, c.next);
    CHECK(status.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StartsWith(status.status().message(), c.message_start));
  }
  CHECK(f.service->ChangePassword("unknown", one_time, kAnnPassword).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->GetSession(token)->must_change_password);
}

TEST_CASE("long passwords without rules are accepted") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> session = f.service->SignIn(kUsername, one_time);
  REQUIRE(session.ok());
  // 128 characters, lower case only: no composition rule applies.
  std::string long_password;
  for (int i = 0; i < 16; ++i) long_password += crypto::RandomString(8, "abcdefghijkmnpqrstuvwxyz");
  REQUIRE(long_password.size() == 128);
  absl::StatusOr<std::string> changed =
      f.service->ChangePassword(session->session_token, one_time, long_password);
  REQUIRE(changed.ok());
  CHECK(f.service->SignIn(kUsername, long_password).ok());
}

TEST_CASE("raised cost rehashes at next sign-in") {
  Fixture f;
  f.ActiveAnn();
  std::string old_hash = f.Account().password_hash;
  Argon2Cost raised = FastArgon2CostForTests();
  raised.passes += 1;
  CHECK(NeedsRehash(old_hash, raised));

  f.Open(raised);
  REQUIRE(f.service->SignIn(kUsername, kAnnPassword).ok());
  std::string new_hash = f.Account().password_hash;
  CHECK(new_hash != old_hash);
  CHECK_FALSE(NeedsRehash(new_hash, raised));
  CHECK(f.service->SignIn(kUsername, kAnnPassword).ok());
}

TEST_CASE("standard cost meets the minimum") {
  Argon2Cost cost = StandardArgon2Cost();
  CHECK(cost.passes >= 2);
  CHECK(cost.memory_bytes >= size_t{19} * 1024 * 1024);
  Argon2Cost interactive = InteractiveArgon2Cost();
  CHECK(interactive.passes >= cost.passes);
  CHECK(interactive.memory_bytes > cost.memory_bytes);
}

TEST_CASE("cost names map to costs") {
  absl::StatusOr<Argon2Cost> standard = Argon2CostNamed("standard");
  REQUIRE(standard.ok());
  CHECK(standard->memory_bytes == StandardArgon2Cost().memory_bytes);
  absl::StatusOr<Argon2Cost> interactive = Argon2CostNamed("interactive");
  REQUIRE(interactive.ok());
  CHECK(interactive->memory_bytes == size_t{64} * 1024 * 1024);
  CHECK(Argon2CostNamed("fast").ok());
  for (const char* wrong : {"", "Standard", "cheap", "interactive "}) {
    CAPTURE(wrong);
    CHECK(Argon2CostNamed(wrong).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("interactive hashes are replaced under the standard cost") {
  Argon2Cost standard = StandardArgon2Cost();
  absl::StatusOr<std::string> interactive_hash =
      HashPassword("correct horse battery", InteractiveArgon2Cost());
  REQUIRE(interactive_hash.ok());
  CHECK(VerifyPassword(*interactive_hash, "correct horse battery"));
  CHECK(NeedsRehash(*interactive_hash, standard));
  absl::StatusOr<std::string> standard_hash = HashPassword("correct horse battery", standard);
  REQUIRE(standard_hash.ok());
  CHECK_FALSE(NeedsRehash(*standard_hash, standard));
  CHECK(NeedsRehash(*standard_hash, InteractiveArgon2Cost()));
}

namespace {

// Returns the salt field of an Argon2id hash string.
std::string SaltField(const std::string& hash) {
  std::vector<std::string> parts = absl::StrSplit(hash, '$');
  return parts.size() == 6 ? parts[4] : "";
}

}  // namespace

TEST_CASE("hashes sharing a salt verify") {
  Argon2Cost fast = FastArgon2CostForTests();
  absl::StatusOr<std::string> password = HashPassword("correct horse battery", fast);
  REQUIRE(password.ok());
  absl::StatusOr<std::string> one_time = HashPasswordWithSaltOf("K7MPQ2XRTW9A", fast, *password);
  REQUIRE(one_time.ok());

  // libsodium reads the shared hash as one of its own.
  CHECK(VerifyPassword(*one_time, "K7MPQ2XRTW9A"));
  CHECK_FALSE(VerifyPassword(*one_time, "correct horse battery"));
  CHECK_FALSE(NeedsRehash(*one_time, fast));
  CHECK(SaltField(*one_time) == SaltField(*password));
  CHECK_FALSE(SaltField(*password).empty());

  CHECK(MatchPassword("correct horse battery", {*password, *one_time}) ==
        std::vector<bool>{true, false});
  CHECK(MatchPassword("K7MPQ2XRTW9A", {*password, *one_time}) == std::vector<bool>{false, true});
  CHECK(MatchPassword("K7MPQ2XRTW9", {*password, *one_time}) == std::vector<bool>{false, false});
  CHECK(MatchPassword("correct horse battery", {"", *password}) == std::vector<bool>{false, true});
}

TEST_CASE("salt is shared only at the same cost") {
  Argon2Cost fast = FastArgon2CostForTests();
  Argon2Cost raised = fast;
  raised.passes += 1;
  absl::StatusOr<std::string> password = HashPassword("correct horse battery", fast);
  REQUIRE(password.ok());

  absl::StatusOr<std::string> raised_hash =
      HashPasswordWithSaltOf("K7MPQ2XRTW9A", raised, *password);
  REQUIRE(raised_hash.ok());
  CHECK(SaltField(*raised_hash) != SaltField(*password));
  CHECK_FALSE(NeedsRehash(*raised_hash, raised));
  CHECK(MatchPassword("K7MPQ2XRTW9A", {*password, *raised_hash}) == std::vector<bool>{false, true});

  absl::StatusOr<std::string> unsalted = HashPasswordWithSaltOf("K7MPQ2XRTW9A", fast, "");
  REQUIRE(unsalted.ok());
  CHECK(VerifyPassword(*unsalted, "K7MPQ2XRTW9A"));
  absl::StatusOr<std::string> from_garbage =
      HashPasswordWithSaltOf("K7MPQ2XRTW9A", fast, "$argon2id$v=19$m=8,t=1,p=1$!!$!!");
  REQUIRE(from_garbage.ok());
  CHECK(VerifyPassword(*from_garbage, "K7MPQ2XRTW9A"));
}

TEST_CASE("other hash formats still match") {
  // An Argon2i hash, which this service does not make, is left to libsodium.
  char argon2i[crypto_pwhash_STRBYTES];
  REQUIRE(crypto_pwhash_str_alg(argon2i, "correct horse", 13, crypto_pwhash_OPSLIMIT_MIN + 2,
                                crypto_pwhash_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2I13) == 0);
  CHECK(MatchPassword("correct horse", {argon2i}) == std::vector<bool>{true});
  CHECK(MatchPassword("correct horses", {argon2i}) == std::vector<bool>{false});
  CHECK(MatchPassword("correct horse", {"not a hash", "$argon2id$v=19$m=8,t=1,p=1$$"}) ==
        std::vector<bool>{false, false});
}

TEST_CASE("reset shares the password's salt") {
  Fixture f;
  f.ActiveAnn();
  REQUIRE(f.service->ForgotPassword(AnnReset(), "198.51.100.7").ok());
  AccountRecord account = f.Account();
  CHECK(SaltField(account.one_time_password_hash) == SaltField(account.password_hash));
  std::string one_time = OneTimePassword(f.notifier.sent.back());
  CHECK(f.service->SignIn(kUsername, kAnnPassword).ok());
  CHECK(f.service->SignIn(kUsername, one_time).ok());
}

TEST_CASE("change during a reset ends the reset") {
  Fixture f;
  std::string token = f.ActiveAnn();
  REQUIRE(f.service->ForgotPassword(AnnReset(), "198.51.100.7").ok());
  std::string one_time = OneTimePassword(f.notifier.sent.back());
  absl::StatusOr<std::string> changed =
      f.service->ChangePassword(token, kAnnPassword, "a different long passphrase");
  REQUIRE(changed.ok());

  CHECK(f.Account().one_time_password_hash.empty());
  CHECK(f.service->SignIn(kUsername, one_time).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(f.service->SignIn(kUsername, "a different long passphrase").ok());
}

TEST_CASE("sign-in lock does not stop a change") {
  Fixture f;
  std::string token = f.ActiveAnn();
  for (int i = 0; i < kFailuresBeforeLock; ++i) (void)f.service->SignIn(kUsername, "wrong");
  REQUIRE(f.service->SignIn(kUsername, kAnnPassword).status().code() ==
          absl::StatusCode::kResourceExhausted);

  CHECK(f.service->ChangePassword(token, kAnnPassword, "a different long passphrase").ok());
}

TEST_CASE("change guesses lock only the change") {
  Fixture f;
  std::string token = f.ActiveAnn();
  for (int i = 1; i < kFailuresBeforeLock; ++i) {
    CHECK(f.service->ChangePassword(token, "wrong guess", "a different long passphrase")
              .status()
              .code() == absl::StatusCode::kInvalidArgument);
  }
  absl::Status locked =
      f.service->ChangePassword(token, "wrong guess", "a different long passphrase").status();
  CHECK(locked.code() == absl::StatusCode::kResourceExhausted);
  // The message is about the form's current password, not the sign-in.
  CHECK(locked.message() ==
        "current_password: Too many wrong current passwords were entered. Wait 1 minute before "
        "you try again.");
  CHECK(RetryDelay(locked) == kFirstLock);
  absl::Status still =
      f.service->ChangePassword(token, kAnnPassword, "a different long passphrase").status();
  CHECK(still.code() == absl::StatusCode::kResourceExhausted);
  CHECK(absl::StartsWith(still.message(), "current_password: Too many wrong current passwords"));
  CHECK(f.service->SignIn(kUsername, kAnnPassword).ok());

  // Once the lock ends, the right password changes it and clears the count.
  f.clock.Advance(kFirstLock);
  REQUIRE(f.service->ChangePassword(token, kAnnPassword, "a different long passphrase").ok());
  CHECK(f.store->FindThrottle("change-password:" + f.Account().account_id)->has_value() == false);
}

TEST_CASE("pasted one-time password signs in") {
  Fixture f;
  std::string one_time = f.RegisterAnn();
  absl::StatusOr<SignInResult> first = f.service->SignIn(kUsername, " " + one_time + "\n");
  REQUIRE(first.ok());
  CHECK(first->session.must_change_password);
  CHECK(f.service->ChangePassword(first->session_token, one_time + " ", kAnnPassword).ok());
  // A chosen password keeps its spaces.
  CHECK_FALSE(f.service->SignIn(kUsername, std::string(kAnnPassword) + " ").ok());
}

TEST_CASE("change without a reset takes a new salt") {
  Fixture f;
  std::string token = f.ActiveAnn();
  std::string before = f.Account().password_hash;
  REQUIRE(f.service->ChangePassword(token, kAnnPassword, "a different long passphrase").ok());
  CHECK(SaltField(f.Account().password_hash) != SaltField(before));
}

TEST_CASE("account events record what happened") {
  Fixture f;
  std::string token = f.ActiveAnn();
  (void)f.service->SignIn(kUsername, "wrong", "203.0.113.9");
  for (int i = 1; i < kFailuresBeforeLock; ++i) (void)f.service->SignIn(kUsername, "wrong");
  f.clock.Advance(kFirstLock);
  REQUIRE(f.service->ForgotPassword(AnnReset(), "203.0.113.10").ok());

  std::vector<std::string> expected = {
      kEventRegistered,   kEventSignedIn,      kEventPasswordChanged, kEventSignInFailed,
      kEventSignInFailed, kEventSignInFailed,  kEventSignInFailed,    kEventSignInFailed,
      kEventLocked,       kEventResetRequested};
  CHECK(f.EventKinds() == expected);

  absl::StatusOr<std::vector<AccountEvent>> events = f.service->ListAccountEvents(token, 20);
  REQUIRE(events.ok());
  REQUIRE(events->size() == expected.size());
  CHECK(events->front().kind == kEventResetRequested);
  CHECK(events->front().source_address == "203.0.113.10");
  CHECK(events->front().at == f.clock.Now());
  CHECK(events->back().kind == kEventRegistered);
  CHECK(events->back().source_address == "192.0.2.1");
  CHECK(f.service->ListAccountEvents("unknown", 20).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("session ends after 30 idle minutes") {
  Fixture f;
  std::string token = f.ActiveAnn();
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
  std::string token = f.ActiveAnn();
  for (int i = 0; i < 24; ++i) {
    f.clock.Advance(absl::Minutes(29));
    REQUIRE(f.service->GetSession(token).ok());
  }
  f.clock.Advance(kSessionMax - absl::Minutes(29 * 24));
  CHECK(f.service->GetSession(token).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("new token keeps the session's 12 hours") {
  Fixture f;
  std::string token = f.ActiveAnn();
  f.clock.Advance(absl::Minutes(20));
  absl::StatusOr<std::string> renewed =
      f.service->ChangePassword(token, kAnnPassword, "a second long passphrase");
  REQUIRE(renewed.ok());
  for (int i = 0; i < 24; ++i) {
    f.clock.Advance(absl::Minutes(29));
    (void)f.service->GetSession(*renewed);
  }
  f.clock.Advance(kSessionMax - absl::Minutes(29 * 24 + 20));
  CHECK(f.service->GetSession(*renewed).status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("sign-out ends the session") {
  Fixture f;
  std::string token = f.ActiveAnn();
  REQUIRE(f.service->SignOut(token).ok());
  CHECK(f.service->GetSession(token).status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(f.service->SignOut(token).ok());
  CHECK(f.service->SignOut("").ok());
  CHECK(f.service->GetSession("").status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("operator token missing or wrong") {
  Fixture f;
  absl::Status missing = f.service->IssueSchoolToken("", "5300011").status();
  CHECK(missing.code() == absl::StatusCode::kUnauthenticated);
  CHECK(missing.message() ==
        "IssueSchoolToken needs the operator token in the authorization metadata, as "
        "\"Bearer <token>\"");

  absl::Status wrong = f.service->IssueSchoolToken("guess", "5300011").status();
  CHECK(wrong.code() == absl::StatusCode::kUnauthenticated);
  CHECK(wrong.message() ==
        "the operator token was not accepted: it does not match the operator-token file of this "
        "identity service");
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
