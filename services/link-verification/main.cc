// link-verification: matches parents to pupils on school rosters, proves the
// match with a code sent to the contact details the school has, and keeps
// the links schools approve.
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "calendar_days.h"
#include "clock/clock.h"
#include "code_key.h"
#include "deadline_sweep.h"
#include "link_changes.h"
#include "link_gauges.h"
#include "link_grpc.h"
#include "link_metrics.h"
#include "link_service.h"
#include "link_store.h"
#include "log/log.h"
#include "notifier.h"
#include "school_auth/school_auth.h"
#include "school_records_service.h"
#include "school_reminders.h"
#include "server/metrics.h"
#include "server/periodic_task.h"
#include "server/server.h"
#include "server/work_pool.h"
#include "settings/settings.h"
#include "store/grouped_writer.h"

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("link-verification");

  pp::Settings settings("link-verification",
                        "Links parents' accounts to their children once the school confirms.");
  settings.AddString("grpc_address", "127.0.0.1:50052", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51052",
                     "host:port serving Prometheus metrics at /metrics");
  settings.AddString("data_dir", "var/link-verification",
                     "folder of the SQLite store link-verification.db, created when missing");
  settings.AddString("identity_address", "127.0.0.1:50051",
                     "host:port of the identity service, which checks school tokens");
  settings.AddString("notification_address", "127.0.0.1:50053",
                     "host:port of the notification service, which sends security codes");
  settings.AddString("calendar_address", "127.0.0.1:50054",
                     "host:port of the calendar service, which knows each school's working days");
  settings.AddString("time_zone", "Europe/London",
                     "IANA time zone in which working days and dates of birth are counted");
  settings.AddInt("start_link_ms", 750,
                  "milliseconds after which every StartLink is answered, whatever its outcome");
  settings.AddInt("sweep_interval_seconds", 300,
                  "seconds between sweeps that move deadlines past days a school has closed "
                  "since, and email schools about link requests waiting 3 school working days");
  settings.ParseOrExit(argc, argv);

  absl::TimeZone zone;
  if (!absl::LoadTimeZone(settings.GetString("time_zone"), &zone)) {
    pp::log::Error("invalid_setting")
        .Field("setting", "time_zone")
        .Field("value", settings.GetString("time_zone"))
        .Field("error", "unknown time zone; install tzdata or pick an IANA name");
    return 1;
  }
  // Declared before the store, whose commits publish to it.
  pp::ChangeFeed link_changes;
  absl::StatusOr<std::unique_ptr<pp::Store>> store =
      pp::link::OpenLinkStore(settings.GetString("data_dir"));
  if (store.ok()) {
    absl::Status attached = pp::link::AttachLinkChanges(**store, link_changes);
    if (!attached.ok()) store = attached;
  }
  if (!store.ok()) {
    pp::log::Error("store_open_failed").Field("error", store.status().message());
    return 1;
  }
  absl::StatusOr<std::string> code_key =
      pp::link::LoadOrCreateCodeKey(settings.GetString("data_dir"));
  if (!code_key.ok()) {
    pp::log::Error("code_key_failed").Field("error", code_key.status().message());
    return 1;
  }
  if (settings.GetInt("start_link_ms") < 0) {
    pp::log::Error("invalid_setting")
        .Field("setting", "start_link_ms")
        .Field("error", "must be 0 or more");
    return 1;
  }
  if (settings.GetInt("sweep_interval_seconds") < 1) {
    pp::log::Error("invalid_setting")
        .Field("setting", "sweep_interval_seconds")
        .Field("error", "must be 1 or more");
    return 1;
  }
  // Declared before the metrics, which read it at each scrape until they stop.
  pp::SystemClock clock;
  absl::StatusOr<std::unique_ptr<pp::Metrics>> metrics =
      pp::Metrics::Start(settings.GetString("metrics_address"));
  if (!metrics.ok()) {
    pp::log::Error("metrics_start_failed").Field("error", metrics.status().message());
    return 1;
  }

  pp::link::LinkMetrics link_metrics((*metrics)->registry());
  (*metrics)->AddCollectable(
      std::make_shared<pp::StoreGaugeCollector>(**store, pp::link::LinkRequestGauges(clock, zone)));
  pp::link::GrpcNotifier notifier(pp::MakeChannel(settings.GetString("notification_address")));
  pp::IdentitySchoolAuthenticator authenticator(
      pp::MakeChannel(settings.GetString("identity_address")));
  pp::link::CalendarSchoolDays school_days(pp::MakeChannel(settings.GetString("calendar_address")));
  pp::WorkPool pool(4);
  pp::link::LinkService links(**store, clock, notifier, school_days, link_metrics, zone,
                              *std::move(code_key));
  pp::link::SchoolRecordsService records(**store, clock, notifier, school_days, link_metrics, zone);
  pp::GroupedWriter start_writes(**store, pool.Submitter());
  pp::link::LinksGrpc links_grpc(links, pool, start_writes,
                                 absl::Milliseconds(settings.GetInt("start_link_ms")),
                                 &link_changes);
  pp::link::SchoolRecordsGrpc records_grpc(records, authenticator, pool);
  pp::link::DeadlineSweep deadlines(**store, clock, school_days, zone);
  pp::link::SchoolReminders reminders(**store, clock, notifier, school_days, link_metrics, zone);
  // Deadlines first, so that a reminder states the current one. Failures
  // are logged by each sweep, and the next one tries again.
  pp::PeriodicTask sweeps(
      [&deadlines, &reminders] {
        deadlines.ExtendDeadlines().IgnoreError();
        reminders.Sweep().IgnoreError();
      },
      absl::Seconds(settings.GetInt("sweep_interval_seconds")));
  // Another process's commit to the store (an operator's sqlite3) reaches
  // the watch stream at this service's next transaction. An empty read
  // every 2 seconds bounds that delay when no call arrives.
  pp::PeriodicTask outside_commits(
      [&store] { (*store)->Read([](pp::Tx&) { return absl::OkStatus(); }).IgnoreError(); },
      absl::Seconds(2));

  pp::log::Info("configured")
      .Field("data_dir", settings.GetString("data_dir"))
      .Field("identity_address", settings.GetString("identity_address"))
      .Field("notification_address", settings.GetString("notification_address"))
      .Field("calendar_address", settings.GetString("calendar_address"))
      .Field("start_link_ms", static_cast<int64_t>(settings.GetInt("start_link_ms")))
      .Field("sweep_interval_seconds",
             static_cast<int64_t>(settings.GetInt("sweep_interval_seconds")))
      .Field("metrics_address", settings.GetString("metrics_address"))
      .Field("time_zone", settings.GetString("time_zone"));
  return pp::ServeUntilStopped("link-verification", {settings.GetString("grpc_address"),
                                                     {&links_grpc, &records_grpc},
                                                     metrics->get(),
                                                     0,
                                                     [&link_changes] { link_changes.Close(); }});
}
