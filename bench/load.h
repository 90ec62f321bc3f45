// Two ways to drive a service. In a closed loop, a fixed number of workers
// each send their next call as soon as the last one returns. At a fixed
// rate, calls are due on a schedule whatever the service does.
#ifndef PP_BENCH_LOAD_H_
#define PP_BENCH_LOAD_H_

#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "latency_histogram.h"

namespace pp::bench {

// One call of a worker; returns true when the call succeeded.
using Call = std::function<bool()>;
// Makes the call function of worker number `worker`, with its own
// connection, so that workers share nothing while they run.
using CallFactory = std::function<Call(int worker)>;

struct LoadResult {
  int64_t succeeded = 0;
  int64_t failed = 0;
  absl::Duration elapsed;
  // Latency of the succeeded calls.
  LatencyHistogram latency;

  // Succeeded calls per second over the whole run.
  double PerSecond() const;
};

// Runs `in_flight` workers back to back for `duration`. Each worker makes
// one call before the clock starts, which opens its connection.
LoadResult RunClosedLoop(const CallFactory& make_call, int in_flight, absl::Duration duration);

// Starts `rate` calls a second for `duration`, spread over `workers`
// connections. A call's latency counts from the moment it was due rather
// than from when a worker got to it, so a stall counts against every call
// it delayed. A run whose workers cannot keep up shows it in the latency.
LoadResult RunFixedRate(const CallFactory& make_call, double rate, int workers,
                        absl::Duration duration);

}  // namespace pp::bench

#endif  // PP_BENCH_LOAD_H_
