// Measures how many emails a minute the notification service delivers to
// an SMTP server on loopback: messages are stored through
// NotificationService::Send, then delivery threads drain the outbox through
// SmtpSender (libcurl) into smtp_sink.py (Debian's python3-aiosmtpd).
//
//   build/bin/notification_smtp_bench --messages=5000 --threads=4
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "clock/clock.h"
#include "log/log.h"
#include "notification_service.h"
#include "notification_store.h"
#include "settings/settings.h"
#include "smtp_sender.h"
#include "testing/child_process.h"

namespace notification = pp::notification;

int main(int argc, char** argv) {
  pp::Settings settings("notification_smtp_bench",
                        "Measures email delivery to a local SMTP server, in messages a minute.");
  settings.AddInt("messages", 5000, "emails to store and deliver");
  settings.AddInt("threads", 4, "delivery threads");
  settings.AddString("work_dir", "/tmp/notification-bench", "folder for the outbox and mail");
  settings.ParseOrExit(argc, argv);
  int messages = settings.GetInt("messages");
  std::string work_dir = settings.GetString("work_dir");
  std::filesystem::remove_all(work_dir);

  notification::testing::SmtpSink sink(work_dir + "/mail");
  auto store = notification::NotificationStore::Open(work_dir + "/data");
  if (!store.ok()) {
    pp::log::Error("store_open_failed").Field("error", store.status().message());
    return 1;
  }
  pp::SystemClock clock;
  notification::SmtpSender sender(
      {sink.url(), false, "", "", "Parents Portal <no-reply@parentsportal.localhost>"});
  notification::DeliveryPolicy policy;
  policy.batch_size = 16;
  notification::NotificationService service(**store, clock, sender, nullptr, policy);

  // Store every message first, so the delivery time covers delivery only.
  absl::Time store_start = absl::Now();
  for (int i = 0; i < messages; ++i) {
    notification::SendRequest request;
    request.channel = notification::Channel::kEmail;
    request.to = absl::StrCat("parent", i, "@example.com");
    request.subject = "Your Parents Portal security code";
    request.body = absl::StrCat("Hello,\n\nSecurity code: ", 100000 + i, "\n");
    request.idempotency_key = absl::StrCat("bench/", i);
    if (!service.Send(request).ok()) {
      pp::log::Error("send_failed").Field("index", i);
      return 1;
    }
  }
  absl::Duration store_time = absl::Now() - store_start;

  absl::Time deliver_start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < settings.GetInt("threads"); ++t) {
    threads.emplace_back([&service] {
      while (true) {
        absl::StatusOr<int> claimed = service.DeliverDue();
        if (!claimed.ok() || *claimed == 0) return;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::Duration deliver_time = absl::Now() - deliver_start;

  size_t received = sink.Messages().size();
  double per_minute = messages / absl::ToDoubleMinutes(deliver_time);
  pp::log::Info("benchmark")
      .Field("messages", messages)
      .Field("received", static_cast<int64_t>(received))
      .Field("threads", settings.GetInt("threads"))
      .Field("store_seconds", absl::ToDoubleSeconds(store_time))
      .Field("deliver_seconds", absl::ToDoubleSeconds(deliver_time))
      .Field("messages_per_minute", per_minute);
  return received == static_cast<size_t>(messages) ? 0 : 1;
}
