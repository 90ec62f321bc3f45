// The calendar binary: school calendars imported from iCalendar documents,
// listed for parents and school systems over gRPC.
#include <prometheus/counter.h>

#include "calendar_grpc.h"
#include "calendar_service.h"
#include "calendar_store.h"
#include "log/log.h"
#include "school_days.h"
#include "server/periodic_task.h"
#include "server/server.h"
#include "settings/settings.h"

namespace {

// Room for the largest document ParseCalendar accepts plus the rest of the
// request, so that an oversized document gets ParseCalendar's message.
constexpr int kMaxRequestBytes = static_cast<int>(pp::calendar::kMaxDocumentBytes) + 64 * 1024;

}  // namespace

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("calendar");

  pp::Settings settings("calendar", "School calendars: iCalendar import and event listing.");
  settings.AddString("grpc_address", "127.0.0.1:50054", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51054", "host:port serving /metrics");
  settings.AddString("data_dir", "var/calendar", "folder of the SQLite store calendar.db");
  settings.AddString("identity_address", "127.0.0.1:50051",
                     "host:port of the identity service, which checks school tokens");
  settings.ParseOrExit(argc, argv);

  // Declared before the store, whose writes publish to it.
  pp::ChangeFeed home_changes;
  auto store = pp::calendar::CalendarStore::Open(settings.GetString("data_dir"));
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
  auto& imports = prometheus::BuildCounter()
                      .Name("pp_calendar_imports_total")
                      .Help("Calendar imports, by result: imported or rejected documents.")
                      .Register(registry);
  prometheus::Counter& imported = imports.Add({{"result", "imported"}});
  prometheus::Counter& rejected = imports.Add({{"result", "rejected"}});
  prometheus::Counter& events = prometheus::BuildCounter()
                                    .Name("pp_calendar_events_imported_total")
                                    .Help("Events stored by calendar imports.")
                                    .Register(registry)
                                    .Add({});
  prometheus::Counter& warnings = prometheus::BuildCounter()
                                      .Name("pp_calendar_import_warnings_total")
                                      .Help("Warnings about faulty events in imported calendars.")
                                      .Register(registry)
                                      .Add({});
  pp::calendar::ImportCounters counters;
  counters.on_import = [&](const pp::calendar::api::ImportCalendarSummary& summary) {
    imported.Increment();
    events.Increment(summary.events_imported());
    warnings.Increment(summary.warnings_size());
  };
  counters.on_rejected = [&] { rejected.Increment(); };

  pp::SystemClock clock;
  pp::IdentitySchoolAuthenticator authenticator(
      pp::MakeChannel(settings.GetString("identity_address")));
  pp::WorkPool pool(4);
  pp::calendar::CalendarService service(**store, clock, counters);
  pp::calendar::SchoolDays school_days(**store, pp::calendar::ScottishBankHolidays());
  pp::calendar::FeedService feeds(**store, clock, pp::calendar::ScottishBankHolidays());
  (*store)->PublishChangesTo(&home_changes);
  pp::calendar::CalendarGrpc calendar_grpc(service, school_days, feeds, pool, &home_changes);
  pp::calendar::SchoolCalendarGrpc school_calendar_grpc(service, authenticator, pool);

  pp::log::Info("configured")
      .Field("data_dir", settings.GetString("data_dir"))
      .Field("identity_address", settings.GetString("identity_address"));
  pp::ServerOptions options;
  options.address = settings.GetString("grpc_address");
  options.services = {&calendar_grpc, &school_calendar_grpc};
  options.metrics = metrics->get();
  options.max_receive_message_bytes = kMaxRequestBytes;
  options.on_stop = [&home_changes] { home_changes.Close(); };
  // Another process's commit to the store (an operator's sqlite3) drops
  // what calendar keeps in memory at its next transaction. An empty read
  // every 2 seconds bounds that delay when no call arrives.
  pp::PeriodicTask outside_commits([&store] { (*store)->NoticeOtherWriters().IgnoreError(); },
                                   absl::Seconds(2));
  return pp::ServeUntilStopped("calendar", options);
}
