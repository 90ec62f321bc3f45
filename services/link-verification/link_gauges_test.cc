#include "link_gauges.h"

#include <catch2/catch.hpp>

#include "test_fixture.h"

namespace pp::link {
namespace {

// Returns the samples of the gauge called `name`, as label value -> value.
std::map<std::string, double> Samples(const StoreGaugeCollector& collector,
                                      const std::string& name) {
  std::map<std::string, double> samples;
  for (const prometheus::MetricFamily& family : collector.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      samples[metric.label.empty() ? "" : metric.label[0].value] = metric.gauge.value;
    }
  }
  return samples;
}

TEST_CASE("pending request gauges age by working days") {
  testing::Fixture fixture;
  fixture.Sync("5300011", testing::TaysideRows());
  fixture.FileRequest(testing::KarenForNoah());
  StoreGaugeCollector collector(*fixture.store, LinkRequestGauges(fixture.clock, fixture.london));

  std::map<std::string, double> fresh = Samples(collector, "pp_link_requests_pending");
  CHECK(fresh["0"] == 1);
  CHECK(fresh["5+"] == 0);
  CHECK(Samples(collector, "pp_link_requests_overdue")[""] == 0);

  // Made on Wednesday 4 March: Thursday, Friday and Monday are 3 working days.
  fixture.clock.Advance(absl::Hours(24 * 5));
  CHECK(Samples(collector, "pp_link_requests_pending")["3"] == 1);

  // Past the fifth working day, the request is overdue until a school reads it.
  fixture.clock.Advance(absl::Hours(24 * 7));
  CHECK(Samples(collector, "pp_link_requests_pending")["5+"] == 1);
  CHECK(Samples(collector, "pp_link_requests_overdue")[""] == 1);
}

}  // namespace
}  // namespace pp::link
