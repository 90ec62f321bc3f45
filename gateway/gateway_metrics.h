// The gateway's own Prometheus metric families, declared in one place.
#ifndef PP_GATEWAY_GATEWAY_METRICS_H_
#define PP_GATEWAY_GATEWAY_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <mutex>
#include <set>
#include <string>

namespace pp::gateway {

class GatewayMetrics {
 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit GatewayMetrics(prometheus::Registry& registry);

  // Counts one HTTP request, labelled by route template rather than raw
  // path so that the label values stay bounded whatever clients send:
  //   pp_gateway_http_requests_total{route, method, code}
  //   pp_gateway_http_request_duration_seconds{route, method}
  // `code` is the status class, such as "2xx".
  void CountRequest(const std::string& path, const std::string& method, int status, double seconds);

  // Returns the route label of a request for `path` served with `status`:
  // the template of a route with a parameter ("/children/{id}"), the path of
  // a fixed route, or "other" for a path that no route has served with success.
  std::string RouteLabel(const std::string& path, int status);

  // Counts a call to another service that failed with a status the parent
  // cannot fix (down, too slow, internal error):
  //   pp_gateway_service_errors_total{rpc, code}
  void CountServiceError(const std::string& rpc, const std::string& code);

  // Counts a POST rejected for a missing or wrong CSRF token:
  //   pp_gateway_csrf_rejections_total
  void CountCsrfRejection();

  // Counts a client disconnected for not sending its request within the
  // request deadline:
  //   pp_gateway_requests_cut_off_total
  void CountCutOff();

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  prometheus::Family<prometheus::Counter>& service_errors_;
  prometheus::Counter& csrf_rejections_;
  prometheus::Counter& cut_offs_;
  // Fixed paths that a route has served with a 2xx or 3xx status. httplib
  // never returns those for a path without a route, so the set stays small.
  std::mutex routes_mutex_;
  std::set<std::string> known_routes_;
};

}  // namespace pp::gateway

#endif  // PP_GATEWAY_GATEWAY_METRICS_H_
