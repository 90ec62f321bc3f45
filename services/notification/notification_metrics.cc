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
                      .Help("Delivery attempts, by outcome.")
                      .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("pp_notification_delivery_duration_seconds")
                    .Help("Time to hand one message to its channel.")
                    .Register(registry)),
      receipts_(prometheus::BuildCounter()
                    .Name("pp_notification_receipts_total")
                    .Help("Delivery receipts from the text-message and email provider.")
                    .Register(registry)),
      queue_depth_(prometheus::BuildGauge()
                       .Name("pp_notification_queue_depth")
                       .Help("Messages queued, being sent or waiting to retry.")
                       .Register(registry)
                       .Add({})),
      oldest_age_(prometheus::BuildGauge()
                      .Name("pp_notification_oldest_queued_age_seconds")
                      .Help("Time since the oldest message not yet delivered or failed became due.")
                      .Register(registry)
                      .Add({})) {}

void NotificationMetrics::CountAccepted(Channel channel, MessageKind kind) {
  accepted_.Add({{"channel", ChannelName(channel)}, {"kind", KindName(kind)}}).Increment();
}

void NotificationMetrics::CountDuplicate(Channel channel) {
  duplicates_.Add({{"channel", ChannelName(channel)}}).Increment();
}

void NotificationMetrics::CountDelivery(Channel channel, MessageKind kind,
                                        const std::string& outcome) {
  deliveries_
      .Add({{"channel", ChannelName(channel)}, {"kind", KindName(kind)}, {"outcome", outcome}})
      .Increment();
}

void NotificationMetrics::ObserveDeliveryDuration(Channel channel, absl::Duration duration) {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1,
                                                                   0.5,   1,     5,    10,   30};
  duration_.Add({{"channel", ChannelName(channel)}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(duration));
}

void NotificationMetrics::CountReceipt(const std::string& status) {
  receipts_.Add({{"status", status}}).Increment();
}

void NotificationMetrics::SetQueue(int64_t depth, absl::Duration oldest_age) {
  queue_depth_.Set(static_cast<double>(depth));
  oldest_age_.Set(absl::ToDoubleSeconds(oldest_age));
}

}  // namespace pp::notification
