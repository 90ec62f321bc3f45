// The school's category choices for import-calendar: which kind each of
// its own CATEGORIES labels means, and the kind of events that match none.
#ifndef PP_SCHOOLCTL_CALENDAR_CHOICES_H_
#define PP_SCHOOLCTL_CALENDAR_CHOICES_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "parentsportal/calendar.pb.h"

namespace pp::schoolctl {

struct CalendarChoices {
  // The school's label, as written in its files, and the kind it means.
  std::map<std::string, parentsportal::calendar::v1::Category> category_map;
  // Unspecified leaves the service's default (EVENT).
  parentsportal::calendar::v1::Category default_category =
      parentsportal::calendar::v1::CATEGORY_UNSPECIFIED;
};

// Returns the kind a category name means. Names are the service's
// (term_dates, holiday, in_service_day, parents_night, deadline, event).
// They match in any case, with or without a plural "s", and ignoring
// spaces, hyphens, underscores and apostrophes, so "inservice", "In-service
// days" and "parents' night" all match. InvalidArgument lists the names
// for an unknown one.
absl::StatusOr<parentsportal::calendar::v1::Category> ParseCategory(const std::string& name);

// Parses `category_map` ("Staff Day=inservice,Parents Evening=parents_night",
// or empty for none) and `default_category` (a name as above, or empty).
// InvalidArgument names the entry at fault: one without "=", an empty
// label, a label given twice, or an unknown kind. A label that is not
// UTF-8 is InvalidArgument too.
absl::StatusOr<CalendarChoices> ParseCalendarChoices(const std::string& category_map,
                                                     const std::string& default_category);

}  // namespace pp::schoolctl

#endif  // PP_SCHOOLCTL_CALENDAR_CHOICES_H_
