#include "categories.h"

#include "absl/strings/ascii.h"

namespace pp::calendar {
namespace {

struct Label {
  const char* normalized;
  api::Category category;
};

// Labels that office calendar programs and UK schools commonly use, in their
// normalized form.
constexpr Label kBuiltInLabels[] = {
    {"term dates", api::CATEGORY_TERM_DATES},
    {"term date", api::CATEGORY_TERM_DATES},
    {"term", api::CATEGORY_TERM_DATES},
    {"holiday", api::CATEGORY_HOLIDAY},
    {"holidays", api::CATEGORY_HOLIDAY},
    {"school holiday", api::CATEGORY_HOLIDAY},
    {"school holidays", api::CATEGORY_HOLIDAY},
    {"public holiday", api::CATEGORY_HOLIDAY},
    {"bank holiday", api::CATEGORY_HOLIDAY},
    {"school closed", api::CATEGORY_HOLIDAY},
    {"in service day", api::CATEGORY_IN_SERVICE_DAY},
    {"in service days", api::CATEGORY_IN_SERVICE_DAY},
    {"in service", api::CATEGORY_IN_SERVICE_DAY},
    {"inservice", api::CATEGORY_IN_SERVICE_DAY},
    {"inset", api::CATEGORY_IN_SERVICE_DAY},
    {"inset day", api::CATEGORY_IN_SERVICE_DAY},
    {"inset days", api::CATEGORY_IN_SERVICE_DAY},
    {"parents night", api::CATEGORY_PARENTS_NIGHT},
    {"parents nights", api::CATEGORY_PARENTS_NIGHT},
    {"parents evening", api::CATEGORY_PARENTS_NIGHT},
    {"parents evenings", api::CATEGORY_PARENTS_NIGHT},
    {"deadline", api::CATEGORY_DEADLINE},
    {"deadlines", api::CATEGORY_DEADLINE},
    {"event", api::CATEGORY_EVENT},
    {"events", api::CATEGORY_EVENT},
};

struct Name {
  api::Category category;
  const char* name;
};

constexpr Name kNames[] = {
    {api::CATEGORY_TERM_DATES, "term_dates"},
    {api::CATEGORY_HOLIDAY, "holiday"},
    {api::CATEGORY_IN_SERVICE_DAY, "in_service_day"},
    {api::CATEGORY_PARENTS_NIGHT, "parents_night"},
    {api::CATEGORY_DEADLINE, "deadline"},
    {api::CATEGORY_EVENT, "event"},
};

}  // namespace

std::string NormalizeLabel(std::string_view label) {
  std::string normalized;
  for (size_t i = 0; i < label.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(label[i]);
    // U+2019 (right single quotation mark) is E2 80 99 in UTF-8, and is how
    // word processors write an apostrophe.
    if (c == 0xE2 && label.substr(i, 3) == "\xE2\x80\x99") {
      i += 2;
      continue;
    }
    if (c == '\'') continue;
    char out = (c == '-' || c == '_' || absl::ascii_isspace(c)) ? ' ' : absl::ascii_tolower(c);
    if (out == ' ' && (normalized.empty() || normalized.back() == ' ')) continue;
    normalized.push_back(out);
  }
  if (!normalized.empty() && normalized.back() == ' ') normalized.pop_back();
  return normalized;
}

std::optional<api::Category> BuiltInCategory(std::string_view label) {
  std::string normalized = NormalizeLabel(label);
  for (const Label& known : kBuiltInLabels) {
    if (normalized == known.normalized) return known.category;
  }
  return std::nullopt;
}

api::Category ClassifyEvent(const std::vector<std::string>& labels, const CategoryRules& rules) {
  for (const std::string& label : labels) {
    auto found = rules.school_labels.find(NormalizeLabel(label));
    if (found != rules.school_labels.end()) return found->second;
  }
  for (const std::string& label : labels) {
    if (std::optional<api::Category> category = BuiltInCategory(label)) return *category;
  }
  return rules.fallback;
}

std::string CategoryName(api::Category category) {
  for (const Name& name : kNames) {
    if (name.category == category) return name.name;
  }
  return "event";
}

std::optional<api::Category> CategoryFromName(std::string_view name) {
  for (const Name& known : kNames) {
    if (name == known.name) return known.category;
  }
  return std::nullopt;
}

}  // namespace pp::calendar
