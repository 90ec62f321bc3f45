// The notification binary: the outbox of emails and text messages.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "clock/clock.h"
#include "delivery_loop.h"
#include "log/log.h"
#include "notification_grpc.h"
#include "notification_metrics.h"
#include "notification_service.h"
#include "notification_store.h"
#include "notify_sender.h"
#include "sender.h"
#include "server/metrics.h"
#include "server/server.h"
#include "settings/settings.h"
#include "smtp_sender.h"
#include "templates.h"

namespace {

// Returns the folder holding this executable, where the build puts the
// templates next to it.
std::string ExecutableDir() {
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "." : self.parent_path().string();
}

void AddSettings(pp::Settings& settings) {
  settings.AddString("grpc_address", "127.0.0.1:50053", "host:port the gRPC server listens on");
  settings.AddString("metrics_address", "127.0.0.1:51053", "host:port serving /metrics");
  settings.AddString("data_dir", "var/notification", "folder of notification.db");
  settings.AddString("outbox_dir", "",
                     "folder the file sender writes messages into (default <data_dir>/outbox)");
  settings.AddString("email_from", "Parents Portal <no-reply@parentsportal.localhost>",
                     "From header of every email");
  settings.AddString("template_dir", "",
                     "folder of the <kind>.tmpl message templates "
                     "(default notification-templates next to the binary)");
  settings.AddString("smtp_url", "",
                     "smtp://host:port or smtps://host:port; when set, email goes by SMTP");
  settings.AddInt("smtp_starttls", 0, "1 to require STARTTLS on an smtp:// connection");
  settings.AddString("smtp_username", "", "SMTP login name; no login when empty");
  settings.AddString("smtp_password", "", "SMTP password (prefer PP_SMTP_PASSWORD)");
  settings.AddString("smtp_ca_file", "",
                     "PEM file of the certificate authorities trusted for the SMTP server; the "
                     "system's when empty");
  settings.AddString("notify_url", "",
                     "base URL of a GOV.UK Notify-compatible API; when set, text messages "
                     "(and email, unless smtp_url is set) go through it");
  settings.AddString("notify_api_key", "", "Notify API key (prefer PP_NOTIFY_API_KEY)");
  settings.AddString("notify_email_template_id", "",
                     "Notify template with ((subject)) and ((body)) for email");
  settings.AddString("notify_sms_template_id", "",
                     "Notify template with ((body)) for text messages");
  settings.AddInt("delivery_threads", 4, "messages handed to providers at the same time");
  settings.AddInt("first_retry_seconds", 30,
                  "delay before the first retry of a failed delivery; it doubles each time");
  settings.AddInt("max_message_age_hours", 24,
                  "hours after which a message still failing is given up as failed");
}

}  // namespace

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("notification");

  pp::Settings settings("notification", "Stores and delivers emails and text messages.");
  AddSettings(settings);
  settings.ParseOrExit(argc, argv);

  std::string data_dir = settings.GetString("data_dir");
  std::string outbox_dir = settings.GetString("outbox_dir");
  if (outbox_dir.empty()) outbox_dir = data_dir + "/outbox";
  std::string template_dir = settings.GetString("template_dir");
  if (template_dir.empty()) template_dir = ExecutableDir() + "/notification-templates";
  std::string from = settings.GetString("email_from");

  // Messages show times as a parent in the UK reads them, whatever the
  // server's own time zone.
  absl::TimeZone london;
  if (!absl::LoadTimeZone("Europe/London", &london)) {
    pp::log::Error("time_zone_missing")
        .Field("zone", "Europe/London")
        .Field("fix", "install tzdata");
    return 1;
  }
  absl::StatusOr<pp::notification::Templates> templates =
      pp::notification::Templates::Load(template_dir, london);
  if (!templates.ok()) {
    pp::log::Error("templates_invalid").Field("error", templates.status().message());
    return 1;
  }
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

  // Channels: SMTP or Notify when configured, files otherwise.
  pp::notification::FileSender file_sender(outbox_dir, from);
  std::unique_ptr<pp::notification::SmtpSender> smtp_sender;
  std::unique_ptr<pp::notification::NotifySender> notify_sender;
  pp::notification::Sender* email = &file_sender;
  pp::notification::Sender* sms = &file_sender;
  if (!settings.GetString("notify_url").empty()) {
    auto created = pp::notification::NotifySender::Create(
        {settings.GetString("notify_url"), settings.GetString("notify_api_key"),
         settings.GetString("notify_email_template_id"),
         settings.GetString("notify_sms_template_id")},
        clock);
    if (!created.ok()) {
      pp::log::Error("notify_settings_invalid").Field("error", created.status().message());
      return 1;
    }
    notify_sender = std::move(*created);
    email = sms = notify_sender.get();
  }
  if (!settings.GetString("smtp_url").empty()) {
    pp::notification::SmtpOptions smtp;
    smtp.url = settings.GetString("smtp_url");
    smtp.starttls = settings.GetInt("smtp_starttls") != 0;
    smtp.username = settings.GetString("smtp_username");
    smtp.password = settings.GetString("smtp_password");
    smtp.from = from;
    smtp.ca_file = settings.GetString("smtp_ca_file");
    if (absl::Status valid = pp::notification::CheckSmtpOptions(smtp); !valid.ok()) {
      pp::log::Error("smtp_settings_invalid").Field("error", valid.message());
      return 1;
    }
    smtp_sender = std::make_unique<pp::notification::SmtpSender>(std::move(smtp));
    email = smtp_sender.get();
  }
  pp::notification::ChannelRouter router(*email, *sms);
  pp::log::Info("channels")
      .Field("email", smtp_sender     ? "smtp"
                      : notify_sender ? "notify"
                                      : "file")
      .Field("sms", notify_sender ? "notify" : "file")
      .Field("outbox_folder", outbox_dir);

  pp::notification::DeliveryPolicy policy;
  policy.first_retry_delay = absl::Seconds(settings.GetInt("first_retry_seconds"));
  policy.max_age = absl::Hours(settings.GetInt("max_message_age_hours"));
  policy.zone = london;
  pp::notification::NotificationMetrics notification_metrics((*metrics)->registry());
  pp::notification::NotificationService service(**store, clock, router, &notification_metrics,
                                                policy, &*templates);
  if (absl::StatusOr<int> requeued = service.RecoverInterrupted(); !requeued.ok()) {
    pp::log::Error("outbox_recovery_failed").Field("error", requeued.status().message());
    return 1;
  }

  pp::WorkPool pool(4);
  pp::notification::DeliveryLoop delivery(service,
                                          std::max(1, settings.GetInt("delivery_threads")));
  pp::notification::NotificationsGrpc grpc_service(service, pool);
  return pp::ServeUntilStopped(
      "notification", {settings.GetString("grpc_address"), {&grpc_service}, metrics->get()});
}
