#include "link_gauges.h"

#include <array>
#include <string>

#include "link_store.h"
#include "working_days.h"

namespace pp::link {
namespace {

using Samples = std::vector<std::pair<std::string, double>>;

// Ages from 0 to 4 working days have their own label; older ones share "5+".
constexpr int kOldestOwnLabel = 4;

absl::StatusOr<Samples> ReadPendingByAge(Tx& tx, const Clock& clock, absl::TimeZone zone) {
  absl::CivilDay today = absl::ToCivilDay(clock.Now(), zone);
  ScottishWorkingDays working_days;
  std::array<int, kOldestOwnLabel + 2> counts{};
  absl::Status failed;
  absl::Status status = tx.Query(
      "SELECT created_at FROM link_requests WHERE state = ?", {kPending}, [&](const Row& row) {
        absl::CivilDay created = absl::ToCivilDay(absl::FromUnixSeconds(row.Int(0)), zone);
        absl::StatusOr<int> age = working_days.CountSchoolDays("", created, today);
        if (!age.ok()) {
          failed = age.status();
          return;
        }
        ++counts[std::min(*age, kOldestOwnLabel + 1)];
      });
  if (!status.ok()) return status;
  if (!failed.ok()) return failed;

  Samples samples;
  for (int age = 0; age <= kOldestOwnLabel; ++age) {
    samples.emplace_back(std::to_string(age), counts[age]);
  }
  samples.emplace_back(std::to_string(kOldestOwnLabel + 1) + "+", counts[kOldestOwnLabel + 1]);
  return samples;
}

absl::StatusOr<Samples> ReadOverdue(Tx& tx, const Clock& clock) {
  absl::StatusOr<int64_t> overdue =
      tx.QueryInt("SELECT COUNT(*) FROM link_requests WHERE state = ? AND decide_by < ?",
                  {kPending, absl::ToUnixSeconds(clock.Now())});
  if (!overdue.ok()) return overdue.status();
  return Samples{{"", static_cast<double>(*overdue)}};
}

}  // namespace

std::vector<StoreGauge> LinkRequestGauges(const Clock& clock, absl::TimeZone zone) {
  return {
      {"pp_link_requests_pending",
       "Link requests waiting for a school's decision, by working days since they were made.",
       "age_working_days", [&clock, zone](Tx& tx) { return ReadPendingByAge(tx, clock, zone); }},
      {"pp_link_requests_overdue", "Link requests still pending after their expected-by date.", "",
       [&clock](Tx& tx) { return ReadOverdue(tx, clock); }},
  };
}

}  // namespace pp::link
