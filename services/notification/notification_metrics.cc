#include "notification_metrics.h"

namespace pp::notification {

NotificationMetrics::NotificationMetrics(prometheus::Registry& registry)
    : accepted_(prometheus::BuildCounter()
                    .Name("pp_notification_messages_accepted_total")
                    .Help("Messages stored in the outbox for delivery.")
                    .Register(registry)),
      duplicates_(prometheus::BuildCounter()
                      .Name("pp_notification_duplicates_total")
                      .Help("Send calls whose idempotency key was already in the outbox.")
                      .Register(registry)),
      deliveries_(prometheus::BuildCounter()
                      .Name("pp_notification_deliveries_total")
                      .Help("Delivery attempts, by result.")
                      .Register(registry)) {}

void NotificationMetrics::CountAccepted(Channel channel) {
  accepted_.Add({{"channel", ChannelName(channel)}}).Increment();
}

void NotificationMetrics::CountDuplicate(Channel channel) {
  duplicates_.Add({{"channel", ChannelName(channel)}}).Increment();
}

void NotificationMetrics::CountDelivery(Channel channel, bool sent) {
  deliveries_.Add({{"channel", ChannelName(channel)}, {"result", sent ? "sent" : "failed"}})
      .Increment();
}

}  // namespace pp::notification
