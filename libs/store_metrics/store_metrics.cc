#include "store_metrics/store_metrics.h"

#include "log/log.h"

namespace pp {

std::vector<prometheus::MetricFamily> StoreGaugeCollector::Collect() const {
  std::vector<prometheus::MetricFamily> families;
  for (const StoreGauge& gauge : gauges_) {
    std::vector<std::pair<std::string, double>> samples;
    absl::Status status = store_.Read([&](Tx& tx) -> absl::Status {
      absl::StatusOr<std::vector<std::pair<std::string, double>>> read = gauge.read(tx);
      if (!read.ok()) return read.status();
      samples = *std::move(read);
      return absl::OkStatus();
    });
    if (!status.ok()) {
      log::Warning("metric_read_failed")
          .Field("metric", gauge.name)
          .Field("error", status.message());
      continue;
    }

    prometheus::MetricFamily family;
    family.name = gauge.name;
    family.help = gauge.help;
    family.type = prometheus::MetricType::Gauge;
    for (const auto& [label_value, value] : samples) {
      prometheus::ClientMetric metric;
      if (!gauge.label.empty()) metric.label.push_back({gauge.label, label_value});
      metric.gauge.value = value;
      family.metric.push_back(std::move(metric));
    }
    families.push_back(std::move(family));
  }
  return families;
}

}  // namespace pp
