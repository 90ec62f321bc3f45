// Shared pieces of the notification unit tests: a scripted sender and a
// service over a temporary outbox with a fake clock.
#ifndef PP_SERVICES_NOTIFICATION_TEST_FIXTURE_H_
#define PP_SERVICES_NOTIFICATION_TEST_FIXTURE_H_

#include <catch2/catch.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "notification_service.h"
#include "testing/temp_dir.h"

namespace pp::notification::testing {

// A sender that records what it is given. Each delivery takes the next
// scripted result, or succeeds when none is left.
class ScriptedSender : public Sender {
 public:
  absl::Status Deliver(const OutboxMessage& message) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++attempts;
    attempted.push_back(message);
    absl::Status result = absl::OkStatus();
    if (!script.empty()) {
      result = script.front();
      script.pop_front();
    }
    if (result.ok()) delivered.push_back(message);
    return result;
  }

  std::mutex mutex_;
  std::deque<absl::Status> script;
  int attempts = 0;
  std::vector<OutboxMessage> attempted;
  std::vector<OutboxMessage> delivered;
};

inline absl::TimeZone London() {
  absl::TimeZone zone;
  REQUIRE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

struct Fixture {
  // 2026-12-04 16:00:00 UTC, a Friday afternoon in London.
  explicit Fixture(absl::Time start = absl::FromUnixSeconds(1796400000)) : clock(start) {
    auto opened = NotificationStore::Open(dir.Path("data"));
    REQUIRE(opened.ok());
    store = std::move(*opened);
    auto loaded = Templates::Load(PP_TEMPLATE_DIR, London());
    REQUIRE(loaded.ok());
    templates = std::make_unique<Templates>(*loaded);
    policy.zone = London();
    policy.random = [] { return 0.5; };
    Restart();
  }

  // Builds a new service over the same outbox, as a restarted process would.
  void Restart() {
    service = std::make_unique<NotificationService>(*store, clock, sender, metrics, policy,
                                                    templates.get());
  }

  pp::TempDir dir;
  pp::FakeClock clock;
  ScriptedSender sender;
  DeliveryPolicy policy;
  // Optional; set it and call Restart to count into it.
  NotificationMetrics* metrics = nullptr;
  std::unique_ptr<NotificationStore> store;
  std::unique_ptr<Templates> templates;
  std::unique_ptr<NotificationService> service;
};

inline SendRequest Email(std::string key) {
  SendRequest request;
  request.channel = Channel::kEmail;
  request.to = "Parent@Example.COM";
  request.subject = "Welcome";
  request.body = "Hello.\nOne-time password: ABCDEFGHJKLM\n";
  request.idempotency_key = std::move(key);
  return request;
}

inline SendRequest Sms(std::string key) {
  SendRequest request;
  request.channel = Channel::kSms;
  request.to = "(07294) 053-474";
  request.body = "Your code is 123456";
  request.idempotency_key = std::move(key);
  return request;
}

}  // namespace pp::notification::testing

#endif  // PP_SERVICES_NOTIFICATION_TEST_FIXTURE_H_
