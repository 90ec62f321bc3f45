// The gateway on its DeadlineServer, driven over raw sockets: idle
// kept-alive connections give their threads up to waiting ones, and a
// request cut off by its deadline gets a 408 response.
#include "gateway/deadline_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

// A gateway over fake services, served by a DeadlineServer on a free port
// of 127.0.0.1.
class DeadlineGateway {
 public:
  DeadlineGateway(DeadlineServerOptions options, time_t keep_alive_seconds)
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone())),
        metrics_(registry_),
        gateway_(fakes_.clients(), clock_, metrics_, TestServer::TestOptions(), TestTemplates(),
                 TestAssets()),
        server_(options, [](const std::string&, absl::Duration) {}) {
    gateway_.Register(server_);
    server_.set_keep_alive_timeout(keep_alive_seconds);
    port_ = server_.bind_to_any_port("127.0.0.1");
    serving_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~DeadlineGateway() {
    server_.stop();
    serving_.join();
  }

  int port() const { return port_; }

 private:
  SignedInFakes fakes_;
  FakeClock clock_;
  prometheus::Registry registry_;
  GatewayMetrics metrics_;
  Gateway gateway_;
  DeadlineServer server_;
  int port_ = 0;
  std::thread serving_;
};

// A client socket connected to 127.0.0.1:`port`, whose reads give up after
// 30 seconds so that a server that never responds fails the test.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{30, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // True once the server has sent something or closed, within `ms`.
  bool AnswerWaiting(int ms) {
    pollfd target{fd_, POLLIN, 0};
    return poll(&target, 1, ms) > 0;
  }

  // Reads one response whose body ends at "</html>" or whose whole body
  // is the text "ok", or everything until the server closes.
  std::string ReadResponse() {
    std::string received;
    char buffer[4096];
    while (!absl::StrContains(received, "</html>") && !absl::EndsWith(received, "\r\n\r\nok")) {
      ssize_t count = recv(fd_, buffer, sizeof(buffer), 0);
      if (count <= 0) break;
      received.append(buffer, static_cast<size_t>(count));
    }
    return received;
  }

  // Reads until the server closes. Returns what arrived, and sets `reset`
  // when the connection ended with an error instead of a close.
  std::string ReadToEnd(bool* reset) {
    std::string received;
    char buffer[4096];
    *reset = false;
    while (true) {
      ssize_t count = recv(fd_, buffer, sizeof(buffer), 0);
      if (count == 0) break;
      if (count < 0) {
        *reset = true;
        break;
      }
      received.append(buffer, static_cast<size_t>(count));
    }
    return received;
  }

 private:
  int fd_;
  bool connected_ = false;
};

constexpr char kHealthRequest[] = "GET /healthz HTTP/1.1\r\nHost: portal.test\r\n\r\n";

TEST_CASE("second deadline server on a taken port fails") {
  DeadlineServer first(DeadlineServerOptions(), [](const std::string&, absl::Duration) {});
  const int port = first.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);

  DeadlineServer second(DeadlineServerOptions(), [](const std::string&, absl::Duration) {});
  CHECK_FALSE(second.bind_to_port("127.0.0.1", port));
}

TEST_CASE("idle kept-alive connection gives way to a waiting one") {
  // One thread, and a keep-alive wait far longer than the test: the second
  // client is served only if the idle connection gives its thread up.
  DeadlineServerOptions options;
  options.threads = 1;
  DeadlineGateway gateway(options, 3600);

  RawClient idle(gateway.port());
  REQUIRE(idle.connected());
  REQUIRE(idle.Send(kHealthRequest));
  std::string first = idle.ReadResponse();
  CHECK(absl::StartsWith(first, "HTTP/1.1 200"));
  CHECK_FALSE(absl::StrContains(first, "Connection: close"));

  RawClient waiting(gateway.port());
  REQUIRE(waiting.connected());
  REQUIRE(waiting.Send(kHealthRequest));
  CHECK(absl::StartsWith(waiting.ReadResponse(), "HTTP/1.1 200"));

  // The idle connection was closed by the server, not left open.
  bool reset = false;
  CHECK(idle.ReadToEnd(&reset).empty());
  CHECK_FALSE(reset);
}

TEST_CASE("kept-alive connection serves several requests when none wait") {
  DeadlineServerOptions options;
  options.threads = 2;
  DeadlineGateway gateway(options, 3600);

  RawClient client(gateway.port());
  REQUIRE(client.connected());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(client.Send(kHealthRequest));
    std::string response = client.ReadResponse();
    CHECK(absl::StartsWith(response, "HTTP/1.1 200"));
    CHECK_FALSE(absl::StrContains(response, "Connection: close"));
  }
}

// Sends `head` and then, like a parent on a very slow line, one more byte
// every 50 ms until the server responds. Returns everything the server sent.
std::string SendSlowly(int port, const std::string& head, bool* reset) {
  RawClient client(port);
  REQUIRE(client.connected());
  REQUIRE(client.Send(head));
  for (int i = 0; i < 600 && !client.AnswerWaiting(50); ++i) {
    if (!client.Send("x")) break;
  }
  return client.ReadToEnd(reset);
}

TEST_CASE("request cut off by its deadline gets 408") {
  DeadlineServerOptions options;
  options.request_deadline = absl::Seconds(1);
  DeadlineGateway gateway(options, 5);

  struct Case {
    const char* part;
    std::string head;
  };
  const Case cases[] = {
      {"request line", "POST /sign-in HT"},
      {"headers", "POST /sign-in HTTP/1.1\r\nHost: portal.test\r\nX-Slow: "},
      {"body", absl::StrCat("POST /sign-in HTTP/1.1\r\nHost: portal.test\r\n",
                            "Content-Type: application/x-www-form-urlencoded\r\n",
                            "Content-Length: 5000\r\n\r\nusername=")},
  };
  for (const Case& slow : cases) {
    SECTION(slow.part) {
      bool reset = false;
      std::string response = SendSlowly(gateway.port(), slow.head, &reset);
      CHECK(absl::StartsWith(response, "HTTP/1.1 408"));
      CHECK(absl::StrContains(response, "Connection: close"));
      CHECK(absl::StrContains(response, "took too long"));
      // The client kept sending after the response and still read all of it.
      CHECK_FALSE(reset);
    }
  }
}

}  // namespace
}  // namespace pp::gateway
