#include "server/server.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/support/channel_arguments.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdlib>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "log/log.h"

namespace pp {
namespace {

// Debian's Abseil checks lock order on every absl::Mutex, which gRPC uses
// throughout. A profile of a busy service showed each lock recorded in a
// process-wide graph (GraphCycles), and nothing here reads its reports.
void StopLockOrderChecks() {
  static std::once_flag once;
  std::call_once(once, [] { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); });
}

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

}  // namespace

void BlockStopSignals() {
  sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void IgnoreHangups(const std::string& binary) {
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hangup, nullptr);

  // The thread lives until the process exits; it only waits for SIGHUP.
  std::thread([hangup, binary] {
    int received = 0;
    while (true) {
      if (sigwait(&hangup, &received) != 0) continue;
      log::Info("hangup_ignored")
          .Field("binary", binary)
          .Field("reason", "nothing to reload; SIGTERM stops the binary");
    }
  }).detach();
}

int WaitForStopSignal() {
  sigset_t signals = StopSignals();
  int received = 0;
  while (sigwait(&signals, &received) != 0) {
  }
  return received;
}

absl::StatusOr<std::unique_ptr<grpc::Server>> StartGrpcServer(const ServerOptions& options,
                                                              int* bound_port) {
  StopLockOrderChecks();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  // gRPC (1.51 in Debian 12) sets SO_REUSEPORT by default, so a second copy of a service would
  // share the port and serve part of the calls from its own store.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Clients ping every kKeepaliveTime while a call is open (MakeChannel).
  // By default a gRPC server counts pings on a quiet connection less than 5
  // minutes apart as abuse, and closes the connection after more than two.
  // Half the clients' interval leaves room for their timers' slack.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime / 2)));
  int port = 0;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : options.services) builder.RegisterService(service);
  if (options.max_receive_message_bytes > 0) {
    builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  }
  if (options.metrics != nullptr) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(options.metrics->RpcInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.address, ": the address is in use or not local"));
  }
  if (bound_port != nullptr) *bound_port = port;
  return server;
}

void SetExclusiveListenerOptions(int socket) {
  // SO_REUSEADDR still lets a restarted server bind while connections of
  // the previous one wait in TIME_WAIT. On Linux it does not let two
  // sockets listen on one address.
  int yes = 1;
  setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
}

void DrainAndStop(grpc::Server& server, absl::Duration grace) {
  if (grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  server.Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server.Wait();
}

int ServeUntilStopped(const std::string& binary, const ServerOptions& options) {
  int port = 0;
  absl::StatusOr<std::unique_ptr<grpc::Server>> server = StartGrpcServer(options, &port);
  if (!server.ok()) {
    log::Error("start_failed").Field("binary", binary).Field("reason", server.status().message());
    return 1;
  }
  log::Info("listening")
      .Field("binary", binary)
      .Field("address", options.address)
      .Field("port", port);

  int signal = WaitForStopSignal();
  log::Info("stopping").Field("binary", binary).Field("signal", signal);
  if (options.on_stop) options.on_stop();
  DrainAndStop(**server, absl::Seconds(10));
  log::Info("stopped").Field("binary", binary);
  return 0;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  StopLockOrderChecks();
  // gRPC waits longer before each new connection attempt to a server that
  // is down, up to two minutes by default. Capped at two seconds, a caller
  // is back within about two seconds of the server's return, whatever the
  // outage lasted.
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  // A connection that breaks without a reset, or whose server stops
  // responding, would go unnoticed while a watch stream is quiet on it. A
  // ping not acknowledged within kKeepaliveTimeout closes it, and its calls
  // fail. By default gRPC sends at most two pings while it sends no data,
  // and none less than 5 minutes apart.
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime)));
  arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTimeout)));
  arguments.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  arguments.SetInt(GRPC_ARG_HTTP2_MIN_SENT_PING_INTERVAL_WITHOUT_DATA_MS,
                   static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTime)));
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
}

std::string BearerToken(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return "";
  std::string value(it->second.data(), it->second.size());
  constexpr absl::string_view kPrefix = "Bearer ";
  if (!absl::StartsWithIgnoreCase(value, kPrefix)) return "";
  return value.substr(kPrefix.size());
}

}  // namespace pp
