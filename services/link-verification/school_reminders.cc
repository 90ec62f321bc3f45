#include "school_reminders.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "link_rules.h"
#include "link_store.h"
#include "log/log.h"
#include "school_records_service.h"

namespace pp::link {
namespace {

namespace notification = parentsportal::notification::v1;

// The reminder names the request and the school's own pupil reference, as
// staff see them in ListLinkRequests, and nothing about the parent.
notification::SendRequest ReminderMessage(const ReminderRecord& reminder) {
  const RequestRecord& request = reminder.request;
  notification::SendRequest message;
  message.set_channel(notification::EMAIL);
  message.set_to(reminder.school_email);
  message.set_kind(notification::SCHOOL_REMINDER);
  auto& data = *message.mutable_template_data();
  data["school_name"] = request.school_name;
  data["pupil_ref"] = request.pupil_ref;
  data["request_id"] = request.request_id;
  data["requested_at"] = FormatTimestamp(absl::FromUnixSeconds(request.created_at));
  data["decide_by_at"] = FormatTimestamp(absl::FromUnixSeconds(request.decide_by));
  message.set_idempotency_key(absl::StrCat("school-reminder/", request.request_id));
  return message;
}

}  // namespace

SchoolReminders::SchoolReminders(Store& store, Clock& clock, Notifier& notifier,
                                 SchoolDays& school_days, LinkMetrics& metrics, absl::TimeZone zone)
    : store_(store),
      clock_(clock),
      notifier_(notifier),
      school_days_(school_days),
      metrics_(metrics),
      zone_(zone) {}

absl::StatusOr<SweepResult> SchoolReminders::Sweep() {
  const absl::Time now = clock_.Now();
  const absl::CivilDay today = absl::ToCivilDay(now, zone_);

  // A request made less than two days ago cannot be three school days old,
  // so those are not read at all.
  std::vector<ReminderRecord> candidates;
  absl::Status read = store_.Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::vector<ReminderRecord>> loaded = ListRequestsToRemind(
        tx, absl::ToUnixSeconds(now - absl::Hours(48)), absl::ToUnixSeconds(now));
    if (!loaded.ok()) return loaded.status();
    candidates = *std::move(loaded);
    return absl::OkStatus();
  });
  if (!read.ok()) {
    log::Error("school_reminders_failed").Field("error", read.message());
    return read;
  }

  SweepResult result;
  std::map<std::string, int> due_without_contact;
  for (const ReminderRecord& reminder : candidates) {
    const RequestRecord& request = reminder.request;
    absl::StatusOr<int> age = school_days_.CountSchoolDays(
        request.seed_code, absl::ToCivilDay(absl::FromUnixSeconds(request.created_at), zone_),
        today);
    if (!age.ok()) {
      log::Warning("school_reminder_not_sent")
          .Field("school", request.seed_code)
          .Field("request_id", request.request_id)
          .Field("error", age.status().message());
      result.failed += 1;
      continue;
    }
    if (*age < SchoolRecordsService::kReminderWorkingDays) continue;
    if (reminder.school_email.empty()) {
      due_without_contact[request.seed_code] += 1;
      result.no_contact += 1;
      continue;
    }

    absl::Status sent = notifier_.Send(ReminderMessage(reminder));
    if (!sent.ok()) {
      log::Warning("school_reminder_not_sent")
          .Field("school", request.seed_code)
          .Field("request_id", request.request_id)
          .Field("error", sent.message());
      result.failed += 1;
      continue;
    }
    absl::Status marked = store_.Write(
        [&](Tx& tx) { return MarkReminderSent(tx, request.request_id, absl::ToUnixSeconds(now)); });
    if (!marked.ok()) {
      // The next sweep sends again with the same idempotency key, which the
      // notification service drops as a duplicate.
      log::Error("school_reminder_not_recorded")
          .Field("request_id", request.request_id)
          .Field("error", marked.message());
    }
    result.sent += 1;
  }

  for (const auto& [seed_code, count] : due_without_contact) {
    log::Warning("school_reminder_not_sent")
        .Field("school", seed_code)
        .Field("requests", static_cast<int64_t>(count))
        .Field("error", "the school has set no contact email; set one with SetSchoolContact");
  }
  metrics_.reminders_sent.Increment(result.sent);
  metrics_.reminders_failed.Increment(result.failed);
  metrics_.reminders_no_contact.Increment(result.no_contact);
  return result;
}

}  // namespace pp::link
