// The notification service's own metric families, on top of the RPC counts
// every binary has.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "absl/time/time.h"
#include "notification_store.h"

namespace pp::notification {

class NotificationMetrics {
 public:
  // Registers, in `registry`:
  //   pp_notification_messages_accepted_total{channel, kind}
  //   pp_notification_duplicates_total{channel}
  //   pp_notification_deliveries_total{channel, kind, outcome}, where
  //     outcome is delivered, temporary_failure, permanent_failure or
  //     expired (temporary failures past the retry window)
  //   pp_notification_delivery_duration_seconds{channel}
  //   pp_notification_receipts_total{status}
  //   pp_notification_queue_depth: messages queued, sending or waiting
  //     to retry
  //   pp_notification_oldest_queued_age_seconds: how long ago the oldest of
  //     them became due, which for a message held for the quiet hours is
  //     their end
  explicit NotificationMetrics(prometheus::Registry& registry);

  void CountAccepted(Channel channel, MessageKind kind);
  void CountDuplicate(Channel channel);
  void CountDelivery(Channel channel, MessageKind kind, const std::string& outcome);
  void ObserveDeliveryDuration(Channel channel, absl::Duration duration);
  // `status` must be one of the four receipt statuses, to keep the label's
  // values few.
  void CountReceipt(const std::string& status);
  void SetQueue(int64_t depth, absl::Duration oldest_age);

 private:
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& duplicates_;
  prometheus::Family<prometheus::Counter>& deliveries_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& receipts_;
  prometheus::Gauge& queue_depth_;
  prometheus::Gauge& oldest_age_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_
