#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>

namespace {

// The HTTP/2 connection preface and an empty SETTINGS frame: what a gRPC
// client sends first.
std::string Http2Preface() {
  std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  preface.append(std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9));
  return preface;
}

}  // namespace

TEST_CASE("stop closes idle client connections") {
  int port = 0;
  auto server = pp::StartGrpcServer({"127.0.0.1:0", {}, nullptr}, &port);
  REQUIRE(server.ok());

  // A client that opens a connection, then reads nothing until the server
  // has stopped, like a gRPC client with no call in flight whose poller is
  // asleep. It never acknowledges the server's GOAWAY.
  int client = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{30, 0};
  setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  std::string preface = Http2Preface();
  REQUIRE(send(client, preface.data(), preface.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(preface.size()));
  char buffer[4096];
  REQUIRE(recv(client, buffer, sizeof(buffer), 0) > 0);

  // With no call in flight the stop returns without waiting out the grace
  // period, which is far longer than the test's timeout.
  pp::DrainAndStop(**server, absl::Hours(1));

  // The server closed the connection: the reads end rather than time out.
  ssize_t received;
  do {
    received = recv(client, buffer, sizeof(buffer), 0);
  } while (received > 0);
  bool timed_out = received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  CHECK_FALSE(timed_out);
  close(client);
}
