// A stand-in for the school payment provider, for local use: it redeems a
// hand-off token in-process, shows who is paying, and completes the
// hand-off as paid when the parent submits the form. No money moves.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_PROVIDER_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_PROVIDER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "handoff_service.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace pp::payments {

class SandboxProvider {
 public:
  // `return_url` is where the browser goes after payment.
  SandboxProvider(HandoffService& service, std::string return_url);
  // Stops the server if it runs.
  ~SandboxProvider();
  SandboxProvider(const SandboxProvider&) = delete;
  SandboxProvider& operator=(const SandboxProvider&) = delete;

  // Listens on `address` (host:port; port 0 picks a free port) and serves
  // on a thread of its own:
  //   POST /pay           form field `token`: redeems it, shows the payment page
  //   POST /pay/complete  form field `handoff_id`: completes it as paid and
  //                       redirects (303) to the return URL
  // Returns the port bound. InvalidArgument for an address without a port;
  // Unavailable when it cannot be bound.
  absl::StatusOr<int> Start(const std::string& address);

  // Stops serving and waits for the thread. Requests in progress finish.
  void Stop();

 private:
  void HandlePay(const httplib::Request& request, httplib::Response& response);
  void HandleComplete(const httplib::Request& request, httplib::Response& response);

  HandoffService& service_;
  const std::string return_url_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Returns `text` with &, <, >, " and ' replaced by character references.
std::string EscapeHtml(const std::string& text);

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_SANDBOX_PROVIDER_H_
