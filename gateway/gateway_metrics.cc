#include "gateway/gateway_metrics.h"

namespace pp::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("pp_gateway_http_requests_total")
                    .Help("HTTP requests answered, by method and status code.")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("pp_gateway_http_request_duration_seconds")
                     .Help("Time from routing an HTTP request to logging its response.")
                     .Register(registry)),
      service_errors_(prometheus::BuildCounter()
                          .Name("pp_gateway_service_errors_total")
                          .Help("Calls to other services that failed with a status shown as a "
                                "5xx page, by RPC and gRPC code.")
                          .Register(registry)),
      csrf_rejections_(prometheus::BuildCounter()
                           .Name("pp_gateway_csrf_rejections_total")
                           .Help("POST requests rejected for a missing or wrong CSRF token.")
                           .Register(registry)
                           .Add({})) {}

void GatewayMetrics::CountRequest(const std::string& method, int code, double seconds) {
  requests_.Add({{"method", method}, {"code", std::to_string(code)}}).Increment();
  durations_
      .Add({{"method", method}},
           prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                   5, 10})
      .Observe(seconds);
}

void GatewayMetrics::CountServiceError(const std::string& rpc, const std::string& code) {
  service_errors_.Add({{"rpc", rpc}, {"code", code}}).Increment();
}

void GatewayMetrics::CountCsrfRejection() { csrf_rejections_.Increment(); }

}  // namespace pp::gateway
