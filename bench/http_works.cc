// The works measured over HTTP against the gateway: the signed-in home
// page, the same page during a storm of sign-ins, and the services' memory.
#include <httplib.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "http_load.h"
#include "suite.h"
#include "works.h"

namespace pp::bench {
namespace {

constexpr double kMegabyte = 1024 * 1024;

std::string SessionCookie(const BenchContext& context) {
  return "pp_session=" + context.parent.session_token;
}

// Keeps the largest resident size of a process seen while it lives.
class ResidentPeak {
 public:
  explicit ResidentPeak(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            int64_t bytes = ResidentBytes(pid);
            if (bytes > peak_) peak_ = bytes;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }) {}
  ~ResidentPeak() { Stop(); }
  int64_t Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return peak_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> peak_{0};
  std::thread thread_;
};

// Calls that sign in through the gateway's form, as a browser does: each
// worker fetches the form once for its CSRF cookie and token, then posts
// the form for one of `accounts` in turn. A sign-in succeeds on the
// redirect (303) to the home page.
CallFactory SignInCalls(int port, const std::vector<SignedInParent>& accounts) {
  return [port, accounts](int worker) -> Call {
    auto client = std::make_shared<httplib::Client>("127.0.0.1", port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_read_timeout(30, 0);
    auto form = client->Get("/sign-in");
    std::string csrf_cookie;
    std::string csrf_token;
    if (form) {
      std::string header = form->get_header_value("Set-Cookie");
      csrf_cookie = header.substr(0, header.find(';'));
      std::smatch match;
      if (std::regex_search(form->body, match,
                            std::regex("name=\"csrf_token\" value=\"([^\"]+)\""))) {
        csrf_token = match[1];
      }
    }
    auto next = std::make_shared<size_t>(worker);
    return [client, accounts, csrf_cookie, csrf_token, next] {
      const SignedInParent& account = accounts[(*next)++ % accounts.size()];
      httplib::Params form = {
          {"username", account.email}, {"password", account.password}, {"csrf_token", csrf_token}};
      httplib::Result result = client->Post("/sign-in", {{"Cookie", csrf_cookie}}, form);
      return result && result->status == 303;
    };
  };
}

}  // namespace

std::string Milliseconds(absl::Duration duration) {
  return absl::StrFormat("%.2f ms", absl::ToDoubleMilliseconds(duration));
}

std::string Ratio(double figure, double baseline) {
  if (baseline <= 0) return "-";
  return absl::StrFormat("%.2fx", figure / baseline);
}

absl::Status MeasureHomePage(BenchContext& context, std::vector<Row>& rows) {
  const BenchOptions& options = context.options;
  Portal& portal = *context.portal;
  std::string cookie = SessionCookie(context);

  // The baseline serves the same bytes as the signed-in home page.
  httplib::Client client("127.0.0.1", portal.HttpPort());
  httplib::Result home = client.Get("/", {{"Cookie", cookie}});
  if (!home || home->status != 200) {
    return absl::InternalError(absl::StrCat("GET / returned ", home ? home->status : 0,
                                            " instead of the signed-in home page"));
  }
  // A page without the school's events would be a cheaper page than the
  // one being measured.
  if (home->body.find("School event number") == std::string::npos) {
    return absl::InternalError("the signed-in home page shows none of the school's events");
  }
  portal.dir().WriteFile("home.html", home->body);
  int baseline_port = e2e::FreePort();
  e2e::Process baseline("fixed_page_server",
                        {options.bin_dir + "/fixed_page_server",
                         absl::StrCat("--http_address=127.0.0.1:", baseline_port),
                         "--page=" + portal.dir().Path("home.html")},
                        portal.dir().Path("fixed_page_server.log"));
  if (!e2e::WaitForPort(baseline_port)) {
    return absl::UnavailableError("fixed_page_server did not start listening");
  }
  std::string gateway_url = absl::StrCat("http://127.0.0.1:", portal.HttpPort(), "/");
  std::string baseline_url = absl::StrCat("http://127.0.0.1:", baseline_port, "/");

  // The closed-loop rate, with the gateway's memory watched meanwhile.
  ResidentPeak gateway_memory(portal.Pid("gateway"));
  absl::StatusOr<WrkResult> gateway_rate =
      RunWrk(gateway_url, cookie, options.http_connections, options.run_time);
  int64_t gateway_peak = gateway_memory.Stop();
  if (!gateway_rate.ok()) return gateway_rate.status();
  if (gateway_rate->errors > 0) {
    return absl::InternalError(
        absl::StrCat("wrk saw ", gateway_rate->errors, " failed home page requests"));
  }
  absl::StatusOr<WrkResult> baseline_rate =
      RunWrk(baseline_url, "", options.http_connections, options.run_time);
  if (!baseline_rate.ok()) return baseline_rate.status();
  double share = gateway_rate->requests_per_second / baseline_rate->requests_per_second;
  rows.push_back({absl::StrFormat("signed-in home page, requests/s (wrk, %d connections)",
                                  options.http_connections),
                  absl::StrFormat("fixed page: %.0f/s", baseline_rate->requests_per_second),
                  absl::StrFormat("%.0f/s", gateway_rate->requests_per_second),
                  absl::StrFormat("%.1f%%", share * 100), "at least 20%",
                  share >= 0.2 ? GoalMet::kYes : GoalMet::kNo, gateway_rate->requests_per_second});

  // p99 at a fixed rate, with latency counted from when each request was due.
  LoadResult gateway_fixed =
      RunFixedRate(HttpGetCalls(portal.HttpPort(), "/", cookie), options.home_rate,
                   options.http_connections, options.run_time);
  LoadResult baseline_fixed = RunFixedRate(HttpGetCalls(baseline_port, "/", ""), options.home_rate,
                                           options.http_connections, options.run_time);
  if (gateway_fixed.failed > 0) {
    return absl::InternalError(absl::StrCat(gateway_fixed.failed, " home page requests failed"));
  }
  absl::Duration p99 = gateway_fixed.latency.Percentile(0.99);
  absl::Duration baseline_p99 = baseline_fixed.latency.Percentile(0.99);
  rows.push_back({absl::StrFormat("home page p99 at %.0f requests/s", options.home_rate),
                  "fixed page p99: " + Milliseconds(baseline_p99), Milliseconds(p99),
                  Ratio(absl::ToDoubleSeconds(p99), absl::ToDoubleSeconds(baseline_p99)),
                  "at most 10 ms", p99 <= absl::Milliseconds(10) ? GoalMet::kYes : GoalMet::kNo,
                  absl::ToDoubleMilliseconds(p99)});

  double peak_megabytes = static_cast<double>(gateway_peak) / kMegabyte;
  rows.push_back({"gateway resident memory under the wrk load (peak)", "-",
                  absl::StrFormat("%.1f MB", peak_megabytes), "-", "at most 100 MB",
                  peak_megabytes <= 100 ? GoalMet::kYes : GoalMet::kNo, peak_megabytes});
  return absl::OkStatus();
}

absl::Status MeasureSignInStorm(BenchContext& context, std::vector<Row>& rows) {
  const BenchOptions& options = context.options;
  Portal& portal = *context.portal;
  // A few accounts share the storm, as many parents would.
  std::vector<SignedInParent> accounts;
  for (int i = 0; i < 4; ++i) {
    absl::StatusOr<SignedInParent> account =
        RegisterAccount(portal, absl::StrCat("storm.parent.", i, "@example.net"));
    if (!account.ok()) return account.status();
    accounts.push_back(*account);
  }
  CallFactory home_calls = HttpGetCalls(portal.HttpPort(), "/", SessionCookie(context));

  LoadResult alone =
      RunFixedRate(home_calls, options.storm_home_rate, options.http_connections, options.run_time);
  LoadResult storm;
  std::thread storm_thread([&] {
    // Enough workers that slow sign-ins do not hold back the schedule.
    storm = RunFixedRate(SignInCalls(portal.HttpPort(), accounts), options.storm_rate, 32,
                         options.run_time);
  });
  LoadResult during =
      RunFixedRate(home_calls, options.storm_home_rate, options.http_connections, options.run_time);
  storm_thread.join();
  if (alone.failed > 0 || during.failed > 0) {
    return absl::InternalError(
        absl::StrCat(alone.failed + during.failed, " home page requests failed around the storm"));
  }

  absl::Duration alone_p99 = alone.latency.Percentile(0.99);
  absl::Duration during_p99 = during.latency.Percentile(0.99);
  double ratio = absl::ToDoubleSeconds(during_p99) / absl::ToDoubleSeconds(alone_p99);
  rows.push_back({absl::StrFormat("home page p99 at %.0f/s during %.0f sign-ins/s",
                                  options.storm_home_rate, options.storm_rate),
                  "without the storm: " + Milliseconds(alone_p99), Milliseconds(during_p99),
                  Ratio(ratio, 1), "at most 2x", ratio <= 2 ? GoalMet::kYes : GoalMet::kNo,
                  absl::ToDoubleMilliseconds(during_p99)});
  double achieved = storm.PerSecond();
  rows.push_back(
      {"sign-ins completed during the storm (p99 of a sign-in)",
       absl::StrFormat("%.0f/s scheduled", options.storm_rate),
       absl::StrFormat("%.1f/s, %d failed (p99 %s)", achieved, storm.failed,
                       Milliseconds(storm.latency.Percentile(0.99))),
       Ratio(achieved, options.storm_rate), "all of them",
       storm.failed == 0 && achieved >= 0.95 * options.storm_rate ? GoalMet::kYes : GoalMet::kNo,
       achieved});
  return absl::OkStatus();
}

void MeasureIdleMemory(const BenchContext& context, std::vector<Row>& rows) {
  for (const std::string& name : context.portal->CoreServices()) {
    double megabytes = static_cast<double>(ResidentBytes(context.portal->Pid(name))) / kMegabyte;
    rows.push_back({name + " resident memory, idle", "-", absl::StrFormat("%.1f MB", megabytes),
                    "-", "at most 40 MB", megabytes <= 40 ? GoalMet::kYes : GoalMet::kNo,
                    megabytes});
  }
}

}  // namespace pp::bench
