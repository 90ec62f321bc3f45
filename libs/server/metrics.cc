#include "server/metrics.h"

#include <google/protobuf/descriptor.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <thread>

#include "absl/strings/str_cat.h"
#include "log/log.h"

namespace pp {
namespace {

using HookPoint = grpc::experimental::InterceptionHookPoints;

// The code names that dashboards for gRPC servers expect in grpc_code.
const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "Canceled";
    case grpc::StatusCode::UNKNOWN:
      return "Unknown";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::StatusCode::NOT_FOUND:
      return "NotFound";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::StatusCode::ABORTED:
      return "Aborted";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::StatusCode::INTERNAL:
      return "Internal";
    case grpc::StatusCode::UNAVAILABLE:
      return "Unavailable";
    case grpc::StatusCode::DATA_LOSS:
      return "DataLoss";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

bool IsServerFault(grpc::StatusCode code) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS || code == grpc::StatusCode::UNAVAILABLE;
}

const char* TypeName(grpc::experimental::ServerRpcInfo::Type type) {
  using Type = grpc::experimental::ServerRpcInfo::Type;
  switch (type) {
    case Type::UNARY:
      return "unary";
    case Type::CLIENT_STREAMING:
      return "client_stream";
    case Type::SERVER_STREAMING:
      return "server_stream";
    case Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unknown";
}

// Returns true for a method of a service this binary serves: its generated
// descriptor is linked in, or it is the health service, whose descriptor is
// not. Any other path a client sends is counted as "unknown", so that the
// label values stay bounded whatever clients send.
bool IsKnownMethod(const std::string& service, const std::string& method) {
  if (service == "grpc.health.v1.Health") return method == "Check" || method == "Watch";
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  return descriptor != nullptr && descriptor->FindMethodByName(method) != nullptr;
}

class RpcInterceptor : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(const grpc::experimental::ServerRpcInfo& info,
                 prometheus::Family<prometheus::Counter>* started,
                 prometheus::Family<prometheus::Counter>* handled,
                 prometheus::Family<prometheus::Histogram>* seconds)
      : handled_(handled), seconds_(seconds), start_(std::chrono::steady_clock::now()) {
    // "/parentsportal.link.v1.Links/StartLink" -> service and method.
    std::string full_method = info.method() == nullptr ? "" : info.method();
    size_t slash = full_method.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      service_ = full_method.substr(1, slash - 1);
      method_ = full_method.substr(slash + 1);
    }
    if (!IsKnownMethod(service_, method_)) {
      service_ = "unknown";
      method_ = "unknown";
    }
    type_ = TypeName(info.type());
    started->Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_type", type_}})
        .Increment();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(HookPoint::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      const char* code = CodeName(status.error_code());
      handled_
          ->Add({{"grpc_service", service_},
                 {"grpc_method", method_},
                 {"grpc_type", type_},
                 {"grpc_code", code}})
          .Increment();
      seconds_
          ->Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_type", type_}},
                prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5, 1, 2.5, 5})
          .Observe(elapsed);
      if (IsServerFault(status.error_code())) {
        log::Error("rpc_failed")
            .Field("rpc", method_)
            .Field("code", code)
            .Field("message", status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* seconds_;
  std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
  const char* type_;
};

class RpcCountingFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcCountingFactory(prometheus::Family<prometheus::Counter>* started,
                     prometheus::Family<prometheus::Counter>* handled,
                     prometheus::Family<prometheus::Histogram>* seconds)
      : started_(started), handled_(handled), seconds_(seconds) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(*info, started_, handled_, seconds_);
  }

 private:
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* seconds_;
};

// Returns the host a client connects to for a server listening on
// `address` (host:port): the loopback address for a wildcard one.
std::string ConnectableHost(const std::string& address) {
  size_t colon = address.rfind(':');
  std::string host = colon == std::string::npos ? "" : address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::") return "::1";
  return host;
}

// Opens and closes one TCP connection to host:port, ignoring failures.
void ConnectAndClose(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return;
  for (addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    int fd = socket(entry->ai_family, entry->ai_socktype | SOCK_CLOEXEC, entry->ai_protocol);
    if (fd < 0) continue;
    bool connected = connect(fd, entry->ai_addr, entry->ai_addrlen) == 0;
    close(fd);
    if (connected) break;
  }
  freeaddrinfo(found);
}

}  // namespace

Metrics::~Metrics() {
  if (exposer_ == nullptr) return;
  // The listening thread of civetweb 1.15 (Debian 12) waits for
  // connections in polls of 2 seconds (as gdb shows) and checks for the stop
  // only after one ends, so closing the exposer alone took up to 2 seconds.
  // A connection to its own port ends the poll at once.
  int port = this->port();
  std::atomic<bool> closed{false};
  std::thread waker([this, port, &closed] {
    while (port != 0 && !closed.load()) {
      ConnectAndClose(host_, port);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  exposer_.reset();
  closed.store(true);
  waker.join();
}

absl::StatusOr<std::unique_ptr<Metrics>> Metrics::Start(const std::string& address) {
  std::unique_ptr<Metrics> metrics(new Metrics());
  metrics->registry_ = std::make_shared<prometheus::Registry>();
  try {
    metrics->exposer_ = std::make_unique<prometheus::Exposer>(address);
  } catch (const std::exception& error) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", error.what()));
  }
  metrics->host_ = ConnectableHost(address);
  metrics->exposer_->RegisterCollectable(metrics->registry_);
  metrics->started_ = &prometheus::BuildCounter()
                           .Name("grpc_server_started_total")
                           .Help("RPCs started on the server, by method.")
                           .Register(*metrics->registry_);
  metrics->handled_ = &prometheus::BuildCounter()
                           .Name("grpc_server_handled_total")
                           .Help("RPCs completed on the server, by method and status code.")
                           .Register(*metrics->registry_);
  metrics->handling_seconds_ = &prometheus::BuildHistogram()
                                    .Name("grpc_server_handling_seconds")
                                    .Help("Time from receiving an RPC to sending its status.")
                                    .Register(*metrics->registry_);
  return metrics;
}

int Metrics::port() const {
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void Metrics::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  collectables_.push_back(std::move(collectable));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::RpcInterceptorFactory() {
  return std::make_unique<RpcCountingFactory>(started_, handled_, handling_seconds_);
}

}  // namespace pp
