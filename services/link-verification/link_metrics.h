// The service's own Prometheus metric families, all declared here.
#ifndef PP_LINK_LINK_METRICS_H_
#define PP_LINK_LINK_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace pp::link {

class LinkMetrics {
 private:
  // Declared first because the counters below are initialised from them.
  prometheus::Family<prometheus::Counter>& rows_;
  prometheus::Family<prometheus::Counter>& starts_;
  prometheus::Family<prometheus::Counter>& codes_sent_;
  prometheus::Family<prometheus::Counter>& code_checks_;
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Counter>& reminders_;

 public:
  // Registers the families in `registry`, which must outlive this object.
  explicit LinkMetrics(prometheus::Registry& registry);

  // pp_link_roster_rows_total{file, result}: rows of roster syncs, by file
  // ("pupils", "contacts") and result ("loaded", "rejected").
  prometheus::Counter& pupils_loaded;
  prometheus::Counter& pupils_rejected;
  prometheus::Counter& contacts_loaded;
  prometheus::Counter& contacts_rejected;
  // pp_link_pupils_left_total: pupils marked as left by roster syncs.
  prometheus::Counter& pupils_left;
  // pp_link_roster_syncs_unchanged_total: syncs whose rows_digest matched
  // the school's last sync, so that their rows were not read.
  prometheus::Counter& roster_syncs_unchanged;
  // pp_link_starts_total{result}: StartLink calls by outcome.
  prometheus::Counter& starts_matched;
  prometheus::Counter& starts_not_matched;
  prometheus::Counter& starts_rate_limited;
  // pp_link_codes_sent_total{channel}.
  prometheus::Counter& codes_sent_email;
  prometheus::Counter& codes_sent_sms;
  // pp_link_code_checks_total{result}: "right", "wrong", "expired", "locked".
  prometheus::Counter& codes_right;
  prometheus::Counter& codes_wrong;
  prometheus::Counter& codes_expired;
  prometheus::Counter& codes_locked;
  // pp_link_decisions_total{decision}: "approve", "reject", "revoke".
  prometheus::Counter& approved;
  prometheus::Counter& rejected;
  prometheus::Counter& revoked;
  // pp_link_near_misses_total: near misses stored for schools.
  prometheus::Counter& near_misses;
  // pp_link_school_reminders_total{result}: reminders about pending
  // requests, "sent", "failed" (to be tried at the next sweep) or
  // "no_contact" (the school has set no address).
  prometheus::Counter& reminders_sent;
  prometheus::Counter& reminders_failed;
  prometheus::Counter& reminders_no_contact;
};

}  // namespace pp::link

#endif  // PP_LINK_LINK_METRICS_H_
