#include "calendar_choices.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "text/utf8.h"

namespace pp::schoolctl {
namespace {

namespace calendar = parentsportal::calendar::v1;

constexpr char kKnownNames[] =
    "term_dates, holiday, in_service_day, parents_night, deadline or event";

// Lower case letters and digits only, without a final plural "s".
std::string Simplify(absl::string_view name) {
  std::string letters;
  for (char c : name) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      letters += absl::ascii_tolower(static_cast<unsigned char>(c));
    }
  }
  if (letters.size() > 1 && letters.back() == 's') letters.pop_back();
  return letters;
}

}  // namespace

absl::StatusOr<calendar::Category> ParseCategory(const std::string& name) {
  static const std::map<std::string, calendar::Category> kNames = {
      {"termdate", calendar::CATEGORY_TERM_DATES},
      {"term", calendar::CATEGORY_TERM_DATES},
      {"holiday", calendar::CATEGORY_HOLIDAY},
      {"inserviceday", calendar::CATEGORY_IN_SERVICE_DAY},
      {"inservice", calendar::CATEGORY_IN_SERVICE_DAY},
      {"inset", calendar::CATEGORY_IN_SERVICE_DAY},
      {"parentsnight", calendar::CATEGORY_PARENTS_NIGHT},
      {"parentsevening", calendar::CATEGORY_PARENTS_NIGHT},
      {"deadline", calendar::CATEGORY_DEADLINE},
      {"event", calendar::CATEGORY_EVENT},
  };
  auto found = kNames.find(Simplify(name));
  if (found == kNames.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown category \"", name, "\": use ", kKnownNames));
  }
  return found->second;
}

absl::StatusOr<CalendarChoices> ParseCalendarChoices(const std::string& category_map,
                                                     const std::string& default_category) {
  CalendarChoices choices;
  std::set<std::string> seen;
  for (absl::string_view entry : absl::StrSplit(category_map, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> parts =
        absl::StrSplit(entry, absl::MaxSplits('=', 1));
    std::string label(absl::StripAsciiWhitespace(parts.first));
    std::string kind(absl::StripAsciiWhitespace(parts.second));
    if (entry.find('=') == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--category-map entry \"", entry,
                                                     "\" needs the form LABEL=CATEGORY, such as "
                                                     "\"Staff Day=in_service_day\""));
    }
    if (label.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--category-map entry \"", entry, "\" has no label before \"=\""));
    }
    // The request carries labels as protobuf strings, which must be UTF-8.
    if (text::FindInvalidUtf8(label) != std::string::npos) {
      return absl::InvalidArgumentError(
          "--category-map has a label that is not UTF-8; set the terminal to UTF-8 and type the "
          "label again");
    }
    // The service compares labels without regard to case, so two spellings
    // of one label would silently collide there.
    if (!seen.insert(absl::AsciiStrToLower(label)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--category-map names the label \"", label, "\" more than once"));
    }
    absl::StatusOr<calendar::Category> category = ParseCategory(kind);
    if (!category.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--category-map entry \"", entry, "\": ", category.status().message()));
    }
    choices.category_map[label] = *category;
  }

  if (!default_category.empty()) {
    absl::StatusOr<calendar::Category> category = ParseCategory(default_category);
    if (!category.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--default-category: ", category.status().message()));
    }
    choices.default_category = *category;
  }
  return choices;
}

}  // namespace pp::schoolctl
