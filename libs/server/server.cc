#include "server/server.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <signal.h>

#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "log/log.h"

namespace pp {
namespace {

sigset_t StopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

// Counts the calls a server is handling, so that a stopping server can tell
// when the calls in flight have ended.
class CallTracker {
 public:
  void Started() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++live_;
  }

  void Ended() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--live_ == 0) none_live_.notify_all();
  }

  // Waits until no call is live or `deadline` passes.
  void WaitForNone(absl::Time deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    none_live_.wait_until(lock, absl::ToChronoTime(deadline), [this] { return live_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable none_live_;
  int live_ = 0;
};

// Counts one call for its whole life: gRPC destroys a call's interceptors
// with the call.
class CallCounter : public grpc::experimental::Interceptor {
 public:
  explicit CallCounter(std::shared_ptr<CallTracker> tracker) : tracker_(std::move(tracker)) {
    if (tracker_ != nullptr) tracker_->Started();
  }
  ~CallCounter() override {
    if (tracker_ != nullptr) tracker_->Ended();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  const std::shared_ptr<CallTracker> tracker_;
};

class CallCounterFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallCounterFactory(std::shared_ptr<CallTracker> tracker)
      : tracker_(std::move(tracker)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    // A health Watch stream lasts until the client or the server ends it,
    // so a stopping server does not wait for it.
    const char* method = info->method();
    bool watch = method != nullptr && std::strcmp(method, "/grpc.health.v1.Health/Watch") == 0;
    return new CallCounter(watch ? nullptr : tracker_);
  }

 private:
  const std::shared_ptr<CallTracker> tracker_;
};

// The call tracker of each server that StartGrpcServer started and
// DrainAndStop has not stopped yet.
std::mutex trackers_mutex;
std::map<grpc::Server*, std::shared_ptr<CallTracker>>& Trackers() {
  static auto* trackers = new std::map<grpc::Server*, std::shared_ptr<CallTracker>>();
  return *trackers;
}

}  // namespace

void BlockStopSignals() {
  sigset_t signals = StopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
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
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  for (grpc::Service* service : options.services) builder.RegisterService(service);
  if (options.max_receive_message_bytes > 0) {
    builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  }
  auto calls = std::make_shared<CallTracker>();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<CallCounterFactory>(calls));
  if (options.metrics != nullptr) factories.push_back(options.metrics->RpcInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.address, ": the address is in use or not local"));
  }
  {
    std::lock_guard<std::mutex> lock(trackers_mutex);
    Trackers()[server.get()] = calls;
  }
  if (bound_port != nullptr) *bound_port = port;
  return server;
}

void DrainAndStop(grpc::Server& server, absl::Duration grace) {
  if (grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  absl::Time deadline = absl::Now() + grace;
  std::shared_ptr<CallTracker> calls;
  {
    std::lock_guard<std::mutex> lock(trackers_mutex);
    auto found = Trackers().find(&server);
    if (found != Trackers().end()) {
      calls = found->second;
      Trackers().erase(found);
    }
  }

  // grpc::Server::Shutdown alone also waits, up to the deadline, for every
  // client to close its connection after the server's GOAWAY. A gRPC
  // client with no call in flight reads the GOAWAY only when its backup
  // poller runs (every 5 seconds by default in gRPC 1.51), so idle clients
  // delayed each stop by up to 5 seconds. So the shutdown starts in gRPC's
  // core, which refuses new calls at once, and once the calls in flight
  // have ended, the remaining connections are closed.
  if (calls != nullptr) {
    grpc_completion_queue* queue = grpc_completion_queue_create_for_next(nullptr);
    int shut_down_tag = 0;
    grpc_server_shutdown_and_notify(server.c_server(), queue, &shut_down_tag);
    calls->WaitForNone(deadline);
    grpc_server_cancel_all_calls(server.c_server());
    server.Shutdown(std::chrono::system_clock::now());
    server.Wait();
    grpc_completion_queue_shutdown(queue);
    while (grpc_completion_queue_next(queue, gpr_inf_future(GPR_CLOCK_REALTIME), nullptr).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(queue);
    return;
  }
  server.Shutdown(absl::ToChronoTime(deadline));
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
  DrainAndStop(**server, absl::Seconds(10));
  log::Info("stopped").Field("binary", binary);
  return 0;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
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
