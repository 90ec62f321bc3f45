// A latency histogram: counts in buckets about 1.6% wide from 1 microsecond
// to about 19 hours, so percentiles come from counts rather than from every
// sample kept in memory.
#ifndef PP_BENCH_LATENCY_HISTOGRAM_H_
#define PP_BENCH_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace pp::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Counts one latency; negative values count as zero and values past the
  // last bucket count in the last bucket.
  void Record(absl::Duration latency);
  void Merge(const LatencyHistogram& other);
  int64_t count() const { return count_; }

  // Returns the upper edge of the bucket holding the value at `fraction`
  // (0.99 for p99) of the recorded values, or zero when nothing was recorded.
  absl::Duration Percentile(double fraction) const;

 private:
  std::vector<int64_t> counts_;
  int64_t count_ = 0;
};

}  // namespace pp::bench

#endif  // PP_BENCH_LATENCY_HISTOGRAM_H_
