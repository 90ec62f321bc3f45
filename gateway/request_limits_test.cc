// Requests the gateway refuses or trims before any handler runs: bodies
// without a Content-Length, too many headers, multi-range requests, and
// child ids that are not ids. Each case is an input the hostile-HTTP fault
// test (tests/faults/hostile_http.py) found getting through.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/test_server.h"

namespace pp::gateway {
namespace {

constexpr const char* kSession = kTestSession;

using Fakes = SignedInFakes;

TEST_CASE("chunked body is refused before it is read") {
  Fakes fakes;
  TestServer server(fakes.clients());

  // Only the head goes out, announcing a chunked body. Were the gateway to
  // wait for the body, the read below would time out instead of seeing 411.
  // With nothing unread on the gateway's side, its response cannot be lost to
  // a connection reset, as it could when the body was already on its way.
  int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(socket_fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  timeval timeout{10, 0};
  setsockopt(socket_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string head =
      "POST /sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/x-www-form-urlencoded\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  REQUIRE(send(socket_fd, head.data(), head.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(head.size()));
  std::string answer;
  char buffer[4096];
  while (answer.find("\r\n\r\n") == std::string::npos) {
    ssize_t got = recv(socket_fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    answer.append(buffer, static_cast<size_t>(got));
  }
  close(socket_fd);

  INFO(answer.substr(0, 200));
  CHECK(answer.rfind("HTTP/1.1 411 ", 0) == 0);
  CHECK(fakes.identity.calls == 0);
}

TEST_CASE("too many headers are refused") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  httplib::Headers headers;
  for (int i = 0; i < 150; ++i) headers.emplace(absl::StrCat("X-Filler-", i), "x");
  httplib::Result result = client.Get("/sign-in", headers);
  REQUIRE(result);
  CHECK(result->status == 431);

  headers.clear();
  for (int i = 0; i < 50; ++i) headers.emplace(absl::StrCat("X-Filler-", i), "x");
  result = client.Get("/sign-in", headers);
  REQUIRE(result);
  CHECK(result->status == 200);
}

TEST_CASE("many ranges get the whole page once") {
  Fakes fakes;
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();

  std::string ranges = "bytes=0-";
  for (int i = 0; i < 499; ++i) ranges += ",0-";
  httplib::Result ranged = client.Get("/healthz", {{"Range", ranges}});
  REQUIRE(ranged);
  CHECK(ranged->status == 200);
  CHECK(ranged->body == "ok");
  CHECK_FALSE(ranged->has_header("Content-Range"));
}

TEST_CASE("child id that is not an id is not found") {
  Fakes fakes;
  // Any call reaching the service would answer 500.
  fakes.links.outage = absl::InternalError("the service was called");
  TestServer server(fakes.clients());
  httplib::Client client = server.Client();
  httplib::Headers browser = {{"Cookie", absl::StrCat("pp_session=", kSession)}};

  for (const std::string& path : std::vector<std::string>{
           "/children/%c0%ae%c0%ae%c0%afetc%c0%afpasswd", "/children/%ff%fe",
           "/children/..%2f..%2fetc%2fpasswd", "/children/%c0%ae%c0%ae/calendar",
           "/children/" + std::string(65, 'a')}) {
    INFO(path);
    httplib::Result result = client.Get(path, browser);
    REQUIRE(result);
    CHECK(result->status == 404);
  }
}

}  // namespace
}  // namespace pp::gateway
