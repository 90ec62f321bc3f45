#include "http_load.h"

#include <httplib.h>

#include <memory>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "suite.h"

namespace pp::bench {
namespace {

// Parses a wrk duration such as "812.00us", "3.20ms" or "1.05s".
absl::Duration ParseWrkDuration(const std::string& number, const std::string& unit) {
  double value = 0;
  if (!absl::SimpleAtod(number, &value)) return absl::ZeroDuration();
  if (unit == "us") return absl::Microseconds(value);
  if (unit == "ms") return absl::Microseconds(value * 1000);
  if (unit == "s") return absl::Microseconds(value * 1e6);
  if (unit == "m") return absl::Seconds(value * 60);
  return absl::ZeroDuration();
}

int64_t CaptureCount(const std::string& output, const std::string& pattern) {
  std::smatch match;
  int64_t total = 0;
  std::string rest = output;
  std::regex expression(pattern);
  while (std::regex_search(rest, match, expression)) {
    int64_t value = 0;
    if (absl::SimpleAtoi(match[1].str(), &value)) total += value;
    rest = match.suffix();
  }
  return total;
}

}  // namespace

CallFactory HttpGetCalls(int port, const std::string& path, const std::string& cookie) {
  return [port, path, cookie](int) -> Call {
    auto client = std::make_shared<httplib::Client>("127.0.0.1", port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_read_timeout(30, 0);
    httplib::Headers headers;
    if (!cookie.empty()) headers.emplace("Cookie", cookie);
    return [client, path, headers] {
      httplib::Result result = client->Get(path, headers);
      return result && result->status == 200;
    };
  };
}

absl::StatusOr<WrkResult> RunWrk(const std::string& url, const std::string& cookie, int connections,
                                 absl::Duration duration) {
  std::vector<std::string> argv = {
      "/usr/bin/wrk", "--threads=2", absl::StrCat("--connections=", connections),
      absl::StrCat("--duration=", absl::ToInt64Seconds(duration), "s"), "--latency"};
  if (!cookie.empty()) argv.push_back("--header=Cookie: " + cookie);
  argv.push_back(url);
  e2e::CommandResult run = e2e::RunCommand(argv);
  if (run.exit_code != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "wrk failed (exit code ", run.exit_code, "; install Debian's wrk package): ", run.output));
  }

  WrkResult result;
  std::smatch match;
  if (!std::regex_search(run.output, match, std::regex("Requests/sec:\\s+([0-9.]+)")) ||
      !absl::SimpleAtod(match[1].str(), &result.requests_per_second)) {
    return absl::InternalError("wrk printed no Requests/sec line: " + run.output);
  }
  if (std::regex_search(run.output, match, std::regex("\\n\\s+99%\\s+([0-9.]+)(us|ms|s|m)"))) {
    result.p99 = ParseWrkDuration(match[1].str(), match[2].str());
  }
  result.errors = CaptureCount(run.output, "Non-2xx or 3xx responses: ([0-9]+)") +
                  CaptureCount(run.output, "(?:connect|read|write|timeout) ([0-9]+)");
  return result;
}

}  // namespace pp::bench
