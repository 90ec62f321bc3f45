#include "load.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace pp::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

absl::Duration Since(SteadyClock::time_point start, SteadyClock::time_point end) {
  return absl::FromChrono(end - start);
}

// Builds one call per worker and makes each worker's first call, so that
// connections are open before anything is timed.
std::vector<Call> PrepareWorkers(const CallFactory& make_call, int workers) {
  std::vector<Call> calls;
  for (int i = 0; i < workers; ++i) calls.push_back(make_call(i));
  std::vector<std::thread> threads;
  for (Call& call : calls) threads.emplace_back([&call] { call(); });
  for (std::thread& thread : threads) thread.join();
  return calls;
}

LoadResult Combine(std::vector<LoadResult>& parts, absl::Duration elapsed) {
  LoadResult total;
  for (const LoadResult& part : parts) {
    total.succeeded += part.succeeded;
    total.failed += part.failed;
    total.latency.Merge(part.latency);
  }
  total.elapsed = elapsed;
  return total;
}

}  // namespace

double LoadResult::PerSecond() const {
  double seconds = absl::ToDoubleSeconds(elapsed);
  return seconds > 0 ? static_cast<double>(succeeded) / seconds : 0;
}

LoadResult RunClosedLoop(const CallFactory& make_call, int in_flight, absl::Duration duration) {
  std::vector<Call> calls = PrepareWorkers(make_call, in_flight);
  std::vector<LoadResult> parts(in_flight);
  SteadyClock::time_point start = SteadyClock::now();
  SteadyClock::time_point end = start + absl::ToChronoNanoseconds(duration);

  std::vector<std::thread> threads;
  for (int i = 0; i < in_flight; ++i) {
    threads.emplace_back([&, i] {
      LoadResult& part = parts[i];
      for (SteadyClock::time_point sent = SteadyClock::now(); sent < end;) {
        bool ok = calls[i]();
        SteadyClock::time_point done = SteadyClock::now();
        if (ok) {
          ++part.succeeded;
          part.latency.Record(Since(sent, done));
        } else {
          ++part.failed;
        }
        sent = done;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return Combine(parts, Since(start, SteadyClock::now()));
}

LoadResult RunFixedRate(const CallFactory& make_call, double rate, int workers,
                        absl::Duration duration) {
  std::vector<Call> calls = PrepareWorkers(make_call, workers);
  std::vector<LoadResult> parts(workers);
  const auto total_calls = static_cast<int64_t>(rate * absl::ToDoubleSeconds(duration));
  const std::chrono::duration<double> interval(1.0 / rate);
  std::atomic<int64_t> next{0};
  SteadyClock::time_point start = SteadyClock::now();

  std::vector<std::thread> threads;
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      LoadResult& part = parts[i];
      for (int64_t n = next++; n < total_calls; n = next++) {
        auto due = start + std::chrono::duration_cast<SteadyClock::duration>(interval * n);
        std::this_thread::sleep_until(due);
        bool ok = calls[i]();
        if (ok) {
          ++part.succeeded;
          part.latency.Record(Since(due, SteadyClock::now()));
        } else {
          ++part.failed;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  return Combine(parts, Since(start, SteadyClock::now()));
}

}  // namespace pp::bench
