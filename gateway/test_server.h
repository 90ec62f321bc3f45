// A gateway over fake service clients, serving on a free port of
// 127.0.0.1 for the length of one test.
#ifndef PP_GATEWAY_TEST_SERVER_H_
#define PP_GATEWAY_TEST_SERVER_H_

#include <httplib.h>
#include <prometheus/registry.h>

#include <string>
#include <thread>

#include "absl/time/time.h"
#include "clock/clock.h"
#include "gateway/fake_clients.h"
#include "gateway/gateway.h"

namespace pp::gateway {

// A CSRF token of the form the gateway issues, for tests to send as both
// cookie and field.
inline constexpr char kTestCsrf[] = "csrf-token-for-tests-aaaaaaaaaaaaaaaaaaaaaa";

class TestServer {
 public:
  // Serves a gateway over `clients`, whose fakes must outlive this object.
  explicit TestServer(ServiceClients clients, GatewayOptions options = {})
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone())),
        metrics_(registry_),
        gateway_(clients, clock_, metrics_, options) {
    gateway_.Register(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    // The socket already listens, so clients may connect before the loop runs.
    serving_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TestServer() {
    server_.stop();
    serving_.join();
  }

  int port() const { return port_; }
  // A client that does not follow redirects, so tests see each 303.
  httplib::Client Client() const { return httplib::Client("127.0.0.1", port_); }

 private:
  FakeClock clock_;
  prometheus::Registry registry_;
  GatewayMetrics metrics_;
  Gateway gateway_;
  httplib::Server server_;
  int port_ = 0;
  std::thread serving_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_TEST_SERVER_H_
