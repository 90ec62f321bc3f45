// A stand-in for a school payment provider, for local runs and tests only.
// It fetches the portal's key set and verifies each assertion as a provider
// must: signature, issuer, audience, expiry and single use. Then it shows a
// payment page and reports the outcome with a signed callback. No money
// moves.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_SANDBOX_PROVIDER_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_SANDBOX_PROVIDER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "clock/clock.h"
#include "jwt.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace pp::payments {

// A source of the portal's public keys.
class KeySource {
 public:
  virtual ~KeySource() = default;
  // Returns raw public keys by kid, or Unavailable.
  virtual absl::StatusOr<std::map<std::string, std::string>> FetchKeys() = 0;
};

// Fetches a JSON Web Key Set over HTTP.
class HttpKeySource : public KeySource {
 public:
  explicit HttpKeySource(std::string url) : url_(std::move(url)) {}
  absl::StatusOr<std::map<std::string, std::string>> FetchKeys() override;

 private:
  const std::string url_;
};

struct SandboxOptions {
  std::string provider_id;
  // The audience this provider accepts, and the issuer it trusts.
  std::string audience;
  std::string issuer;
  std::string callback_secret;
  // The portal's callback address, and where the browser goes afterwards.
  std::string callback_url;
  std::string return_url;
};

// The HTTP status and body of the portal's response to a callback.
struct CallbackResult {
  int http_status = 0;
  std::string body;
};

class SandboxProvider {
 public:
  // `keys` and `clock` must outlive the provider.
  SandboxProvider(SandboxOptions options, KeySource& keys, const Clock& clock);
  ~SandboxProvider();
  SandboxProvider(const SandboxProvider&) = delete;
  SandboxProvider& operator=(const SandboxProvider&) = delete;

  // Verifies an assertion and marks its jti used. Fails as VerifyAssertion
  // does, after fetching the key set again for an unknown kid, and with
  // AlreadyExists for a jti accepted before.
  absl::StatusOr<AssertionClaims> Accept(const std::string& token);

  // Posts the signed callback for an accepted hand-off. A second call for
  // the same hand-off sends the same event again, as a provider retrying
  // would. NotFound for a hand-off this sandbox never accepted;
  // InvalidArgument for an outcome other than paid, cancelled or failed;
  // Unavailable when the portal cannot be reached.
  absl::StatusOr<CallbackResult> Complete(const std::string& handoff_id,
                                          const std::string& outcome);

  // Listens on `address` (host:port; port 0 picks a free port) and serves
  // on a thread of its own:
  //   POST /pay           form field `token`: accepts it, shows the payment page
  //   POST /pay/complete  form fields `handoff_id` and `outcome`: sends the
  //                       callback and redirects (303) to the return URL
  // Returns the port bound, or Unavailable.
  absl::StatusOr<int> Start(const std::string& address);
  // Stops serving and waits for the thread.
  void Stop();

 private:
  // An accepted hand-off, kept until its token would have expired or its
  // callback was sent.
  struct Accepted {
    absl::Time expires_at;
    // The callback body once sent, so a retry sends the same event.
    std::string callback_body;
  };

  void HandlePay(const httplib::Request& request, httplib::Response& response);
  void HandleComplete(const httplib::Request& request, httplib::Response& response);
  absl::StatusOr<CallbackResult> PostCallback(const std::string& body);

  const SandboxOptions options_;
  KeySource& key_source_;
  const Clock& clock_;
  absl::Mutex mutex_;
  std::map<std::string, std::string> keys_ ABSL_GUARDED_BY(mutex_);
  absl::Time keys_fetched_at_ ABSL_GUARDED_BY(mutex_) = absl::InfinitePast();
  std::map<std::string, Accepted> accepted_ ABSL_GUARDED_BY(mutex_);
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_SANDBOX_PROVIDER_H_
