#include "deadline_sweep.h"

#include <vector>

#include "link_rules.h"
#include "link_store.h"
#include "log/log.h"

namespace pp::link {

DeadlineSweep::DeadlineSweep(Store& store, Clock& clock, SchoolDays& school_days,
                             absl::TimeZone zone)
    : store_(store), clock_(clock), school_days_(school_days), zone_(zone) {}

absl::StatusOr<int> DeadlineSweep::ExtendDeadlines() {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  std::vector<RequestRecord> pending;
  absl::Status read = store_.Read([&](Tx& tx) -> absl::Status {
    absl::StatusOr<std::vector<RequestRecord>> loaded = ListOpenPendingRequests(tx, now);
    if (!loaded.ok()) return loaded.status();
    pending = *std::move(loaded);
    return absl::OkStatus();
  });
  if (!read.ok()) {
    log::Error("deadline_sweep_failed").Field("error", read.message());
    return read;
  }

  // The calendar is asked outside any transaction, and each move is its own
  // small write, so that a decision in between is never overwritten.
  int moved = 0;
  for (const RequestRecord& request : pending) {
    absl::StatusOr<absl::Time> deadline = DecisionDeadline(
        school_days_, request.seed_code, absl::FromUnixSeconds(request.created_at), zone_);
    if (!deadline.ok()) {
      log::Warning("deadline_not_checked")
          .Field("school", request.seed_code)
          .Field("request_id", request.request_id)
          .Field("error", deadline.status().message());
      continue;
    }
    const int64_t decide_by = absl::ToUnixSeconds(*deadline);
    if (decide_by <= request.decide_by) continue;

    bool extended = false;
    absl::Status written = store_.Write([&](Tx& tx) -> absl::Status {
      absl::StatusOr<bool> changed = ExtendDecideBy(tx, request.request_id, decide_by);
      if (!changed.ok()) return changed.status();
      extended = *changed;
      return absl::OkStatus();
    });
    if (!written.ok()) {
      log::Error("deadline_not_extended")
          .Field("request_id", request.request_id)
          .Field("error", written.message());
      continue;
    }
    if (!extended) continue;
    moved += 1;
    log::Info("deadline_extended")
        .Field("school", request.seed_code)
        .Field("request_id", request.request_id)
        .Field("decide_by", FormatTimestamp(*deadline));
  }
  return moved;
}

}  // namespace pp::link
