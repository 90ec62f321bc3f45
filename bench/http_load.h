// HTTP load: keep-alive cpp-httplib clients for the fixed-rate runs, and
// Debian's wrk for the closed-loop rate of requests a second.
#ifndef PP_BENCH_HTTP_LOAD_H_
#define PP_BENCH_HTTP_LOAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "load.h"

namespace pp::bench {

// Calls that GET `path` from 127.0.0.1:`port` over one keep-alive
// connection per worker, with `cookie` as the Cookie header when not
// empty. A call succeeds on status 200.
CallFactory HttpGetCalls(int port, const std::string& path, const std::string& cookie);

struct WrkResult {
  double requests_per_second = 0;
  absl::Duration p99;
  // Responses with a status outside 2xx and 3xx, and socket errors.
  int64_t errors = 0;
};

// Runs wrk against `url` with `connections` keep-alive connections on two
// threads for `duration`. Fails when wrk is not installed or prints no rate.
absl::StatusOr<WrkResult> RunWrk(const std::string& url, const std::string& cookie, int connections,
                                 absl::Duration duration);

}  // namespace pp::bench

#endif  // PP_BENCH_HTTP_LOAD_H_
