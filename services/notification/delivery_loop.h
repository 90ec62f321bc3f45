// Background delivery: threads that call NotificationService::DeliverDue
// until nothing is due, then sleep until the next message is due or a new
// one is stored.
#ifndef PP_SERVICES_NOTIFICATION_DELIVERY_LOOP_H_
#define PP_SERVICES_NOTIFICATION_DELIVERY_LOOP_H_

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "notification_service.h"

namespace pp::notification {

class DeliveryLoop {
 public:
  // Starts `threads` delivery threads and sets the service's stored hook to
  // wake them. `service` must outlive the loop. `max_sleep` bounds each
  // wait, so a message due by another process's clock is not missed long.
  DeliveryLoop(NotificationService& service, int threads,
               absl::Duration max_sleep = absl::Seconds(1));
  // Stops: each thread finishes the batch it holds, then exits.
  ~DeliveryLoop();
  DeliveryLoop(const DeliveryLoop&) = delete;
  DeliveryLoop& operator=(const DeliveryLoop&) = delete;

  // Wakes a sleeping thread, because a message was stored.
  void Wake();

 private:
  void Run();

  NotificationService& service_;
  absl::Duration max_sleep_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Wake-ups not yet taken by a thread, so none is lost while all are busy.
  int pending_wakes_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_DELIVERY_LOOP_H_
