// The measured works of bench/run. Each adds rows to the results table:
// what was measured, its same-run baseline, the figure, their ratio and the
// goal.
#ifndef PP_BENCH_WORKS_H_
#define PP_BENCH_WORKS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "parent_setup.h"
#include "portal.h"
#include "roster_sync.h"

namespace pp::bench {

enum class GoalMet { kYes, kNo, kUnknown };

struct Row {
  std::string work;
  std::string baseline;
  std::string figure;
  std::string ratio;
  std::string goal;
  GoalMet met = GoalMet::kUnknown;
  // The figure as a number, for the smoke tests' sanity checks.
  double value = 0;
};

struct BenchOptions {
  std::string bin_dir;
  // Length of each timed run.
  absl::Duration run_time = absl::Seconds(10);
  // Calls in flight in the closed-loop gRPC runs.
  int grpc_in_flight = 8;
  // Schools whose roster syncs are in flight at once.
  int schools_in_flight = 4;
  // Keep-alive connections of the HTTP runs.
  int http_connections = 16;
  // Home page requests a second in the fixed-rate runs.
  double home_rate = 1000;
  // Sign-ins a second during the storm.
  double storm_rate = 50;
  // Home page requests a second during the storm and in its baseline: well
  // below the gateway's capacity, so that the storm's effect shows rather
  // than a queue the page alone builds.
  double storm_home_rate = 200;
  // Emails sent through notification.
  int emails = 5000;
  // Pupils of the small roster that StartLink's latency is compared with.
  int small_roster_pupils = 1000;
  int feed_events = 500;
};

// The state the works share: the running portal, the roster loaded into it, the
// school tokens and the linked parent.
struct BenchContext {
  BenchOptions options;
  Portal* portal = nullptr;
  std::vector<SchoolExport> schools;
  std::map<std::string, std::string> tokens;
  SignedInParent parent;
};

// Each work appends its rows to `rows`; a failure means no figure.
absl::Status MeasureRosterSync(BenchContext& context, std::vector<Row>& rows);
absl::Status MeasureHomePage(BenchContext& context, std::vector<Row>& rows);
absl::Status MeasureSignInStorm(BenchContext& context, std::vector<Row>& rows);
absl::Status MeasureStartLink(BenchContext& context, std::vector<Row>& rows);
absl::Status MeasureCalendarFeed(BenchContext& context, std::vector<Row>& rows);
absl::Status MeasureEmails(BenchContext& context, std::vector<Row>& rows);
// The resident memory of each service now, against the idle goal.
void MeasureIdleMemory(const BenchContext& context, std::vector<Row>& rows);

// Formatting shared by the works.
std::string Milliseconds(absl::Duration duration);
std::string Ratio(double figure, double baseline);

}  // namespace pp::bench

#endif  // PP_BENCH_WORKS_H_
