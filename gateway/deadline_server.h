// An HTTP server that disconnects clients too slow to send their requests.
//
// cpp-httplib 0.11 gives each connection a thread from a fixed pool and
// times out each read on its own, so a client that sends one header byte
// every few seconds keeps a thread for as long as it likes. A few hundred
// such clients leave no thread for parents. DeadlineServer gives each
// request a deadline for its whole head and body instead.
#ifndef PP_GATEWAY_DEADLINE_SERVER_H_
#define PP_GATEWAY_DEADLINE_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "absl/time/time.h"

namespace pp::gateway {

struct DeadlineServerOptions {
  // Threads serving connections. Each open connection takes one while it
  // sends a request or waits for its next one. Later connections queue.
  size_t threads = 64;
  // Time a client has to send a request's head and body, counted from the
  // moment the server accepted the connection, or for a later request on
  // a kept-alive connection, from that request's first byte. Time spent
  // waiting in the queue for a thread counts too, but bytes the client sent
  // before the deadline are still read, so a busy server does not cut off
  // clients that were fast.
  absl::Duration request_deadline = absl::Seconds(10);
  // The deadline instead while connections wait for a thread, so that
  // slow clients holding every thread give way to those waiting sooner.
  absl::Duration busy_request_deadline = absl::Seconds(2);
};

class DeadlineServer : public httplib::Server {
 public:
  // `on_cut_off` is called with the client's address and the deadline it
  // missed each time a client is disconnected, from the connection's thread.
  DeadlineServer(
      DeadlineServerOptions options,
      std::function<void(const std::string& address, absl::Duration deadline)> on_cut_off);

 private:
  // Serves the requests of one accepted connection, then closes it. Replaces
  // httplib's own loop, whose stream type is not part of its API.
  bool process_and_close_socket(socket_t sock) override;

  const DeadlineServerOptions options_;
  const std::function<void(const std::string&, absl::Duration)> on_cut_off_;
  // Connections accepted and waiting for a thread.
  std::atomic<int> waiting_{0};
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_DEADLINE_SERVER_H_
