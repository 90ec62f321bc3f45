#include "delivery_loop.h"

#include <chrono>

#include "absl/time/clock.h"
#include "log/log.h"

namespace pp::notification {

DeliveryLoop::DeliveryLoop(NotificationService& service, int threads, absl::Duration max_sleep)
    : service_(service), max_sleep_(max_sleep) {
  service_.SetStoredHook([this] { Wake(); });
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

DeliveryLoop::~DeliveryLoop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  service_.SetStoredHook(nullptr);
}

void DeliveryLoop::Wake() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++pending_wakes_;
  }
  wake_.notify_one();
}

void DeliveryLoop::Run() {
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }

    absl::StatusOr<int> claimed = service_.DeliverDue();
    if (!claimed.ok()) {
      log::Error("outbox_read_failed").Field("error", claimed.status().message());
    }
    service_.RefreshQueueMetrics();
    if (claimed.ok() && *claimed > 0) continue;

    // Nothing due: sleep until the next message is due, a new one arrives,
    // or `max_sleep_` passes.
    absl::Duration sleep = max_sleep_;
    if (claimed.ok()) {
      absl::StatusOr<std::optional<absl::Time>> next = service_.NextDueAt();
      if (next.ok() && next->has_value()) {
        sleep = std::clamp(**next - absl::Now(), absl::ZeroDuration(), max_sleep_);
      }
    }
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, absl::ToChronoMilliseconds(sleep),
                   [this] { return stopping_ || pending_wakes_ > 0; });
    if (pending_wakes_ > 0) --pending_wakes_;
  }
}

}  // namespace pp::notification
