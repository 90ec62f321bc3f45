// The gateway's own Prometheus metric families, declared in one place.
#ifndef PP_GATEWAY_GATEWAY_METRICS_H_
#define PP_GATEWAY_GATEWAY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace pp::gateway {

class GatewayMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit GatewayMetrics(prometheus::Registry& registry);

  // Counts one HTTP request:
  //   pp_gateway_http_requests_total{method, code}
  //   pp_gateway_http_request_duration_seconds{method}
  void CountRequest(const std::string& method, int code, double seconds);

  // Counts a call to another service that failed with a status the parent
  // cannot fix (down, too slow, internal error):
  //   pp_gateway_service_errors_total{rpc, code}
  void CountServiceError(const std::string& rpc, const std::string& code);

  // Counts a POST rejected for a missing or wrong CSRF token:
  //   pp_gateway_csrf_rejections_total
  void CountCsrfRejection();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& service_errors_;
  prometheus::Counter& csrf_rejections_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_GATEWAY_METRICS_H_
