// The payments-handoff binary: signed hand-offs into the school payment
// providers over gRPC. SIGHUP reloads the providers file.
#include <prometheus/counter.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <thread>

#include "child_directory.h"
#include "handoff_grpc.h"
#include "handoff_service.h"
#include "handoff_store.h"
#include "log/log.h"
#include "provider_registry.h"
#include "server/server.h"
#include "settings/settings.h"

namespace {

// How often hand-offs past their data lifetime are looked for, so personal
// data outlives the 30 minutes by at most this much.
constexpr auto kSweepInterval = std::chrono::seconds(15);

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

// Reloads the providers file on each SIGHUP until destroyed. SIGHUP must be
// blocked in every thread, so that only this one receives it.
class ReloadOnHangup {
 public:
  explicit ReloadOnHangup(pp::payments::ProviderRegistry& registry)
      : thread_([this, &registry] { Run(registry); }) {}
  ~ReloadOnHangup() {
    stopping_ = true;
    thread_.join();
  }

 private:
  void Run(pp::payments::ProviderRegistry& registry) {
    sigset_t hangup;
    sigemptyset(&hangup);
    sigaddset(&hangup, SIGHUP);
    // A timed wait of 200 ms, so that the destructor waits at most that long.
    const timespec timeout{0, 200 * 1000 * 1000};
    while (!stopping_) {
      if (sigtimedwait(&hangup, nullptr, &timeout) != SIGHUP) continue;
      absl::Status status = registry.Reload();
      if (status.ok()) {
        pp::log::Info("providers_reloaded");
      } else {
        pp::log::Error("providers_reload_failed")
            .Field("error", status.message())
            .Field("kept", "previous providers");
      }
    }
  }

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

void BlockHangup() {
  sigset_t hangup;
  sigemptyset(&hangup);
  sigaddset(&hangup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hangup, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  BlockHangup();

  pp::Settings settings("payments-handoff", "Signed hand-offs into the school payment providers.");
  settings.AddString("grpc_address", "127.0.0.1:50055", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51055", "host:port serving /metrics");
  settings.AddString(
      "data_dir", "var/payments-handoff",
      "folder of the SQLite store payments-handoff.db, which holds the signing keys");
  settings.AddString("providers_file", "",
                     "JSON file of payment providers and their schools (docs/payments.md); "
                     "required, reloaded on SIGHUP");
  settings.AddString("link_address", "127.0.0.1:50052",
                     "link-verification service, host:port, which confirms parent-child links");
  settings.AddString("issuer", "http://127.0.0.1:8080",
                     "the assertions' iss: the portal's public address");
  settings.ParseOrExit(argc, argv);

  if (settings.GetString("providers_file").empty()) {
    pp::log::Error("providers_file_missing")
        .Field("error", "set --providers_file or PP_PROVIDERS_FILE to the providers JSON file");
    return 2;
  }
  auto registry = pp::payments::ProviderRegistry::Load(settings.GetString("providers_file"));
  if (!registry.ok()) {
    pp::log::Error("providers_load_failed").Field("error", registry.status().message());
    return 1;
  }
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
  (*metrics)->AddCollectable((*store)->Gauges());
  prometheus::Registry& prometheus_registry = (*metrics)->registry();
  auto& handoffs = prometheus::BuildCounter()
                       .Name("pp_payments_handoff_handoffs_total")
                       .Help("Hand-offs by event: created or expired.")
                       .Register(prometheus_registry);
  auto& completed = prometheus::BuildCounter()
                        .Name("pp_payments_handoff_completed_total")
                        .Help("Completed hand-offs by the provider's outcome.")
                        .Register(prometheus_registry);
  auto& callbacks = prometheus::BuildCounter()
                        .Name("pp_payments_handoff_callbacks_total")
                        .Help("Provider callbacks by answer code, or REPLAYED.")
                        .Register(prometheus_registry);
  pp::payments::HandoffCounters counters;
  counters.on_created = [&] { handoffs.Add({{"event", "created"}}).Increment(); };
  counters.on_expired = [&](int count) { handoffs.Add({{"event", "expired"}}).Increment(count); };
  counters.on_completed = [&](const std::string& outcome) {
    completed.Add({{"outcome", outcome}}).Increment();
  };
  counters.on_callback = [&](const std::string& code) {
    callbacks.Add({{"code", code}}).Increment();
  };

  pp::SystemClock clock;
  pp::payments::GrpcChildDirectory children(pp::MakeChannel(settings.GetString("link_address")));
  pp::payments::HandoffOptions options;
  options.issuer = settings.GetString("issuer");
  auto service =
      pp::payments::HandoffService::Load(**store, **registry, children, clock, options, counters);
  if (!service.ok()) {
    pp::log::Error("secrets_load_failed").Field("error", service.status().message());
    return 1;
  }
  pp::log::Info("configured")
      .Field("data_dir", settings.GetString("data_dir"))
      .Field("providers_file", settings.GetString("providers_file"))
      .Field("issuer", options.issuer);

  pp::WorkPool pool(4);
  pp::payments::HandoffGrpc handoff_grpc(**service, pool);
  PeriodicSweep sweep(**service);
  ReloadOnHangup reload(**registry);
  return pp::ServeUntilStopped(
      "payments-handoff", {settings.GetString("grpc_address"), {&handoff_grpc}, metrics->get()});
}
