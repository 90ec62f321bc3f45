// Identity's gRPC wiring against a real notification server, both on
// loopback ports picked by the kernel.
#include "identity_grpc.h"

#include <grpcpp/client_context.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "notification_grpc.h"
#include "operator_token.h"
#include "server/server.h"
#include "templates.h"
#include "testing/temp_dir.h"

namespace pp::identity {
namespace {

namespace messages = parentsportal::notification::v1;

// Returns the password on the "One-time password: " line of an .eml file,
// whose lines end in CRLF.
std::string OneTimePasswordIn(const std::string& eml) {
  for (absl::string_view line : absl::StrSplit(eml, "\r\n")) {
    if (absl::ConsumePrefix(&line, "One-time password: ")) return std::string(line);
  }
  return "";
}

// Both services, wired as the binaries wire them.
struct Servers {
  Servers() : clock(absl::FromUnixSeconds(1796400000)) {
    auto notification_opened = notification::NotificationStore::Open(dir.Path("notification"));
    REQUIRE(notification_opened.ok());
    notification_store = std::move(*notification_opened);
    sender = std::make_unique<notification::FileSender>(
        dir.Path("outbox"), "Parents Portal <no-reply@parentsportal.localhost>");
    absl::TimeZone london;
    REQUIRE(absl::LoadTimeZone("Europe/London", &london));
    auto loaded = notification::Templates::Load(PP_TEMPLATE_DIR, london);
    REQUIRE(loaded.ok());
    templates = std::make_unique<notification::Templates>(std::move(*loaded));
    notification_service = std::make_unique<notification::NotificationService>(
        *notification_store, clock, *sender, nullptr, notification::DeliveryPolicy{},
        templates.get());
    notification_grpc =
        std::make_unique<notification::NotificationsGrpc>(*notification_service, pool);
    auto started =
        StartGrpcServer({"127.0.0.1:0", {notification_grpc.get()}, nullptr}, &notification_port);
    REQUIRE(started.ok());
    notification_server = std::move(*started);
    notification_stub = messages::Notifications::NewStub(
        MakeChannel(absl::StrCat("127.0.0.1:", notification_port)));

    auto token = LoadOrCreateOperatorToken(dir.Path("operator-token"));
    REQUIRE(token.ok());
    operator_token = token->token;
    auto identity_opened = IdentityStore::Open(dir.Path("identity"));
    REQUIRE(identity_opened.ok());
    identity_store = std::move(*identity_opened);
    notifier =
        std::make_unique<GrpcNotifier>(MakeChannel(absl::StrCat("127.0.0.1:", notification_port)));
    identity_service = std::make_unique<IdentityService>(
        *identity_store, clock, *notifier, operator_token, FastArgon2CostForTests(), nullptr);
    identity_grpc = std::make_unique<IdentityGrpc>(*identity_service, pool, password_pool);
    int identity_port = 0;
    started = StartGrpcServer({"127.0.0.1:0", {identity_grpc.get()}, nullptr}, &identity_port);
    REQUIRE(started.ok());
    identity_server = std::move(*started);
    stub = v1::Identity::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", identity_port)));
  }

  ~Servers() {
    if (identity_server) DrainAndStop(*identity_server, absl::Seconds(1));
    if (notification_server) DrainAndStop(*notification_server, absl::Seconds(1));
  }

  void StopNotification() {
    DrainAndStop(*notification_server, absl::Seconds(1));
    notification_server.reset();
  }

  pp::TempDir dir;
  pp::FakeClock clock;
  pp::WorkPool pool{2};
  WorkPool password_pool{1, 4};
  std::unique_ptr<notification::NotificationStore> notification_store;
  std::unique_ptr<notification::FileSender> sender;
  std::unique_ptr<notification::Templates> templates;
  std::unique_ptr<notification::NotificationService> notification_service;
  std::unique_ptr<notification::NotificationsGrpc> notification_grpc;
  std::unique_ptr<grpc::Server> notification_server;
  int notification_port = 0;
  std::unique_ptr<messages::Notifications::Stub> notification_stub;

  std::string operator_token;
  std::unique_ptr<IdentityStore> identity_store;
  std::unique_ptr<GrpcNotifier> notifier;
  std::unique_ptr<IdentityService> identity_service;
  std::unique_ptr<IdentityGrpc> identity_grpc;
  std::unique_ptr<grpc::Server> identity_server;
  std::unique_ptr<v1::Identity::Stub> stub;
};

v1::RegisterRequest Registration() {
  v1::RegisterRequest request;
  request.set_forename("Siobhán");
  request.set_surname("Ó Ceallaigh");
  request.set_email("siobhan@example.com");
  request.set_postcode("dd1 4hn");
  request.set_gender("female");
  request.set_date_of_birth("1984-07-02");
  return request;
}

}  // namespace

TEST_CASE("parent registers and signs in over gRPC") {
  Servers s;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::RegisterResponse response;
    grpc::Status status = s.stub->Register(&context, Registration(), &response);
    REQUIRE(status.error_message() == "");
    REQUIRE(status.ok());
  }

  // Notification stores the email and delivers it in the background; here
  // the test delivers it.
  REQUIRE(*s.notification_service->DeliverDue() == 1);
  std::string eml = pp::ReadFile(s.dir.Path("outbox/msg-000000000001.eml"));
  CHECK(absl::StrContains(eml, "To: siobhan@example.com\r\n"));
  std::string password = OneTimePasswordIn(eml);
  REQUIRE(password.size() == 12);

  v1::SignInRequest sign_in;
  sign_in.set_username("Siobhan@Example.com");
  sign_in.set_password(password);
  v1::SignInResponse signed_in;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    REQUIRE(s.stub->SignIn(&context, sign_in, &signed_in).ok());
  }
  CHECK(signed_in.must_change_password());
  CHECK(signed_in.account().forename() == "Siobhán");
  CHECK(signed_in.account().postcode() == "DD1 4HN");
  CHECK(absl::StartsWith(signed_in.account().account_id(), "acc-"));

  // The parent chooses texts only for every kind that allows a choice;
  // account messages still go by email.
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    messages::Preferences texts_only;
    texts_only.set_account_id(signed_in.account().account_id());
    for (auto kind : {messages::LINK_REQUESTED, messages::LINK_APPROVED, messages::LINK_REJECTED}) {
      messages::KindPreference* preference = texts_only.add_kinds();
      preference->set_kind(kind);
      preference->set_sms(true);
    }
    messages::Preferences stored;
    REQUIRE(s.notification_stub->SetPreferences(&context, texts_only, &stored).ok());
  }

  v1::ChangePasswordRequest change;
  change.set_session_token(signed_in.session_token());
  change.set_current_password(password);
  change.set_new_password("a much better password");
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::ChangePasswordResponse response;
    REQUIRE(s.stub->ChangePassword(&context, change, &response).ok());
    CHECK(response.session_token().size() == 22);
    signed_in.set_session_token(response.session_token());
  }

  v1::GetSessionRequest get;
  get.set_session_token(signed_in.session_token());
  v1::GetSessionResponse session;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    REQUIRE(s.stub->GetSession(&context, get, &session).ok());
  }
  CHECK_FALSE(session.must_change_password());
  CHECK(session.account().email() == "siobhan@example.com");

  // Both emails are in the parent's message history, by email.
  messages::ListMessagesRequest list;
  list.set_account_id(session.account().account_id());
  messages::ListMessagesResponse history;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    REQUIRE(s.notification_stub->ListMessages(&context, list, &history).ok());
  }
  REQUIRE(history.messages_size() == 2);
  CHECK(history.messages(0).kind() == messages::PASSWORD_CHANGED);
  CHECK(history.messages(1).kind() == messages::ONE_TIME_PASSWORD);
  for (const messages::Message& message : history.messages()) {
    CHECK(message.channel() == messages::EMAIL);
    CHECK(message.recipient() == "siobhan@example.com");
  }

  v1::SignOutRequest sign_out;
  sign_out.set_session_token(signed_in.session_token());
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::SignOutResponse response;
    REQUIRE(s.stub->SignOut(&context, sign_out, &response).ok());
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    CHECK(s.stub->GetSession(&context, get, &session).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
}

TEST_CASE("registration is unavailable while notification is down") {
  Servers s;
  s.StopNotification();
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  v1::RegisterResponse response;
  grpc::Status status = s.stub->Register(&context, Registration(), &response);
  CHECK(status.error_code() == grpc::StatusCode::UNAVAILABLE);
  auto account = s.identity_store->FindAccountByEmail("siobhan@example.com");
  REQUIRE(account.ok());
  CHECK_FALSE(account->has_value());
}

TEST_CASE("invalid registration field is reported by name") {
  Servers s;
  v1::RegisterRequest request = Registration();
  request.set_postcode("not a postcode");
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  v1::RegisterResponse response;
  grpc::Status status = s.stub->Register(&context, request, &response);
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  CHECK(absl::StartsWith(status.error_message(), "postcode "));
}

TEST_CASE("registration check names every field and creates nothing") {
  Servers s;
  v1::RegisterRequest request = Registration();
  request.set_surname("");
  request.set_postcode("not a postcode");
  request.set_date_of_birth("2020-01-01");
  request.set_validate_only(true);
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::RegisterResponse response;
    grpc::Status status = s.stub->Register(&context, request, &response);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    // The lines cross gRPC's status header intact.
    CHECK(status.error_message() ==
          "surname is missing\n"
          "postcode is not a UK postcode, such as EH1 1YZ or SW1A 2AA\n"
          "date_of_birth: You must be 12 or over to register");
  }

  // A valid form passes the check without an account or an email.
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::RegisterRequest valid = Registration();
    valid.set_validate_only(true);
    v1::RegisterResponse response;
    grpc::Status status = s.stub->Register(&context, valid, &response);
    CHECK(status.error_message() == "");
    CHECK(status.ok());
  }
  auto account = s.identity_store->FindAccountByEmail("siobhan@example.com");
  REQUIRE(account.ok());
  CHECK_FALSE(account->has_value());
  CHECK(*s.notification_service->DeliverDue() == 0);
}

TEST_CASE("password storm leaves session checks served") {
  Servers s;
  // Fill the password pool: one item running on its thread, four waiting.
  absl::Mutex mutex;
  bool released = false;
  bool running = false;
  auto hold = [&] {
    absl::MutexLock lock(&mutex);
    running = true;
    mutex.Await(absl::Condition(&released));
  };
  REQUIRE(s.password_pool.TrySubmit(hold));
  {
    absl::MutexLock lock(&mutex);
    mutex.Await(absl::Condition(&running));
  }
  for (int i = 0; i < 4; ++i) REQUIRE(s.password_pool.TrySubmit(hold));

  v1::SignInRequest sign_in;
  sign_in.set_username("siobhan@example.com");
  sign_in.set_password("a guess at the password");
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::SignInResponse response;
    grpc::Status status = s.stub->SignIn(&context, sign_in, &response);
    CHECK(status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    v1::GetSessionRequest get;
    get.set_session_token("not-a-session");
    v1::GetSessionResponse response;
    CHECK(s.stub->GetSession(&context, get, &response).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }

  absl::MutexLock lock(&mutex);
  released = true;
}

TEST_CASE("bounded work pool turns work away when full") {
  WorkPool pool(1, 1);
  absl::Mutex mutex;
  bool released = false;
  int started = 0;
  auto hold = [&] {
    absl::MutexLock lock(&mutex);
    ++started;
    mutex.Await(absl::Condition(&released));
  };
  REQUIRE(pool.TrySubmit(hold));
  {
    absl::MutexLock lock(&mutex);
    mutex.Await(absl::Condition(
        +[](int* count) { return *count == 1; }, &started));
  }
  CHECK(pool.TrySubmit(hold));
  CHECK_FALSE(pool.TrySubmit(hold));

  absl::MutexLock lock(&mutex);
  released = true;
  mutex.Await(absl::Condition(
      +[](int* count) { return *count == 2; }, &started));
}

TEST_CASE("school token needs operator bearer metadata") {
  Servers s;
  v1::IssueSchoolTokenRequest issue;
  issue.set_seed_code("5300011");
  v1::IssueSchoolTokenResponse issued;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    CHECK(s.stub->IssueSchoolToken(&context, issue, &issued).error_code() ==
          grpc::StatusCode::UNAUTHENTICATED);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    context.AddMetadata("authorization", "Bearer " + s.operator_token);
    REQUIRE(s.stub->IssueSchoolToken(&context, issue, &issued).ok());
  }

  v1::CheckSchoolTokenRequest check;
  check.set_token(issued.token());
  v1::CheckSchoolTokenResponse checked;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    REQUIRE(s.stub->CheckSchoolToken(&context, check, &checked).ok());
  }
  CHECK(checked.seed_code() == "5300011");
}

TEST_CASE("operator token file is created once") {
  pp::TempDir dir;
  std::string path = dir.Path("operator-token");
  auto first = LoadOrCreateOperatorToken(path);
  REQUIRE(first.ok());
  CHECK(first->created);
  CHECK(first->token.size() == 43);
  struct stat info;
  REQUIRE(stat(path.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0600);

  auto second = LoadOrCreateOperatorToken(path);
  REQUIRE(second.ok());
  CHECK_FALSE(second->created);
  CHECK(second->token == first->token);

  dir.WriteFile("empty-token", "\n");
  CHECK(LoadOrCreateOperatorToken(dir.Path("empty-token")).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace pp::identity
