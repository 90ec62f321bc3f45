#include "latency_histogram.h"

#include <cmath>

namespace pp::bench {
namespace {

// Values below 2^kSubBits microseconds get a bucket each; above that, each
// power of two is split into 2^kSubBits buckets of equal width.
constexpr int kSubBits = 6;
constexpr int64_t kSubBuckets = int64_t{1} << kSubBits;
constexpr int kMaxExponent = 36;
constexpr int64_t kBuckets = kSubBuckets + (kMaxExponent - kSubBits + 1) * kSubBuckets;

int64_t BucketOf(int64_t micros) {
  if (micros < kSubBuckets) return micros < 0 ? 0 : micros;
  int exponent = 63 - __builtin_clzll(static_cast<uint64_t>(micros));
  if (exponent > kMaxExponent) return kBuckets - 1;
  int shift = exponent - kSubBits;
  int64_t sub = (micros >> shift) - kSubBuckets;
  return kSubBuckets + shift * kSubBuckets + sub;
}

// The first value past the bucket, in microseconds.
int64_t UpperEdgeOf(int64_t bucket) {
  if (bucket < kSubBuckets) return bucket + 1;
  int64_t shift = (bucket - kSubBuckets) / kSubBuckets;
  int64_t sub = (bucket - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub + 1) << shift;
}

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

void LatencyHistogram::Record(absl::Duration latency) {
  ++counts_[BucketOf(absl::ToInt64Microseconds(latency))];
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int64_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
}

absl::Duration LatencyHistogram::Percentile(double fraction) const {
  if (count_ == 0) return absl::ZeroDuration();
  auto rank = static_cast<int64_t>(std::ceil(fraction * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  int64_t seen = 0;
  for (int64_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return absl::Microseconds(UpperEdgeOf(i));
  }
  return absl::Microseconds(UpperEdgeOf(kBuckets - 1));
}

}  // namespace pp::bench
