// Runs the benchmarks against the real binaries and prints the results
// table: work | baseline | figure | ratio | goal | met?. bench/run builds
// it and passes the roster; see docs/performance.md for the method.
//
//   build/bin/portal_bench --roster_dir=DIR [--works=home,storm] [--run_seconds=10]
//
// With --smoke it checks that every figure is a positive number and exits
// with status 1 otherwise; it never judges a figure against its goal.
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "log/log.h"
#include "parent_setup.h"
#include "portal.h"
#include "roster_sync.h"
#include "settings/settings.h"
#include "works.h"

namespace {

using pp::bench::Row;

constexpr char kAllWorks[] = "roster,home,storm,startlink,feed,email,memory";

const char* MetText(pp::bench::GoalMet met) {
  switch (met) {
    case pp::bench::GoalMet::kYes:
      return "yes";
    case pp::bench::GoalMet::kNo:
      return "NO";
    case pp::bench::GoalMet::kUnknown:
      break;
  }
  return "-";
}

void PrintTable(const std::vector<Row>& rows) {
  std::cout << "| work | baseline | figure | ratio | goal | met? |\n"
            << "|---|---|---|---|---|---|\n";
  for (const Row& row : rows) {
    std::cout << "| " << row.work << " | " << row.baseline << " | " << row.figure << " | "
              << row.ratio << " | " << row.goal << " | " << MetText(row.met) << " |\n";
  }
  std::cout.flush();
}

}  // namespace

int main(int argc, char** argv) {
  pp::Settings settings("portal_bench",
                        "Measures the suite against same-run baselines and prints a table.");
  settings.AddString("bin_dir", PP_BIN_DIR, "folder of the service binaries");
  settings.AddString("roster_dir", PP_DEMO_DIR,
                     "folder holding the roster exports pupils.csv and contacts.csv");
  settings.AddString("works", kAllWorks, "comma-separated works to measure");
  settings.AddInt("run_seconds", 10, "seconds of each timed run");
  settings.AddInt("grpc_in_flight", 8, "calls in flight in the closed-loop gRPC runs");
  settings.AddInt("schools_in_flight", 4,
                  "schools whose roster syncs are in flight at once, as separate school "
                  "systems would send them");
  settings.AddInt("http_connections", 16, "keep-alive connections of the HTTP runs");
  settings.AddInt("home_rate", 1000, "home page requests a second in the fixed-rate runs");
  settings.AddInt("storm_rate", 50, "sign-ins a second during the storm");
  settings.AddInt("storm_home_rate", 200,
                  "home page requests a second during the storm and in its baseline");
  settings.AddInt("emails", 5000, "emails sent through notification to the SMTP server");
  settings.AddInt("small_roster_pupils", 1000,
                  "pupils of the small roster StartLink's latency is compared with");
  settings.AddInt("smoke", 0, "1 to check only that every figure is a positive number");
  settings.ParseOrExit(argc, argv);

  pp::bench::BenchContext context;
  pp::bench::BenchOptions& options = context.options;
  options.bin_dir = settings.GetString("bin_dir");
  options.run_time = absl::Seconds(settings.GetInt("run_seconds"));
  options.grpc_in_flight = settings.GetInt("grpc_in_flight");
  options.schools_in_flight = settings.GetInt("schools_in_flight");
  if (options.schools_in_flight < 1) {
    std::cerr << "portal_bench: --schools_in_flight must be 1 or more\n";
    return 2;
  }
  options.http_connections = settings.GetInt("http_connections");
  options.home_rate = settings.GetInt("home_rate");
  options.storm_rate = settings.GetInt("storm_rate");
  options.storm_home_rate = settings.GetInt("storm_home_rate");
  options.emails = settings.GetInt("emails");
  options.small_roster_pupils = settings.GetInt("small_roster_pupils");
  bool smoke = settings.GetInt("smoke") == 1;
  std::set<std::string> works = absl::StrSplit(settings.GetString("works"), ',');
  for (const std::string& work : works) {
    if (std::string(kAllWorks).find(work) == std::string::npos) {
      std::cerr << "portal_bench: unknown work \"" << work << "\"; choose from " << kAllWorks
                << "\n";
      return 2;
    }
  }

  auto fail = [&](const std::string& step, const absl::Status& status) {
    std::cerr << "portal_bench: " << step << " failed: " << status.message() << "\n";
    if (context.portal != nullptr) std::cerr << context.portal->Logs();
    return 1;
  };

  absl::StatusOr<std::vector<pp::bench::SchoolExport>> schools =
      pp::bench::ReadRosterBySchool(settings.GetString("roster_dir"));
  if (!schools.ok()) return fail("reading the roster", schools.status());
  context.schools = *std::move(schools);

  std::unique_ptr<pp::bench::Portal> portal;
  try {
    portal = std::make_unique<pp::bench::Portal>(options.bin_dir);
  } catch (const std::exception& error) {
    std::cerr << "portal_bench: " << error.what() << "\n";
    return 1;
  }
  context.portal = portal.get();
  std::vector<Row> rows;
  // Idle means started, with empty stores, before any load.
  if (works.count("memory")) pp::bench::MeasureIdleMemory(context, rows);

  absl::StatusOr<std::map<std::string, std::string>> tokens = pp::bench::IssueSchoolTokens(
      portal->Addresses("identity").grpc, portal->OperatorToken(), context.schools);
  if (!tokens.ok()) return fail("issuing school tokens", tokens.status());
  context.tokens = *std::move(tokens);
  std::cerr << "portal_bench: syncing " << context.schools.size() << " schools\n";
  if (works.count("roster")) {
    if (absl::Status status = pp::bench::MeasureRosterSync(context, rows); !status.ok()) {
      return fail("roster", status);
    }
  } else {
    absl::StatusOr<pp::bench::SyncTotals> synced =
        pp::bench::SyncSchools(portal->Addresses("link-verification").grpc, context.schools,
                               context.tokens, options.schools_in_flight);
    if (!synced.ok()) return fail("syncing the roster", synced.status());
  }

  absl::StatusOr<std::vector<parentsportal::link::v1::StartLinkRequest>> first =
      pp::bench::MatchingStartRequests({context.schools[0]}, 1);
  if (!first.ok()) return fail("choosing a parent", first.status());
  const std::string& seed_code = context.schools[0].seed_code;
  absl::StatusOr<pp::bench::SignedInParent> parent = pp::bench::SetUpLinkedParent(
      *portal, (*first)[0], seed_code, context.tokens.at(seed_code), options.feed_events);
  if (!parent.ok()) return fail("setting up a linked parent", parent.status());
  context.parent = *std::move(parent);

  const std::vector<std::pair<std::string, std::function<absl::Status()>>> steps = {
      {"home", [&] { return pp::bench::MeasureHomePage(context, rows); }},
      {"storm", [&] { return pp::bench::MeasureSignInStorm(context, rows); }},
      {"startlink", [&] { return pp::bench::MeasureStartLink(context, rows); }},
      {"feed", [&] { return pp::bench::MeasureCalendarFeed(context, rows); }},
      {"email", [&] { return pp::bench::MeasureEmails(context, rows); }},
  };
  for (const auto& [name, measure] : steps) {
    if (!works.count(name)) continue;
    std::cerr << "portal_bench: measuring " << name << "\n";
    if (absl::Status status = measure(); !status.ok()) return fail(name, status);
  }

  PrintTable(rows);
  if (!smoke) return 0;
  bool sane = !rows.empty();
  for (const Row& row : rows) {
    if (!std::isfinite(row.value) || row.value <= 0) {
      std::cerr << "portal_bench: no sane figure for \"" << row.work << "\": " << row.figure
                << "\n";
      sane = false;
    }
  }
  return sane ? 0 : 1;
}
