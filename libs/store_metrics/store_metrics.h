// Gauges read from a service's store when Prometheus scrapes, for figures
// such as queue lengths that live in the database rather than in counters.
#ifndef PP_STORE_METRICS_STORE_METRICS_H_
#define PP_STORE_METRICS_STORE_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "store/store.h"

namespace pp {

struct StoreGauge {
  // A Prometheus name, such as pp_payments_handoff_open.
  std::string name;
  std::string help;
  // The one label the samples carry, or "" for a single unlabelled sample.
  std::string label;
  // Reads the samples inside a read transaction: (label value, value)
  // pairs. The label values must come from a small fixed set.
  std::function<absl::StatusOr<std::vector<std::pair<std::string, double>>>(Tx&)> read;
};

// Reads each gauge from the store at every scrape. A gauge whose read fails
// is left out of that scrape and the failure is logged.
class StoreGaugeCollector : public prometheus::Collectable {
 public:
  StoreGaugeCollector(Store& store, std::vector<StoreGauge> gauges)
      : store_(store), gauges_(std::move(gauges)) {}

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  Store& store_;
  std::vector<StoreGauge> gauges_;
};

}  // namespace pp

#endif  // PP_STORE_METRICS_STORE_METRICS_H_
