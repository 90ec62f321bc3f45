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
#include "crypto/crypto.h"
#include "gateway/fake_clients.h"
#include "gateway/gateway.h"
#include "gateway/pages.h"

namespace pp::gateway {

// A pp_csrf cookie of the form the gateway issues.
inline constexpr char kTestCsrf[] = "csrf-token-for-tests-aaaaaaaaaaaaaaaaaaaaaa";
// The CSRF key and the portal origin every test gateway uses.
inline constexpr char kTestCsrfKey[] = "csrf-key-for-tests";
inline constexpr char kTestOrigin[] = "http://portal.test";

// Returns the csrf_token field that matches a browser with the session
// cookie `session`, or when it is empty, with the pp_csrf cookie kTestCsrf.
inline std::string TestCsrfField(const std::string& session = "") {
  if (!session.empty()) return crypto::HmacSha256(kTestCsrfKey, "csrf session\n" + session);
  return crypto::HmacSha256(kTestCsrfKey, std::string("csrf browser\n") + kTestCsrf);
}

// Loads the templates and assets of this build, which every test gateway
// serves.
// The session cookie value under which SignedInFakes signs a parent in.
inline constexpr char kTestSession[] = "session-1";

// Fake services with one parent signed in under kTestSession: Aoife
// O'Neill, account-1, aoife@example.com, postcode DD1 4HN. Tests add their
// own children, events and messages.
struct SignedInFakes {
  FakeIdentityClient identity;
  FakeLinksClient links;
  FakeCalendarClient calendar;
  FakeHandoffClient handoff;
  FakeNotificationsClient notifications;

  SignedInFakes() {
    identity::GetSessionResponse session;
    identity::Account* account = session.mutable_account();
    account->set_account_id("account-1");
    account->set_forename("Aoife");
    account->set_surname("O'Neill");
    account->set_email("aoife@example.com");
    account->set_postcode("DD1 4HN");
    identity.sessions[kTestSession] = session;
  }
  ServiceClients clients() { return {&identity, &links, &calendar, &handoff, &notifications}; }
};

inline const Templates& TestTemplates() {
  static const Templates* templates = Templates::Load(PP_GATEWAY_TEMPLATES_DIR)->release();
  return *templates;
}
inline const Assets& TestAssets() {
  static const Assets* assets = Assets::Load(PP_GATEWAY_ASSETS_DIR)->release();
  return *assets;
}

// Returns a page context for rendering pages directly.
inline PageContext TestContext(std::string csrf_token = "t", std::string parent_name = "") {
  PageContext context;
  context.csrf_token = std::move(csrf_token);
  context.parent_name = std::move(parent_name);
  context.templates = &TestTemplates();
  context.assets = &TestAssets();
  return context;
}

class TestServer {
 public:
  // Serves a gateway over `clients`, whose fakes must outlive this object.
  // `clients.notifications` may be left null, and then this server's own
  // fake is used.
  explicit TestServer(ServiceClients clients, GatewayOptions options = TestOptions())
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 12, 4, 12, 0, 0), absl::UTCTimeZone())),
        metrics_(registry_),
        gateway_(WithNotifications(clients), clock_, metrics_, options, TestTemplates(),
                 TestAssets()) {
    gateway_.Register(server_);
    port_ = server_.bind_to_any_port("127.0.0.1");
    // The socket already listens, so clients may connect before the loop runs.
    serving_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TestServer() {
    server_.stop();
    serving_.join();
  }

  // The options of a test gateway: the test CSRF key and origin.
  static GatewayOptions TestOptions() {
    GatewayOptions options;
    options.csrf_key = kTestCsrfKey;
    options.origin = kTestOrigin;
    return options;
  }

  int port() const { return port_; }
  FakeNotificationsClient& notifications() { return notifications_; }
  // The gateway's clock. Its time changes only when a test advances it.
  FakeClock& clock() { return clock_; }
  // A client that does not follow redirects, so tests see each 303.
  httplib::Client Client() const { return httplib::Client("127.0.0.1", port_); }

 private:
  ServiceClients WithNotifications(ServiceClients clients) {
    if (clients.notifications == nullptr) clients.notifications = &notifications_;
    return clients;
  }

  FakeNotificationsClient notifications_;
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
