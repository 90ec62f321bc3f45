// The real gRPC clients against small in-test services on 127.0.0.1:0.
#include "gateway/grpc_clients.h"

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"
#include "server/server.h"

namespace pp::gateway {
namespace {

// One account, password "correct horse", whose first session must change
// its password, and one locked for 90 seconds.
class TinyIdentity : public identity::Identity::CallbackService {
 public:
  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* context,
                                   const identity::SignInRequest* request,
                                   identity::SignInResponse* response) override {
    grpc::Status status;
    if (request->username() == "aoife@example.com" && request->password() == "correct horse") {
      response->set_session_token("grpc-session");
      response->set_must_change_password(true);
      response->mutable_account()->set_account_id("account-1");
    } else if (request->username() == "locked@example.com") {
      status = ToGrpcStatus(
          WithRetryDelay(absl::ResourceExhaustedError("wait 2 minutes"), absl::Seconds(90)));
    } else {
      status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown username or password");
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  grpc::ServerUnaryReactor* GetSession(grpc::CallbackServerContext* context,
                                       const identity::GetSessionRequest* request,
                                       identity::GetSessionResponse* response) override {
    grpc::Status status;
    if (request->session_token() == "grpc-session") {
      response->mutable_account()->set_account_id("account-1");
      response->mutable_account()->set_forename("Aoife");
      response->set_must_change_password(true);
    } else {
      status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no such session");
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }
};

struct IdentityServer {
  TinyIdentity service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;

  IdentityServer() {
    absl::StatusOr<std::unique_ptr<grpc::Server>> started =
        StartGrpcServer(ServerOptions{"127.0.0.1:0", {&service}, nullptr}, &port);
    REQUIRE(started.ok());
    server = std::move(*started);
  }
  ~IdentityServer() { server->Shutdown(); }

  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
};

TEST_CASE("grpc identity client signs in") {
  IdentityServer identity_server;
  GrpcIdentityClient client(MakeChannel(identity_server.address()));

  identity::SignInRequest request;
  request.set_username("aoife@example.com");
  request.set_password("correct horse");
  absl::StatusOr<identity::SignInResponse> response = client.SignIn(request);
  REQUIRE(response.ok());
  CHECK(response->session_token() == "grpc-session");
  CHECK(response->must_change_password());
}

TEST_CASE("grpc client passes errors through") {
  IdentityServer identity_server;
  GrpcIdentityClient client(MakeChannel(identity_server.address()));

  identity::SignInRequest request;
  request.set_username("aoife@example.com");
  request.set_password("wrong");
  absl::StatusOr<identity::SignInResponse> response = client.SignIn(request);
  CHECK(response.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(response.status().message() == "unknown username or password");
}

TEST_CASE("grpc client keeps the retry delay") {
  IdentityServer identity_server;
  GrpcIdentityClient client(MakeChannel(identity_server.address()));

  identity::SignInRequest request;
  request.set_username("locked@example.com");
  request.set_password("any");
  absl::StatusOr<identity::SignInResponse> response = client.SignIn(request);
  CHECK(response.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK(response.status().message() == "wait 2 minutes");
  REQUIRE(RetryDelay(response.status()).has_value());
  CHECK(*RetryDelay(response.status()) == absl::Seconds(90));
}

TEST_CASE("unreachable service is unavailable") {
  // Port 1 on loopback has no listener, so the connection is refused.
  GrpcIdentityClient identity_client(MakeChannel("127.0.0.1:1"));
  absl::StatusOr<identity::GetSessionResponse> session =
      identity_client.GetSession(identity::GetSessionRequest());
  CHECK(session.status().code() == absl::StatusCode::kUnavailable);

  GrpcLinksClient links_client(MakeChannel("127.0.0.1:1"));
  CHECK(links_client.ListLinks(link::ListLinksRequest()).status().code() ==
        absl::StatusCode::kUnavailable);
}

TEST_CASE("unimplemented service keeps its code") {
  // The identity server does not serve Calendar.
  IdentityServer identity_server;
  GrpcCalendarClient calendar_client(MakeChannel(identity_server.address()));
  CHECK(calendar_client.ListEvents(calendar::ListEventsRequest()).status().code() ==
        absl::StatusCode::kUnimplemented);
}

TEST_CASE("gateway signs in over grpc") {
  IdentityServer identity_server;
  GrpcIdentityClient identity_client(MakeChannel(identity_server.address()));
  FakeLinksClient links;
  FakeCalendarClient calendar;
  FakeHandoffClient handoff;
  TestServer server({&identity_client, &links, &calendar, &handoff});
  httplib::Client client = server.Client();
  httplib::Headers browser{{"Cookie", absl::StrCat("pp_csrf=", kTestCsrf)}};

  httplib::Result wrong = client.Post("/sign-in", browser,
                                      httplib::Params{{"csrf_token", TestCsrfField()},
                                                      {"username", "aoife@example.com"},
                                                      {"password", "wrong"}});
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  httplib::Result signed_in = client.Post("/sign-in", browser,
                                          httplib::Params{{"csrf_token", TestCsrfField()},
                                                          {"username", "aoife@example.com"},
                                                          {"password", "correct horse"}});
  REQUIRE(signed_in);
  CHECK(signed_in->status == 303);
  CHECK(signed_in->get_header_value("Location") == "/change-password");
  CHECK(absl::StrContains(signed_in->get_header_value("Set-Cookie"), "pp_session=grpc-session"));

  httplib::Headers with_session{
      {"Cookie", absl::StrCat("pp_csrf=", kTestCsrf, "; pp_session=grpc-session")}};
  httplib::Result home = client.Get("/", with_session);
  REQUIRE(home);
  CHECK(home->status == 303);
  CHECK(home->get_header_value("Location") == "/change-password");
  httplib::Result change = client.Get("/change-password", with_session);
  REQUIRE(change);
  CHECK(change->status == 200);
}

}  // namespace
}  // namespace pp::gateway
