#include "store_metrics/store_metrics.h"

#include <catch2/catch.hpp>

#include "testing/temp_dir.h"

TEST_CASE("store gauges read their value at each collection") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("queue.db"), {"CREATE TABLE queue (state TEXT NOT NULL)"});
  REQUIRE(store.ok());
  pp::StoreGaugeCollector collector(
      **store, {{"pp_test_queue", "Messages by state.", "state", [](pp::Tx& tx) {
                   std::vector<std::pair<std::string, double>> samples;
                   absl::Status status = tx.Query(
                       "SELECT state, COUNT(*) FROM queue GROUP BY state ORDER BY state", {},
                       [&](const pp::Row& row) {
                         samples.emplace_back(row.Text(0), static_cast<double>(row.Int(1)));
                       });
                   if (!status.ok()) return absl::StatusOr<decltype(samples)>(status);
                   return absl::StatusOr<decltype(samples)>(samples);
                 }}});

  CHECK(collector.Collect().at(0).metric.empty());

  REQUIRE((*store)
              ->Write([](pp::Tx& tx) {
                for (const char* state : {"queued", "queued", "sent"}) {
                  if (auto s = tx.Exec("INSERT INTO queue VALUES (?)", {state}); !s.ok()) return s;
                }
                return absl::OkStatus();
              })
              .ok());
  std::vector<prometheus::MetricFamily> families = collector.Collect();
  REQUIRE(families.size() == 1);
  CHECK(families[0].name == "pp_test_queue");
  CHECK(families[0].type == prometheus::MetricType::Gauge);
  REQUIRE(families[0].metric.size() == 2);
  CHECK(families[0].metric[0].label.at(0).value == "queued");
  CHECK(families[0].metric[0].gauge.value == 2);
  CHECK(families[0].metric[1].gauge.value == 1);
}

TEST_CASE("store gauge whose read fails is left out") {
  pp::TempDir dir;
  auto store = pp::Store::Open(dir.Path("empty.db"), {});
  REQUIRE(store.ok());
  pp::StoreGaugeCollector collector(
      **store,
      {{"pp_test_missing", "A table that is not there.", "", [](pp::Tx& tx) {
          absl::StatusOr<int64_t> count = tx.QueryInt("SELECT COUNT(*) FROM nowhere");
          if (!count.ok()) {
            return absl::StatusOr<std::vector<std::pair<std::string, double>>>(count.status());
          }
          return absl::StatusOr<std::vector<std::pair<std::string, double>>>(
              {{"", static_cast<double>(*count)}});
        }}});
  CHECK(collector.Collect().empty());
}
