#include "gateway/gateway_metrics.h"

#include <regex>
#include <utility>
#include <vector>

namespace pp::gateway {

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("pp_gateway_http_requests_total")
                    .Help("HTTP requests answered, by route, method and status class.")
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
                           .Add({})),
      cut_offs_(prometheus::BuildCounter()
                    .Name("pp_gateway_requests_cut_off_total")
                    .Help("Connections closed because the client did not send a whole request "
                          "within the request deadline.")
                    .Register(registry)
                    .Add({})) {}

namespace {

// Routes whose paths carry a parameter, as (regular expression, template).
// Every route registered with a pattern must be here: a signed-out request
// for it is redirected, and a redirect would otherwise make its path a label.
const std::vector<std::pair<std::regex, std::string>>& ParameterRoutes() {
  static const auto* routes = new std::vector<std::pair<std::regex, std::string>>{
      {std::regex("/children/[^/]+"), "/children/{id}"},
      {std::regex("/children/[^/]+/calendar"), "/children/{id}/calendar"},
      {std::regex("/children/[^/]+/unlink"), "/children/{id}/unlink"},
      {std::regex("/assets/[^/]+"), "/assets/{file}"},
      {std::regex("/calendar/[^/]+\\.ics"), "/calendar/{token}.ics"},
      {std::regex("/schools/[0-9]{7}/calendar\\.ics"), "/schools/{seed_code}/calendar.ics"},
  };
  return *routes;
}

}  // namespace

std::string GatewayMetrics::RouteLabel(const std::string& path, int status) {
  for (const auto& [pattern, route] : ParameterRoutes()) {
    if (std::regex_match(path, pattern)) return route;
  }
  std::lock_guard<std::mutex> lock(routes_mutex_);
  if (status >= 200 && status < 400) {
    known_routes_.insert(path);
    return path;
  }
  return known_routes_.count(path) > 0 ? path : "other";
}

void GatewayMetrics::CountRequest(const std::string& path, const std::string& method, int status,
                                  double seconds) {
  std::string route = RouteLabel(path, status);
  std::string code = std::to_string(status / 100) + "xx";
  requests_.Add({{"route", route}, {"method", method}, {"code", code}}).Increment();
  durations_
      .Add({{"route", route}, {"method", method}},
           prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                   5, 10})
      .Observe(seconds);
}

void GatewayMetrics::CountServiceError(const std::string& rpc, const std::string& code) {
  service_errors_.Add({{"rpc", rpc}, {"code", code}}).Increment();
}

void GatewayMetrics::CountCsrfRejection() { csrf_rejections_.Increment(); }

void GatewayMetrics::CountCutOff() { cut_offs_.Increment(); }

}  // namespace pp::gateway
