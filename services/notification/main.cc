// The notification binary: the outbox of emails and text messages.
#include <memory>
#include <string>

#include "clock/clock.h"
#include "log/log.h"
#include "notification_grpc.h"
#include "notification_metrics.h"
#include "notification_service.h"
#include "notification_store.h"
#include "sender.h"
#include "server/metrics.h"
#include "server/server.h"
#include "settings/settings.h"

int main(int argc, char** argv) {
  pp::BlockStopSignals();

  pp::Settings settings("notification", "Stores and delivers emails and text messages.");
  settings.AddString("grpc_address", "127.0.0.1:50053", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51053", "host:port serving /metrics");
  settings.AddString("data_dir", "var/notification", "folder of notification.db");
  settings.AddString("outbox_dir", "",
                     "folder the file sender writes messages into (default <data_dir>/outbox)");
  settings.AddString("email_from", "Parents Portal <no-reply@parentsportal.localhost>",
                     "From header of every email");
  settings.ParseOrExit(argc, argv);

  std::string data_dir = settings.GetString("data_dir");
  std::string outbox_dir = settings.GetString("outbox_dir");
  if (outbox_dir.empty()) outbox_dir = data_dir + "/outbox";

  auto store = pp::notification::NotificationStore::Open(data_dir);
  if (!store.ok()) {
    pp::log::Error("store_open_failed").Field("error", store.status().message());
    return 1;
  }
  auto metrics = pp::Metrics::Start(settings.GetString("metrics_address"));
  if (!metrics.ok()) {
    pp::log::Error("metrics_start_failed").Field("error", metrics.status().message());
    return 1;
  }

  pp::SystemClock clock;
  pp::notification::NotificationMetrics notification_metrics((*metrics)->registry());
  pp::notification::FileSender sender(outbox_dir, settings.GetString("email_from"));
  pp::WorkPool pool(4);
  pp::notification::NotificationService service(**store, clock, sender, &notification_metrics);
  pp::log::Info("outbox").Field("sender", "file").Field("folder", outbox_dir);

  if (absl::Status status = service.DeliverQueued(); !status.ok()) {
    pp::log::Error("queued_delivery_failed").Field("error", status.message());
    return 1;
  }

  pp::notification::NotificationsGrpc grpc_service(service, pool);
  return pp::ServeUntilStopped(
      "notification", {settings.GetString("grpc_address"), {&grpc_service}, metrics->get()});
}
