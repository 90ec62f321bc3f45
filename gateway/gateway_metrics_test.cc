#include "gateway/gateway_metrics.h"

#include <catch2/catch.hpp>
#include <string>

namespace pp::gateway {
namespace {

TEST_CASE("route labels use templates for parameters") {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  CHECK(metrics.RouteLabel("/children/3f9a-b2", 200) == "/children/{id}");
  CHECK(metrics.RouteLabel("/children/someone-else", 404) == "/children/{id}");
  CHECK(metrics.RouteLabel("/children/3f9a-b2/calendar", 200) == "/children/{id}/calendar");
  CHECK(metrics.RouteLabel("/calendar/c2VjcmV0LXRva2Vu.ics", 200) == "/calendar/{token}.ics");
  CHECK(metrics.RouteLabel("/schools/5300011/calendar.ics", 304) ==
        "/schools/{seed_code}/calendar.ics");
  CHECK(metrics.RouteLabel("/assets/site.css", 200) == "/assets/{file}");
}

TEST_CASE("route labels of redirected parameters") {
  // A signed-out request for any child's unlink page is redirected to
  // sign in, so each made-up id used to become a label of its own.
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  for (const char* id : {"8zfjQ0H8GHO6-hn1JXr-2g", "ZZZ", "x1"}) {
    INFO(id);
    CHECK(metrics.RouteLabel(std::string("/children/") + id + "/unlink", 303) ==
          "/children/{id}/unlink");
  }
}

TEST_CASE("route labels stay bounded for unknown paths") {
  prometheus::Registry registry;
  GatewayMetrics metrics(registry);
  CHECK(metrics.RouteLabel("/wp-admin/setup.php", 404) == "other");
  CHECK(metrics.RouteLabel("/sign-in", 401) == "other");

  // Once a route has served a success, its failures keep its path.
  CHECK(metrics.RouteLabel("/sign-in", 200) == "/sign-in");
  CHECK(metrics.RouteLabel("/sign-in", 401) == "/sign-in");
  CHECK(metrics.RouteLabel("/made-up", 400) == "other");
}

}  // namespace
}  // namespace pp::gateway
