// Gauges of the link requests waiting for schools, read from the store at
// each scrape.
#ifndef PP_LINK_LINK_GAUGES_H_
#define PP_LINK_LINK_GAUGES_H_

#include <vector>

#include "absl/time/time.h"
#include "clock/clock.h"
#include "store_metrics/store_metrics.h"

namespace pp::link {

// Returns two gauges:
//   pp_link_requests_pending{age_working_days}: pending requests by the
//     working days since they were made, "0" to "4", then "5+". Working days
//     here are weekdays that are not Scottish bank holidays. A school's own
//     holidays are not subtracted, so the age can run ahead of the school's.
//   pp_link_requests_overdue: pending requests past their expected-by date
//     (the end of the fifth school day). Listing or deciding a school's
//     requests marks these as expired.
// `clock` must outlive the gauges.
std::vector<StoreGauge> LinkRequestGauges(const Clock& clock, absl::TimeZone zone);

}  // namespace pp::link

#endif  // PP_LINK_LINK_GAUGES_H_
