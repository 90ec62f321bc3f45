// The kinds of school calendar events, and how a document's CATEGORIES
// labels map to them.
#ifndef PP_SERVICES_CALENDAR_CATEGORIES_H_
#define PP_SERVICES_CALENDAR_CATEGORIES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parentsportal/calendar.pb.h"

namespace pp::calendar {

namespace api = parentsportal::calendar::v1;

// How one import maps CATEGORIES labels to kinds. Labels are compared after
// NormalizeLabel, so "In-service Day" and "in service day" are one label.
struct CategoryRules {
  // The school's own labels, checked before the built-in ones.
  std::map<std::string, api::Category> school_labels;
  // The kind of an event whose labels match nothing, EVENT unless the school
  // chose another (a file of holidays without CATEGORIES, for example).
  api::Category fallback = api::CATEGORY_EVENT;
};

// Lower-cases `label`, drops apostrophes, treats hyphens and underscores as
// spaces and collapses runs of spaces, so that spellings of one label match.
std::string NormalizeLabel(std::string_view label);

// Returns the kind of a built-in label ("Holiday", "In-service day",
// "Parents' evening", "INSET", ...), or nothing for a label it does not know.
std::optional<api::Category> BuiltInCategory(std::string_view label);

// Returns the kind of an event with these CATEGORIES labels: the first label
// the school's rules name, else the first built-in label, else the fallback.
api::Category ClassifyEvent(const std::vector<std::string>& labels, const CategoryRules& rules);

// The stored name of a kind ("holiday"), and back. CategoryFromName returns
// nothing for a name it does not know.
std::string CategoryName(api::Category category);
std::optional<api::Category> CategoryFromName(std::string_view name);

}  // namespace pp::calendar

#endif  // PP_SERVICES_CALENDAR_CATEGORIES_H_
