// The gateway binary: the parents' web pages over HTTP, calling the other
// services over gRPC.
#include <httplib.h>

#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "clock/clock.h"
#include "gateway/cached_clients.h"
#include "gateway/change_watch.h"
#include "gateway/deadline_server.h"
#include "gateway/gateway.h"
#include "gateway/gateway_metrics.h"
#include "gateway/grpc_clients.h"
#include "gateway/notify_receipts.h"
#include "log/log.h"
#include "server/metrics.h"
#include "server/server.h"
#include "settings/settings.h"

namespace {

// Splits "host:port" for httplib. Returns false when the port is not a number.
bool SplitHostPort(const std::string& address, std::string* host, int* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return false;
  *host = address.substr(0, colon);
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port < 65536;
}

}  // namespace

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("gateway");

  pp::Settings settings("gateway", "Serves the parents' web pages and calls the services.");
  settings.AddString("http_address", "127.0.0.1:8080", "host:port the web pages are served on");
  settings.AddString("metrics_address", "127.0.0.1:9080", "host:port serving /metrics");
  settings.AddString("identity_address", "127.0.0.1:50051", "identity service, host:port");
  settings.AddString("link_address", "127.0.0.1:50052", "link-verification service, host:port");
  settings.AddString("calendar_address", "127.0.0.1:50054", "calendar service, host:port");
  settings.AddString("payments_address", "127.0.0.1:50055", "payments-handoff service, host:port");
  settings.AddString("notification_address", "127.0.0.1:50053", "notification service, host:port");
  settings.AddString("notify_receipt_token", "",
                     "bearer token the text-message provider sends with delivery receipts to "
                     "/notify/receipts; the route is off when empty (use PP_NOTIFY_RECEIPT_TOKEN)");
  settings.AddString("secure_cookies", "false",
                     "true to mark cookies Secure, when a TLS proxy serves the pages");
  settings.AddString(
      "public_base_url", "",
      "the portal's address as parents reach it, such as https://portal.example.org, "
      "for calendar feed addresses; empty means the request's Host header");
  settings.AddString("templates_dir", PP_GATEWAY_TEMPLATES_DIR,
                     "folder of the page templates (*.mustache), read once at start");
  settings.AddString("assets_dir", PP_GATEWAY_ASSETS_DIR,
                     "folder of the style sheets, scripts and icons served under /assets/");
  settings.AddString("origin", "",
                     "the portal's own origin, such as https://portal.example.org; POSTs from "
                     "any other Origin are refused. Empty means the origin of public_base_url, "
                     "or else http:// and http_address");
  settings.AddString("csrf_key", "",
                     "secret key binding form tokens to sessions, the same for every gateway of "
                     "one portal (use PP_CSRF_KEY); empty means a random key at each start");
  settings.AddInt("session_cache_seconds", 5,
                  "seconds the gateway reuses identity's response about a session cookie; a "
                  "session ended through another gateway works here for up to this long; 0 "
                  "calls identity on every request; at most 60");
  settings.AddInt("view_cache_seconds", 60,
                  "seconds the gateway keeps a parent's links and school events between pages, "
                  "at most; link-verification and calendar report each change at once over a "
                  "stream, and nothing is kept while a stream is down. 0 asks the services on "
                  "every page; at most 3600");
  settings.AddInt("http_threads", 64,
                  "threads serving HTTP connections; each open connection holds one while it "
                  "sends a request or waits for its next one, and later connections queue. An "
                  "idle kept-alive connection gives its thread up to a queued one");
  settings.AddInt("request_deadline_seconds", 10,
                  "seconds a client has to send a whole request, head and body, counted from "
                  "its connection or, on a kept-alive connection, from the request's first "
                  "byte. Slower clients are disconnected");
  settings.AddInt("busy_request_deadline_seconds", 2,
                  "the request deadline in seconds while connections wait for a thread, so "
                  "that slow clients holding every thread give way sooner");
  settings.ParseOrExit(argc, argv);

  // A signed-out session keeps working on other replicas for up to this
  // long, so more than a minute is refused rather than taken.
  if (settings.GetInt("session_cache_seconds") < 0 ||
      settings.GetInt("session_cache_seconds") > 60) {
    pp::log::Error("bad_setting")
        .Field("setting", "session_cache_seconds")
        .Field("value", settings.GetInt("session_cache_seconds"))
        .Field("expected", "0 to 60 seconds");
    return 2;
  }
  if (settings.GetInt("view_cache_seconds") < 0 || settings.GetInt("view_cache_seconds") > 3600) {
    pp::log::Error("bad_setting")
        .Field("setting", "view_cache_seconds")
        .Field("value", settings.GetInt("view_cache_seconds"))
        .Field("expected", "0 to 3600 seconds");
    return 2;
  }
  const std::string& secure = settings.GetString("secure_cookies");
  if (secure != "true" && secure != "false") {
    pp::log::Error("bad_setting")
        .Field("setting", "secure_cookies")
        .Field("value", secure)
        .Field("expected", "true or false");
    return 2;
  }
  for (const char* name :
       {"http_threads", "request_deadline_seconds", "busy_request_deadline_seconds"}) {
    int value = settings.GetInt(name);
    if (value < 1 || value > 1000) {
      pp::log::Error("bad_setting")
          .Field("setting", name)
          .Field("value", value)
          .Field("expected", "a whole number from 1 to 1000");
      return 2;
    }
  }
  std::string host;
  int port = 0;
  const std::string& http_address = settings.GetString("http_address");
  if (!SplitHostPort(http_address, &host, &port)) {
    pp::log::Error("bad_setting")
        .Field("setting", "http_address")
        .Field("value", http_address)
        .Field("expected", "host:port, for example 127.0.0.1:8080");
    return 2;
  }

  // Templates and assets that do not load are a broken install: stop now
  // rather than serve broken pages.
  absl::StatusOr<std::unique_ptr<pp::gateway::Templates>> templates =
      pp::gateway::Templates::Load(settings.GetString("templates_dir"));
  if (!templates.ok()) {
    pp::log::Error("bad_setting")
        .Field("setting", "templates_dir")
        .Field("error", templates.status().message());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<pp::gateway::Assets>> assets =
      pp::gateway::Assets::Load(settings.GetString("assets_dir"));
  if (!assets.ok()) {
    pp::log::Error("bad_setting")
        .Field("setting", "assets_dir")
        .Field("error", assets.status().message());
    return 2;
  }

  absl::StatusOr<std::unique_ptr<pp::Metrics>> metrics =
      pp::Metrics::Start(settings.GetString("metrics_address"));
  if (!metrics.ok()) {
    pp::log::Error("start_failed")
        .Field("binary", "gateway")
        .Field("reason", metrics.status().message());
    return 1;
  }
  pp::gateway::GatewayMetrics gateway_metrics((*metrics)->registry());

  pp::gateway::GrpcIdentityClient identity(pp::MakeChannel(settings.GetString("identity_address")));
  pp::gateway::GrpcLinksClient links(pp::MakeChannel(settings.GetString("link_address")));
  pp::gateway::GrpcCalendarClient calendar(pp::MakeChannel(settings.GetString("calendar_address")));
  pp::gateway::GrpcHandoffClient handoff(pp::MakeChannel(settings.GetString("payments_address")));
  pp::gateway::GrpcNotificationsClient notifications(
      pp::MakeChannel(settings.GetString("notification_address")));
  pp::SystemClock clock;
  pp::gateway::GatewayOptions options;
  options.secure_cookies = secure == "true";
  options.public_base_url = settings.GetString("public_base_url");
  options.csrf_key = settings.GetString("csrf_key");
  options.session_cache_ttl = absl::Seconds(settings.GetInt("session_cache_seconds"));
  options.origin = settings.GetString("origin");
  if (options.origin.empty()) options.origin = pp::gateway::OriginOf(options.public_base_url);
  if (options.origin.empty()) options.origin = "http://" + http_address;
  // Clients that keep the home page's links and events until the services'
  // watch streams report a change (cached_clients.h).
  pp::gateway::ViewCacheLimits view_limits;
  view_limits.ttl = absl::Seconds(settings.GetInt("view_cache_seconds"));
  pp::gateway::CachedLinksClient cached_links(links, clock, view_limits);
  pp::gateway::CachedCalendarClient cached_calendar(calendar, clock, view_limits);
  std::unique_ptr<pp::gateway::ChangeWatch> links_watch;
  std::unique_ptr<pp::gateway::ChangeWatch> calendar_watch;
  if (view_limits.ttl > absl::ZeroDuration()) {
    links_watch = std::make_unique<pp::gateway::ChangeWatch>(
        "link-verification",
        [&links](grpc::ClientContext* context) { return links.WatchLinks(context); },
        [&cached_links](bool live) { cached_links.SetLive(live); },
        [&cached_links](const auto& change) { cached_links.Changed(change); });
    calendar_watch = std::make_unique<pp::gateway::ChangeWatch>(
        "calendar",
        [&calendar](grpc::ClientContext* context) { return calendar.WatchHomeCalendars(context); },
        [&cached_calendar](bool live) { cached_calendar.SetLive(live); },
        [&cached_calendar](const auto& change) { cached_calendar.Changed(change); });
  }
  pp::gateway::Gateway gateway(
      {&identity, &cached_links, &cached_calendar, &handoff, &notifications}, clock,
      gateway_metrics, options, **templates, **assets);

  // A client that trickles its request would otherwise hold one of the
  // threads for as long as it likes. An idle kept-alive connection waits up
  // to 2 seconds for its next request, or gives its thread up at once to a
  // connection waiting for one.
  pp::gateway::DeadlineServerOptions server_options;
  server_options.threads = static_cast<size_t>(settings.GetInt("http_threads"));
  server_options.request_deadline = absl::Seconds(settings.GetInt("request_deadline_seconds"));
  server_options.busy_request_deadline =
      absl::Seconds(settings.GetInt("busy_request_deadline_seconds"));
  pp::gateway::DeadlineServer server(
      server_options, [&](const std::string& address, absl::Duration deadline) {
        gateway_metrics.CountCutOff();
        pp::log::Warning("request_cut_off")
            .Field("remote", address)
            .Field("deadline_seconds", absl::ToInt64Seconds(deadline));
      });
  server.set_keep_alive_timeout(2);
  server.set_read_timeout(5);
  // httplib writes the headers and the body separately. Without TCP_NODELAY,
  // Nagle's algorithm delays the body until the client's delayed
  // acknowledgement of the headers, which adds up to 40 ms to each page on
  // Linux.
  server.set_tcp_nodelay(true);
  gateway.Register(server);
  pp::gateway::GrpcReceiptRecorder receipts(
      pp::MakeChannel(settings.GetString("notification_address")));
  if (!settings.GetString("notify_receipt_token").empty()) {
    pp::gateway::RegisterNotifyReceipts(server, settings.GetString("notify_receipt_token"),
                                        receipts);
  }
  if (!server.bind_to_port(host, port)) {
    pp::log::Error("start_failed")
        .Field("binary", "gateway")
        .Field("reason",
               "cannot listen on " + http_address + ": the address is in use or not local");
    return 1;
  }
  pp::log::Info("listening")
      .Field("binary", "gateway")
      .Field("address", http_address)
      .Field("secure_cookies", secure);
  std::thread serving([&server] { server.listen_after_bind(); });

  int signal = pp::WaitForStopSignal();
  pp::log::Info("stopping").Field("binary", "gateway").Field("signal", signal);
  // stop() lets requests in flight finish before listen_after_bind returns.
  server.stop();
  serving.join();
  pp::log::Info("stopped").Field("binary", "gateway");
  return 0;
}
