// Prometheus metrics for one binary: an exposer serving /metrics and the
// standard gRPC server metrics, counted by an interceptor.
#ifndef PP_SERVER_METRICS_H_
#define PP_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace pp {

class Metrics {
 public:
  // Serves /metrics over HTTP on `address` (host:port). Fails with
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Metrics>> Start(const std::string& address);

  // Stops serving /metrics. Returns within milliseconds unless a scrape
  // is in progress.
  ~Metrics();

  prometheus::Registry& registry() { return *registry_; }

  // The port /metrics is served on; useful when started on port 0.
  int port() const;

  // Serves the samples `collectable` returns at each scrape, next to the
  // registry's, and keeps it alive as long as this object.
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Counts every RPC the server handles, with the names dashboards for
  // gRPC servers expect:
  //   grpc_server_started_total{grpc_service, grpc_method, grpc_type}
  //   grpc_server_handled_total{grpc_service, grpc_method, grpc_type, grpc_code}
  //   grpc_server_handling_seconds{grpc_service, grpc_method, grpc_type}
  // A method the binary does not serve is labelled "unknown".
  // and logs one line for each RPC that ends in a server-side fault.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcInterceptorFactory();

 private:
  Metrics() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  // The exposer keeps only weak pointers to collectables, so they live here.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  // The host the exposer listens on, as a client can connect to it.
  std::string host_;
  prometheus::Family<prometheus::Counter>* started_ = nullptr;
  prometheus::Family<prometheus::Counter>* handled_ = nullptr;
  prometheus::Family<prometheus::Histogram>* handling_seconds_ = nullptr;
};

}  // namespace pp

#endif  // PP_SERVER_METRICS_H_
