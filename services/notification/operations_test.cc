#include <prometheus/registry.h>

#include <catch2/catch.hpp>
#include <iostream>
#include <sstream>

#include "test_fixture.h"

namespace pp::notification {

using testing::Fixture;

namespace {

// Captures what is written to std::cerr, where the log lines go, while it
// is in scope.
class CapturedLog {
 public:
  CapturedLog() : previous_(std::cerr.rdbuf(text_.rdbuf())) {}
  ~CapturedLog() { std::cerr.rdbuf(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::streambuf* previous_;
};

// Returns the value of the sample of `family` whose labels include all of
// `labels`, or -1 when there is none.
double Sample(prometheus::Registry& registry, const std::string& family,
              const std::map<std::string, std::string>& labels) {
  for (const prometheus::MetricFamily& collected : registry.Collect()) {
    if (collected.name != family) continue;
    for (const prometheus::ClientMetric& metric : collected.metric) {
      size_t matched = 0;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        auto wanted = labels.find(label.name);
        if (wanted != labels.end() && wanted->second == label.value) ++matched;
      }
      if (matched != labels.size()) continue;
      if (collected.type == prometheus::MetricType::Counter) return metric.counter.value;
      if (collected.type == prometheus::MetricType::Gauge) return metric.gauge.value;
      if (collected.type == prometheus::MetricType::Histogram) {
        return static_cast<double>(metric.histogram.sample_count);
      }
    }
  }
  return -1;
}

SendRequest OneTimePassword(std::string key) {
  SendRequest request;
  request.channel = Channel::kEmail;
  request.to = "siobhan@example.com";
  request.idempotency_key = std::move(key);
  request.kind = MessageKind::kOneTimePassword;
  request.template_data = {{"parent_name", "Siobhán"},
                           {"one_time_password", "QWERTYUIOPAS"},
                           {"expires_at", "2026-12-05T12:00:00Z"}};
  return request;
}

}  // namespace

TEST_CASE("metrics count messages by outcome") {
  prometheus::Registry registry;
  NotificationMetrics metrics(registry);
  Fixture f;
  f.metrics = &metrics;
  f.Restart();
  f.sender.script.push_back(absl::UnavailableError("busy"));

  REQUIRE(f.service->Send(OneTimePassword("otp:1")).ok());
  REQUIRE(f.service->Send(OneTimePassword("otp:1")).ok());
  REQUIRE(f.service->Send(OneTimePassword("otp:2")).ok());
  f.clock.Advance(absl::Minutes(2));
  f.service->RefreshQueueMetrics();
  CHECK(Sample(registry, "pp_notification_queue_depth", {}) == 2);
  CHECK(Sample(registry, "pp_notification_oldest_queued_age_seconds", {}) == 120);

  REQUIRE(*f.service->DeliverDue() == 2);
  f.clock.Advance(absl::Minutes(1));
  REQUIRE(*f.service->DeliverDue() == 1);
  f.service->RefreshQueueMetrics();

  const std::map<std::string, std::string> otp = {{"channel", "email"},
                                                  {"kind", "one_time_password"}};
  CHECK(Sample(registry, "pp_notification_messages_accepted_total", otp) == 2);
  CHECK(Sample(registry, "pp_notification_duplicates_total", {{"channel", "email"}}) == 1);
  auto outcome = [&](const char* name) {
    std::map<std::string, std::string> labels = otp;
    labels["outcome"] = name;
    return Sample(registry, "pp_notification_deliveries_total", labels);
  };
  CHECK(outcome("temporary_failure") == 1);
  CHECK(outcome("delivered") == 2);
  CHECK(Sample(registry, "pp_notification_delivery_duration_seconds", {{"channel", "email"}}) == 3);
  CHECK(Sample(registry, "pp_notification_queue_depth", {}) == 0);
  CHECK(Sample(registry, "pp_notification_oldest_queued_age_seconds", {}) == 0);
}

TEST_CASE("logs omit message contents") {
  Fixture f;
  CapturedLog log;
  f.sender.script.push_back(absl::UnavailableError("connection refused"));
  f.sender.script.push_back(absl::InvalidArgumentError("550 mailbox unavailable"));
  SendRequest text = testing::Sms("code:1");
  text.fallback_email = "siobhan@example.com";
  REQUIRE(f.service->Send(OneTimePassword("otp:1")).ok());
  REQUIRE(f.service->Send(text).ok());
  REQUIRE(*f.service->DeliverDue() == 2);
  f.clock.Advance(absl::Hours(1));
  REQUIRE(*f.service->DeliverDue() == 2);
  REQUIRE(f.service->RecordReceipt("msg-000000000001", "delivered").ok());

  std::string lines = log.text();
  INFO(lines);
  CHECK(lines.find("delivery_failed") != std::string::npos);
  CHECK(lines.find("fallback_queued") != std::string::npos);
  for (const char* secret : {"QWERTYUIOPAS", "123456", "Siobhán", "siobhan@example.com",
                             "+447294053474", "Your Parents Portal account"}) {
    CHECK(lines.find(secret) == std::string::npos);
  }
}

}  // namespace pp::notification
