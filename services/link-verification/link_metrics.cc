#include "link_metrics.h"

namespace pp::link {
namespace {

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                       const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

}  // namespace

LinkMetrics::LinkMetrics(prometheus::Registry& registry)
    : rows_(CounterFamily(registry, "pp_link_roster_rows_total",
                          "Rows of roster syncs, by file and result.")),
      starts_(CounterFamily(registry, "pp_link_starts_total", "StartLink calls, by result.")),
      codes_sent_(CounterFamily(registry, "pp_link_codes_sent_total",
                                "Security codes handed to the notification service, by channel.")),
      code_checks_(CounterFamily(registry, "pp_link_code_checks_total",
                                 "Security codes checked, by result.")),
      decisions_(CounterFamily(registry, "pp_link_decisions_total",
                               "Link requests decided by schools, by decision.")),
      reminders_(CounterFamily(registry, "pp_link_school_reminders_total",
                               "Reminders to schools about pending link requests, by result.")),
      pupils_loaded(rows_.Add({{"file", "pupils"}, {"result", "loaded"}})),
      pupils_rejected(rows_.Add({{"file", "pupils"}, {"result", "rejected"}})),
      contacts_loaded(rows_.Add({{"file", "contacts"}, {"result", "loaded"}})),
      contacts_rejected(rows_.Add({{"file", "contacts"}, {"result", "rejected"}})),
      pupils_left(CounterFamily(registry, "pp_link_pupils_left_total",
                                "Pupils marked as left by roster syncs.")
                      .Add({})),
      roster_syncs_unchanged(
          CounterFamily(registry, "pp_link_roster_syncs_unchanged_total",
                        "Roster syncs whose rows matched the school's last sync, left unread.")
              .Add({})),
      starts_matched(starts_.Add({{"result", "matched"}})),
      starts_not_matched(starts_.Add({{"result", "not_matched"}})),
      starts_rate_limited(starts_.Add({{"result", "rate_limited"}})),
      codes_sent_email(codes_sent_.Add({{"channel", "email"}})),
      codes_sent_sms(codes_sent_.Add({{"channel", "sms"}})),
      codes_right(code_checks_.Add({{"result", "right"}})),
      codes_wrong(code_checks_.Add({{"result", "wrong"}})),
      codes_expired(code_checks_.Add({{"result", "expired"}})),
      codes_locked(code_checks_.Add({{"result", "locked"}})),
      approved(decisions_.Add({{"decision", "approve"}})),
      rejected(decisions_.Add({{"decision", "reject"}})),
      revoked(decisions_.Add({{"decision", "revoke"}})),
      near_misses(CounterFamily(registry, "pp_link_near_misses_total",
                                "Near misses of StartLink stored for schools to read.")
                      .Add({})),
      reminders_sent(reminders_.Add({{"result", "sent"}})),
      reminders_failed(reminders_.Add({{"result", "failed"}})),
      reminders_no_contact(reminders_.Add({{"result", "no_contact"}})) {}

}  // namespace pp::link
