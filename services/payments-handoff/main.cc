// The payments-handoff binary: signed single-use hand-offs into the school
// payment provider over gRPC, and optionally a sandbox provider over HTTP.
#include <prometheus/counter.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "handoff_grpc.h"
#include "handoff_service.h"
#include "handoff_store.h"
#include "log/log.h"
#include "sandbox_provider.h"
#include "server/server.h"
#include "settings/settings.h"

namespace {

// How often unredeemed and uncompleted hand-offs are looked for, besides
// the sweep on each Create.
constexpr auto kSweepInterval = std::chrono::minutes(1);

// Runs the sweep every kSweepInterval until destroyed.
class PeriodicSweep {
 public:
  explicit PeriodicSweep(pp::payments::HandoffService& service)
      : thread_([this, &service] { Run(service); }) {}
  ~PeriodicSweep() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Run(pp::payments::HandoffService& service) {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, kSweepInterval, [this] { return stopping_; })) {
      absl::StatusOr<int> swept = service.SweepExpired();
      if (!swept.ok()) {
        pp::log::Warning("handoff_sweep_failed").Field("error", swept.status().message());
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  pp::BlockStopSignals();

  pp::Settings settings("payments-handoff",
                        "Signed single-use hand-offs into the school payment provider.");
  settings.AddString("grpc_address", "127.0.0.1:50055", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51055", "host:port serving /metrics");
  settings.AddString("data_dir", "var/payments-handoff",
                     "folder of the SQLite store payments-handoff.db, which holds the signing key");
  settings.AddString("provider_url", "http://127.0.0.1:8090/pay",
                     "URL of the payment provider that the parent's browser posts the token to");
  settings.AddString("sandbox_provider_address", "127.0.0.1:8090",
                     "host:port of the built-in sandbox payment provider; empty turns it off");
  settings.AddString("return_url", "http://127.0.0.1:8080/?payment=complete",
                     "where the sandbox provider sends the browser after payment");
  settings.ParseOrExit(argc, argv);

  auto store = pp::payments::HandoffStore::Open(settings.GetString("data_dir"));
  if (!store.ok()) {
    pp::log::Error("store_open_failed").Field("error", store.status().message());
    return 1;
  }
  auto metrics = pp::Metrics::Start(settings.GetString("metrics_address"));
  if (!metrics.ok()) {
    pp::log::Error("metrics_start_failed").Field("error", metrics.status().message());
    return 1;
  }

  // Service-specific metrics, in addition to the RPC counts.
  prometheus::Registry& registry = (*metrics)->registry();
  auto& handoffs = prometheus::BuildCounter()
                       .Name("pp_payments_handoff_handoffs_total")
                       .Help("Hand-offs by event: created, redeemed or expired.")
                       .Register(registry);
  auto& completed = prometheus::BuildCounter()
                        .Name("pp_payments_handoff_completed_total")
                        .Help("Completed hand-offs by the provider's outcome.")
                        .Register(registry);
  auto& rejected = prometheus::BuildCounter()
                       .Name("pp_payments_handoff_tokens_rejected_total")
                       .Help("Tokens Redeem rejected, by status code.")
                       .Register(registry);
  pp::payments::HandoffCounters counters;
  counters.on_created = [&] { handoffs.Add({{"event", "created"}}).Increment(); };
  counters.on_redeemed = [&] { handoffs.Add({{"event", "redeemed"}}).Increment(); };
  counters.on_expired = [&](int count) { handoffs.Add({{"event", "expired"}}).Increment(count); };
  counters.on_completed = [&](const std::string& outcome) {
    completed.Add({{"outcome", outcome}}).Increment();
  };
  counters.on_token_rejected = [&](const std::string& code) {
    rejected.Add({{"code", code}}).Increment();
  };

  pp::SystemClock clock;
  pp::payments::HandoffOptions options;
  options.provider_url = settings.GetString("provider_url");
  auto service = pp::payments::HandoffService::Load(**store, clock, options, counters);
  if (!service.ok()) {
    pp::log::Error("signing_key_load_failed").Field("error", service.status().message());
    return 1;
  }
  pp::log::Info("configured")
      .Field("data_dir", settings.GetString("data_dir"))
      .Field("provider_url", options.provider_url)
      .Field("public_key", pp::crypto::Base64UrlEncode((*service)->public_key()));

  pp::WorkPool pool(4);
  pp::payments::HandoffGrpc handoff_grpc(**service, pool);
  PeriodicSweep sweep(**service);

  pp::payments::SandboxProvider sandbox(**service, settings.GetString("return_url"));
  const std::string& sandbox_address = settings.GetString("sandbox_provider_address");
  if (!sandbox_address.empty()) {
    absl::StatusOr<int> port = sandbox.Start(sandbox_address);
    if (!port.ok()) {
      pp::log::Error("sandbox_provider_start_failed").Field("error", port.status().message());
      return 1;
    }
  }

  int exit_code = pp::ServeUntilStopped(
      "payments-handoff", {settings.GetString("grpc_address"), {&handoff_grpc}, metrics->get()});
  sandbox.Stop();
  return exit_code;
}
