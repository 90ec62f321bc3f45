// The notification service's own metric families, on top of the RPC counts
// every binary has.
#ifndef PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_
#define PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "notification_store.h"

namespace pp::notification {

class NotificationMetrics {
 public:
  // Registers, in `registry`:
  //   pp_notification_messages_accepted_total{channel}
  //   pp_notification_duplicates_total{channel}
  //   pp_notification_deliveries_total{channel, result="sent"|"failed"}
  explicit NotificationMetrics(prometheus::Registry& registry);

  void CountAccepted(Channel channel);
  void CountDuplicate(Channel channel);
  void CountDelivery(Channel channel, bool sent);

 private:
  prometheus::Family<prometheus::Counter>& accepted_;
  prometheus::Family<prometheus::Counter>& duplicates_;
  prometheus::Family<prometheus::Counter>& deliveries_;
};

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_NOTIFICATION_METRICS_H_
