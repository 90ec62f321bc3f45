// Start-up and shut-down shared by every gRPC binary: health checking and
// reflection on, RPC metrics counted, SIGTERM or SIGINT drains the server.
#ifndef PP_SERVER_SERVER_H_
#define PP_SERVER_SERVER_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/server.h>
#include <grpcpp/server_context.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/grpc_status.h"
#include "server/metrics.h"
#include "server/work_pool.h"

namespace pp {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// afterwards, so that WaitForStopSignal can receive them. Call it first in
// main, before any thread exists.
void BlockStopSignals();

// Logs each SIGHUP and otherwise ignores it, in a binary that has nothing
// to reload. By default SIGHUP ends a process without a log line. Call it
// in main right after BlockStopSignals, before any thread exists, because
// it blocks SIGHUP in the calling thread and the threads started later.
void IgnoreHangups(const std::string& binary);

// Waits until SIGTERM or SIGINT arrives and returns its number.
int WaitForStopSignal();

struct ServerOptions {
  // host:port; port 0 picks a free port.
  std::string address;
  std::vector<grpc::Service*> services;
  // Optional: counts RPCs when set.
  Metrics* metrics = nullptr;
  // The largest request message the server accepts, in bytes; 0 keeps
  // gRPC's default of 4 MiB. Larger requests fail with RESOURCE_EXHAUSTED.
  int max_receive_message_bytes = 0;
  // Optional: runs when a stop signal arrives, before the server drains.
  // Ends streams that would otherwise stay open through the grace period.
  std::function<void()> on_stop;
};

// Builds and starts a server with health checking and reflection. Fails
// with Unavailable when the address cannot be bound, which includes an
// address another process listens on, because the server does not set
// SO_REUSEPORT. `bound_port`, when given, receives the port actually bound.
absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(const ServerOptions& options,
                                                              int* bound_port = nullptr);

// Sets SO_REUSEADDR and not SO_REUSEPORT on an HTTP listening socket, so
// that binding fails while another socket listens on the same address.
// The default options of cpp-httplib (0.11.4 in Debian 12) set SO_REUSEPORT,
// which lets a second process bind the same port and take part of its
// connections. Pass it to httplib::Server::set_socket_options before binding.
void SetExclusiveListenerOptions(int socket);

// Marks the server as not serving, lets calls in flight finish for up to
// `grace`, cancels the rest and waits for the server to stop.
void DrainAndStop(grpc::Server& server, absl::Duration grace);

// Starts the server, logs where it listens, waits for SIGTERM or SIGINT and
// drains. Returns the process exit code: 0, or 1 when it could not start.
int ServeUntilStopped(const std::string& binary, const ServerOptions& options);

// While a call is open on a channel from MakeChannel, the client pings the
// server after each kKeepaliveTime without receiving data, and closes the
// connection when a ping is not acknowledged within kKeepaliveTimeout.
// Servers started here accept such pings.
inline constexpr absl::Duration kKeepaliveTime = absl::Seconds(10);
inline constexpr absl::Duration kKeepaliveTimeout = absl::Seconds(5);

// Returns a channel to another service on the same trusted network. A
// server that stops responding fails the channel's calls within about
// kKeepaliveTime plus kKeepaliveTimeout, however long their deadlines.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Sets the deadline every call to another service carries.
void SetDeadline(grpc::ClientContext& context, absl::Duration timeout);

// Runs `work` (returning absl::Status) on `pool` and finishes the unary RPC
// with its status, so that the gRPC callback thread never blocks on it.
template <typename Work>
grpc::ServerUnaryReactor* RunOnPool(grpc::CallbackServerContext* context, WorkPool& pool,
                                    Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool.Submit(
      [reactor, work = std::move(work)]() mutable { reactor->Finish(ToGrpcStatus(work())); });
  return reactor;
}

// Returns the value of the `authorization: Bearer TOKEN` metadata, or an
// empty string when there is none.
std::string BearerToken(const grpc::CallbackServerContext& context);

}  // namespace pp

#endif  // PP_SERVER_SERVER_H_
