// The identity binary: accounts, sessions and school-system tokens.
#include <algorithm>
#include <memory>
#include <string>
#include <thread>

#include "clock/clock.h"
#include "identity_grpc.h"
#include "identity_metrics.h"
#include "identity_service.h"
#include "identity_store.h"
#include "log/log.h"
#include "notifier.h"
#include "operator_token.h"
#include "password_hashing.h"
#include "server/metrics.h"
#include "server/server.h"
#include "settings/settings.h"

namespace {

// Argon2id keeps a core busy for the whole hash, so as many hashing
// threads as cores would leave page calls waiting behind a sign-in rush.
// The maximum of 2 keeps the memory the threads hold (64 MiB each at the
// interactive cost, the highest) within
// the 384 MiB that k8s/base/identity.yaml allows, because
// hardware_concurrency counts the node's cores, not a container's limit.
int DefaultPasswordThreads() {
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(cores - 1, 1, 2);
}

}  // namespace

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("identity");

  pp::Settings settings("identity", "Accounts, sign-in sessions and school-system tokens.");
  settings.AddString("grpc_address", "127.0.0.1:50051", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51051", "host:port serving /metrics");
  settings.AddString("data_dir", "var/identity", "folder of identity.db and operator-token");
  settings.AddString("notification_address", "127.0.0.1:50053",
                     "host:port of the notification service, which sends the emails");
  settings.AddString("password_hash_cost", "standard",
                     "Argon2id cost: standard (2 passes, 19 MiB), interactive (2 passes, 64 MiB), "
                     "or fast for tests only");
  settings.AddInt("password_threads", 0,
                  "threads that hash passwords, each holding the cost's memory while it hashes; "
                  "0 means one fewer than the processor cores, from 1 to 2, so that hashing "
                  "leaves a core for session checks");
  settings.AddInt("password_queue", 64,
                  "password calls that may wait for a hashing thread before more are turned "
                  "away with RESOURCE_EXHAUSTED; 64 is under a second of waiting for one thread "
                  "at the standard cost");
  settings.ParseOrExit(argc, argv);

  std::string cost_name = settings.GetString("password_hash_cost");
  absl::StatusOr<pp::identity::Argon2Cost> named_cost = pp::identity::Argon2CostNamed(cost_name);
  if (!named_cost.ok()) {
    pp::log::Error("invalid_setting")
        .Field("setting", "password_hash_cost")
        .Field("value", cost_name)
        .Field("error", named_cost.status().message());
    return 2;
  }
  pp::identity::Argon2Cost cost = *named_cost;
  if (cost_name == "fast") {
    pp::log::Warning("password_hash_cost_fast").Field("reason", "tests only: hashes are weak");
  }

  int password_threads = settings.GetInt("password_threads");
  int password_queue = settings.GetInt("password_queue");
  if (password_threads < 0 || password_queue < 0) {
    pp::log::Error("invalid_setting")
        .Field("setting", "password_threads or password_queue")
        .Field("expected", "password_threads and password_queue of 0 or more");
    return 2;
  }
  if (password_threads == 0) password_threads = DefaultPasswordThreads();
  pp::log::Info("password_pool").Field("threads", password_threads).Field("queue", password_queue);

  std::string data_dir = settings.GetString("data_dir");
  auto store = pp::identity::IdentityStore::Open(data_dir);
  if (!store.ok()) {
    pp::log::Error("store_open_failed").Field("error", store.status().message());
    return 1;
  }
  std::string token_path = data_dir + "/operator-token";
  auto operator_token = pp::identity::LoadOrCreateOperatorToken(token_path);
  if (!operator_token.ok()) {
    pp::log::Error("operator_token_failed").Field("error", operator_token.status().message());
    return 1;
  }
  pp::log::Info("operator_token")
      .Field("path", token_path)
      .Field("created", operator_token->created ? "true" : "false");

  auto metrics = pp::Metrics::Start(settings.GetString("metrics_address"));
  if (!metrics.ok()) {
    pp::log::Error("metrics_start_failed").Field("error", metrics.status().message());
    return 1;
  }

  pp::SystemClock clock;
  pp::identity::IdentityMetrics identity_metrics((*metrics)->registry());
  pp::identity::GrpcNotifier notifier(pp::MakeChannel(settings.GetString("notification_address")));
  pp::WorkPool pool(4);
  pp::WorkPool mail_pool(1);
  // Hashing runs only on a core nothing else wants, so that session checks
  // and the pages waiting on them take a core from a hash at once.
  pp::WorkPool password_pool(password_threads, password_queue, pp::WorkPool::Priority::kWhenIdle);
  pp::identity::IdentityService service(**store, clock, notifier, operator_token->token, cost,
                                        &identity_metrics, &mail_pool);
  pp::identity::IdentityGrpc grpc_service(service, pool, password_pool);
  return pp::ServeUntilStopped(
      "identity", {settings.GetString("grpc_address"), {&grpc_service}, metrics->get()});
}
