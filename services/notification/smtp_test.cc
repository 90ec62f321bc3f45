// SMTP delivery against a real SMTP server on loopback, with and without
// STARTTLS and login, and the notification binary killed with SIGKILL in
// the middle of a batch.
#include <grpcpp/client_context.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "parentsportal/notification.grpc.pb.h"
#include "server/server.h"
#include "smtp_sender.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace pp::notification {

namespace v1 = parentsportal::notification::v1;
using testing::ChildProcess;
using testing::FreePort;
using testing::SmtpSink;
using testing::SmtpSinkOptions;

namespace {

const char kFrom[] = "Parents Portal <no-reply@parentsportal.localhost>";

OutboxMessage Email(int64_t id, std::string recipient) {
  OutboxMessage message;
  message.id = id;
  message.channel = Channel::kEmail;
  message.recipient = std::move(recipient);
  message.subject = "Gàidhlig: fàilte";
  message.body = "Security code: 482913\n";
  message.html_body = "<p>Security code: <strong>482913</strong></p>\n";
  message.created_at = absl::FromUnixSeconds(1796400000);
  return message;
}

// Returns the Message-ID header of each message.
std::vector<std::string> MessageIds(const std::vector<std::string>& messages) {
  std::vector<std::string> ids;
  std::regex header("Message-ID: <([^>]+)>");
  for (const std::string& text : messages) {
    std::smatch match;
    ids.push_back(std::regex_search(text, match, header) ? match[1].str() : "");
  }
  return ids;
}

// Waits up to `timeout` for `done`, checking every 20 ms.
template <typename Condition>
bool WaitFor(Condition done, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace

TEST_CASE("smtp sender delivers MIME to a real server") {
  pp::TempDir dir;
  SmtpSink sink(dir.Path("mail"));
  SmtpSender sender({sink.url(), false, "", "", kFrom});

  REQUIRE(sender.Deliver(Email(3, "parent@example.com")).ok());
  REQUIRE(sender.Deliver(Email(4, "other@example.com")).ok());
  std::vector<std::string> received = sink.Messages();
  REQUIRE(received.size() == 2);
  const std::string& text = received[0];
  CHECK(absl::StrContains(text, "To: parent@example.com\r\n"));
  CHECK(absl::StrContains(text, "Subject: =?UTF-8?B?"));
  CHECK(absl::StrContains(text, "Message-ID: <msg-000000000003@parentsportal.localhost>"));
  CHECK(absl::StrContains(text, "Content-Type: multipart/alternative;"));
  CHECK(absl::StrContains(text, "Security code: 482913"));
  CHECK(MessageIds(received)[1] == "msg-000000000004@parentsportal.localhost");
}

TEST_CASE("smtp replies split into temporary and permanent") {
  pp::TempDir dir;
  SmtpSink sink(dir.Path("mail"));
  SmtpSender sender({sink.url(), false, "", "", kFrom});

  absl::Status later = sender.Deliver(Email(5, "temp-fail@example.com"));
  CHECK(later.code() == absl::StatusCode::kUnavailable);
  absl::Status never = sender.Deliver(Email(6, "perm-fail@example.com"));
  CHECK(never.code() == absl::StatusCode::kInvalidArgument);
  // The sender recovers after a failed transaction.
  CHECK(sender.Deliver(Email(7, "parent@example.com")).ok());
  CHECK(sink.Messages().size() == 1);

  SmtpSender nowhere({"smtp://127.0.0.1:" + std::to_string(FreePort()), false, "", "", kFrom});
  CHECK(nowhere.Deliver(Email(8, "parent@example.com")).code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("smtp sender logs in over STARTTLS") {
  for (const char* mechanism : {"PLAIN", "LOGIN"}) {
    SECTION(mechanism) {
      pp::TempDir dir;
      SmtpSink sink(dir.Path("mail"),
                    SmtpSinkOptions{0, dir.Path("tls"), "mailer:correct horse", mechanism});
      SmtpOptions options{sink.url(), true, "mailer", "correct horse", kFrom};
      options.ca_file = sink.certificate_file();
      SmtpSender sender(options);

      absl::Status sent = sender.Deliver(Email(9, "parent@example.com"));
      REQUIRE(sent.message() == "");
      REQUIRE(sent.ok());
      std::vector<std::string> sessions = sink.Sessions();
      REQUIRE(sessions.size() == 1);
      CHECK(absl::StartsWith(sessions[0], "tls=TLSv1."));
      CHECK(absl::StrContains(sessions[0], "login=mailer\n"));
      REQUIRE(sink.Messages().size() == 1);
      CHECK(MessageIds(sink.Messages())[0] == "msg-000000000009@parentsportal.localhost");
    }
  }
}

TEST_CASE("smtp wrong password fails temporarily") {
  pp::TempDir dir;
  SmtpSink sink(dir.Path("mail"), SmtpSinkOptions{0, dir.Path("tls"), "mailer:correct horse"});
  SmtpOptions wrong{sink.url(), true, "mailer", "wrong horse", kFrom};
  wrong.ca_file = sink.certificate_file();

  // Every message would fail alike until the operator fixes the password,
  // so the message waits in the outbox rather than failing for good.
  absl::Status refused = SmtpSender(wrong).Deliver(Email(10, "parent@example.com"));
  CHECK(refused.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(refused.message(), "Login denied"));
  CHECK_FALSE(absl::StrContains(refused.message(), "wrong horse"));
  CHECK(sink.Messages().empty());

  SmtpOptions fixed = wrong;
  fixed.password = "correct horse";
  CHECK(SmtpSender(fixed).Deliver(Email(10, "parent@example.com")).ok());
  CHECK(sink.Messages().size() == 1);
}

TEST_CASE("smtp sender verifies the server certificate") {
  pp::TempDir dir;
  SmtpSink sink(dir.Path("mail"), SmtpSinkOptions{0, dir.Path("tls"), "mailer:correct horse"});
  // Without the sink's certificate as a trusted authority, the self-signed
  // certificate does not verify and the password is never sent.
  SmtpSender untrusting({sink.url(), true, "mailer", "correct horse", kFrom});

  absl::Status refused = untrusting.Deliver(Email(11, "parent@example.com"));
  CHECK(refused.code() == absl::StatusCode::kUnavailable);
  CHECK(sink.Messages().empty());
}

TEST_CASE("smtp missing STARTTLS fails temporarily") {
  pp::TempDir dir;

  // The server requires STARTTLS, and the sender is set up without it: the
  // server's 530 reply is about our settings, not about the message.
  SmtpSink secure(dir.Path("secure"), SmtpSinkOptions{0, dir.Path("tls")});
  absl::Status refused =
      SmtpSender({secure.url(), false, "", "", kFrom}).Deliver(Email(12, "parent@example.com"));
  CHECK(refused.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(refused.message(), "530"));

  // The sender requires STARTTLS, and the server does not offer it.
  SmtpSink plain(dir.Path("plain"));
  refused = SmtpSender({plain.url(), true, "", "", kFrom}).Deliver(Email(13, "parent@example.com"));
  CHECK(refused.code() == absl::StatusCode::kUnavailable);
  CHECK(plain.Messages().empty());
}

TEST_CASE("smtp options keep the password encrypted") {
  struct Case {
    SmtpOptions options;
    bool valid;
  };
  const Case cases[] = {
      {{"smtp://127.0.0.1:25", false, "", "", kFrom}, true},
      {{"smtp://127.0.0.1:25", true, "mailer", "secret", kFrom}, true},
      {{"smtps://127.0.0.1:465", false, "mailer", "secret", kFrom}, true},
      {{"smtp://127.0.0.1:25", false, "mailer", "secret", kFrom}, false},
      {{"smtp://mailer:secret@127.0.0.1:25", false, "", "", kFrom}, false},
      {{"smtp://mailer:secret@127.0.0.1:25", true, "", "", kFrom}, true},
      {{"smtp://127.0.0.1:25/client@example.com", false, "", "", kFrom}, true},
      {{"smtps://127.0.0.1:465", true, "", "", kFrom}, false},
      {{"http://127.0.0.1:25", false, "", "", kFrom}, false},
  };
  for (const Case& c : cases) {
    INFO(c.options.url << " starttls=" << c.options.starttls << " user=" << c.options.username);
    CHECK(CheckSmtpOptions(c.options).ok() == c.valid);
  }
}

TEST_CASE("binary sends over STARTTLS with login settings") {
  pp::TempDir dir;
  SmtpSink sink(dir.Path("mail"), SmtpSinkOptions{0, dir.Path("tls"), "mailer:correct horse"});
  int grpc_port = FreePort();
  ChildProcess notification(
      {
          PP_NOTIFICATION_BINARY,
          "--data_dir=" + dir.Path("data"),
          absl::StrCat("--grpc_address=127.0.0.1:", grpc_port),
          absl::StrCat("--metrics_address=127.0.0.1:", FreePort()),
          "--smtp_url=" + sink.url(),
          "--smtp_starttls=1",
          "--smtp_username=mailer",
          "--smtp_ca_file=" + sink.certificate_file(),
      },
      {{"PP_SMTP_PASSWORD", "correct horse"}});

  auto stub = v1::Notifications::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", grpc_port)));
  v1::SendRequest request;
  request.set_channel(v1::EMAIL);
  request.set_to("parent@example.com");
  request.set_subject("Over TLS");
  request.set_body("Hello");
  request.set_idempotency_key("tls/1");
  v1::SendResponse response;
  grpc::ClientContext context;
  context.set_wait_for_ready(true);
  SetDeadline(context, absl::Seconds(10));
  REQUIRE(stub->Send(&context, request, &response).ok());

  REQUIRE(WaitFor([&] { return sink.Messages().size() == 1; }, absl::Seconds(20)));
  CHECK(MessageIds(sink.Messages())[0] == response.message_id() + "@parentsportal.localhost");
  std::vector<std::string> sessions = sink.Sessions();
  REQUIRE(sessions.size() == 1);
  CHECK(absl::StartsWith(sessions[0], "tls=TLSv1."));
  CHECK(absl::StrContains(sessions[0], "login=mailer\n"));
  notification.Stop(SIGTERM);
}

TEST_CASE("kill mid-batch loses no message") {
  constexpr int kMessages = 120;
  pp::TempDir dir;
  // 20 ms per message makes the batch take a few seconds.
  SmtpSink sink(dir.Path("mail"), 0.02);
  int grpc_port = FreePort();
  std::vector<std::string> argv = {
      PP_NOTIFICATION_BINARY,
      "--data_dir=" + dir.Path("data"),
      absl::StrCat("--grpc_address=127.0.0.1:", grpc_port),
      absl::StrCat("--metrics_address=127.0.0.1:", FreePort()),
      "--smtp_url=" + sink.url(),
      "--delivery_threads=1",
  };
  auto notification = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{});

  // Queue the batch over gRPC.
  auto stub = v1::Notifications::NewStub(MakeChannel(absl::StrCat("127.0.0.1:", grpc_port)));
  std::vector<std::string> ids;
  for (int i = 0; i < kMessages; ++i) {
    v1::SendRequest request;
    request.set_channel(v1::EMAIL);
    request.set_to(absl::StrCat("parent", i, "@example.com"));
    request.set_subject("Batch");
    request.set_body(absl::StrCat("Message ", i));
    request.set_idempotency_key(absl::StrCat("batch/", i));
    v1::SendResponse response;
    grpc::ClientContext context;
    context.set_wait_for_ready(true);
    SetDeadline(context, absl::Seconds(10));
    grpc::Status status = stub->Send(&context, request, &response);
    REQUIRE(status.ok());
    ids.push_back(response.message_id());
  }

  // Kill it once part of the batch has arrived.
  REQUIRE(WaitFor([&] { return sink.Messages().size() >= 20; }, absl::Seconds(30)));
  notification->Stop(SIGKILL);
  size_t before_restart = sink.Messages().size();
  INFO("delivered before the kill: " << before_restart);
  REQUIRE(before_restart < kMessages);

  // The restarted binary finishes the batch.
  notification = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{});
  auto all_sent = [&] {
    for (const std::string& id : {ids.front(), ids.back()}) {
      v1::GetMessageRequest get;
      get.set_message_id(id);
      v1::Message message;
      grpc::ClientContext context;
      context.set_wait_for_ready(true);
      SetDeadline(context, absl::Seconds(5));
      if (!stub->GetMessage(&context, get, &message).ok() || message.state() != v1::SENT) {
        return false;
      }
    }
    return sink.Messages().size() >= kMessages;
  };
  REQUIRE(WaitFor(all_sent, absl::Seconds(60)));
  notification->Stop(SIGTERM);

  std::vector<std::string> received = MessageIds(sink.Messages());
  std::set<std::string> distinct(received.begin(), received.end());
  CHECK(distinct.size() == kMessages);
  for (const std::string& id : ids) {
    CHECK(distinct.count(id + "@parentsportal.localhost") == 1);
  }
  // Only the message in flight at the kill may arrive twice.
  CHECK(received.size() <= kMessages + 1);
}

}  // namespace pp::notification
