#include "gateway/pages.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace pp::gateway {
namespace {

const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};

std::string WeekdayName(absl::Weekday weekday) {
  switch (weekday) {
    case absl::Weekday::monday:
      return "Monday";
    case absl::Weekday::tuesday:
      return "Tuesday";
    case absl::Weekday::wednesday:
      return "Wednesday";
    case absl::Weekday::thursday:
      return "Thursday";
    case absl::Weekday::friday:
      return "Friday";
    case absl::Weekday::saturday:
      return "Saturday";
    case absl::Weekday::sunday:
      return "Sunday";
  }
  return "";
}

}  // namespace

std::string FormatDay(absl::CivilDay day) {
  return absl::StrCat(WeekdayName(absl::GetWeekday(day)), " ", day.day(), " ",
                      kMonths[day.month() - 1], " ", day.year());
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrCat(kMonths[month.month() - 1], " ", month.year());
}

const absl::TimeZone& SchoolTimeZone() {
  static const absl::TimeZone* zone = [] {
    absl::TimeZone london;
    if (!absl::LoadTimeZone("Europe/London", &london)) london = absl::UTCTimeZone();
    return new absl::TimeZone(london);
  }();
  return *zone;
}

std::string UkTime(const std::string& rfc3339) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &time, &error)) return rfc3339;
  // %e pads a one-digit day with a space, which the page does not want.
  return std::string(absl::StripLeadingAsciiWhitespace(
      absl::FormatTime("%e %B %Y, %H:%M", time, SchoolTimeZone())));
}

std::string FormState::Get(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? "" : it->second;
}

std::string FormState::ErrorFor(const std::string& field) const {
  for (const FieldError& error : errors) {
    if (error.field == field) return error.message;
  }
  return "";
}

void FormState::AddError(std::string field, std::string message) {
  errors.push_back(FieldError{std::move(field), std::move(message)});
}

void FormState::AddServiceError(absl::string_view message,
                                const std::vector<std::array<const char*, 3>>& fields,
                                const std::string& fallback) {
  for (absl::string_view line : absl::StrSplit(message, '\n', absl::SkipWhitespace())) {
    std::string field = fallback;
    std::string text(line);
    std::string lower = absl::AsciiStrToLower(line);
    bool named = false;
    for (const auto& [name, label, keyword] : fields) {
      if (absl::StartsWith(line, absl::StrCat(name, " "))) {
        field = name;
        text = absl::StrCat(label, line.substr(strlen(name)));
      } else if (absl::StartsWith(line, absl::StrCat(name, ": "))) {
        field = name;
        text = std::string(line.substr(strlen(name) + 2));
      } else {
        continue;
      }
      named = true;
      break;
    }
    for (size_t i = 0; !named && i < fields.size(); ++i) {
      if (absl::StrContains(lower, fields[i][2])) {
        field = fields[i][0];
        named = true;
      }
    }
    // A line that names no field is never dropped.
    if (!named || ErrorFor(field).empty()) AddError(field, text);
  }
}

void FormState::SortErrors(const std::vector<std::array<const char*, 3>>& fields) {
  auto position = [&fields](const FieldError& error) {
    size_t i = 0;
    while (i < fields.size() && error.field != fields[i][0]) ++i;
    return i;
  };
  std::stable_sort(errors.begin(), errors.end(), [&](const FieldError& a, const FieldError& b) {
    return position(a) < position(b);
  });
}

namespace {

// Returns the header's navigation links for a signed-in or signed-out
// parent, with aria-current on the link to `path`.
TemplateList NavigationLinks(bool signed_in, absl::string_view path) {
  using Links = std::vector<std::pair<const char*, const char*>>;
  static const Links* const kSignedIn = new Links{
      {"/", "Home"},
      {"/link", "Link a child"},
      {"/services/payments/receipts", "Payments"},
      {"/account", "Your account"},
  };
  static const Links* const kSignedOut = new Links{
      {"/sign-in", "Sign in"},
      {"/register", "Create an account"},
  };
  TemplateList links;
  for (const auto& [href, text] : signed_in ? *kSignedIn : *kSignedOut) {
    TemplateData link;
    link.set("href", href);
    link.set("text", text);
    if (path == href) link.set("current", true);
    links.push_back(link);
  }
  return links;
}

}  // namespace

std::string RenderPage(const PageContext& context, absl::string_view name, absl::string_view title,
                       TemplateData data, const FormState* form, absl::string_view script) {
  if (context.templates == nullptr || context.assets == nullptr) {
    throw std::runtime_error("page rendered without templates or assets");
  }
  data.set("csrf_token", context.csrf_token);

  // Each summary entry links to its field. A date links to its day input
  // and a choice of radios to its first option, the first thing to fix.
  bool has_errors = form != nullptr && !form->errors.empty();
  if (has_errors) {
    TemplateList summary;
    for (const FieldError& error : form->errors) {
      std::string target = error.field;
      auto found = form->values.find(error.field + "-day");
      if (found != form->values.end()) target += "-day";
      TemplateData entry;
      entry.set("target", target);
      // An error about the form as a whole, such as a failed match, links nowhere.
      if (!target.empty()) entry.set("linked", true);
      entry.set("message", error.message);
      summary.push_back(entry);
    }
    data.set("has_errors", true);
    data.set("error_summary", summary);
  }
  absl::StatusOr<std::string> content = context.templates->Render(name, std::move(data));
  if (!content.ok()) throw std::runtime_error(std::string(content.status().message()));

  TemplateData layout;
  layout.set("title", std::string(title));
  // The start page is titled with the service's name alone.
  constexpr absl::string_view kServiceName = "Parents Portal";
  layout.set("document_title",
             title == kServiceName ? std::string(title) : absl::StrCat(title, " - ", kServiceName));
  layout.set("content", *content);
  layout.set("csrf_token", context.csrf_token);
  if (has_errors) layout.set("has_errors", true);
  if (!context.parent_name.empty()) {
    layout.set("signed_in", true);
    layout.set("parent_name", context.parent_name);
  }
  layout.set("navigation", NavigationLinks(!context.parent_name.empty(), context.path));
  TemplateData assets;
  assets.set("design_system_css", context.assets->Url("design-system.css"));
  assets.set("site_css", context.assets->Url("site.css"));
  assets.set("design_system_js", context.assets->Url("design-system.js"));
  assets.set("site_js", context.assets->Url("site.js"));
  layout.set("assets", assets);
  if (!script.empty()) layout.set("page_script", context.assets->Url(script));
  absl::StatusOr<std::string> page = context.templates->Render("layout", std::move(layout));
  if (!page.ok()) throw std::runtime_error(std::string(page.status().message()));
  return *std::move(page);
}

std::string MessagePage(const PageContext& context, absl::string_view title,
                        absl::string_view message) {
  TemplateData data;
  TemplateList paragraphs;
  paragraphs.push_back(TemplateData(std::string(message)));
  data.set("paragraphs", paragraphs);
  data.set("next_url", "/");
  data.set("next_text", "Go to the home page");
  return RenderPage(context, "message", title, std::move(data));
}

std::string NotFoundPage(const PageContext& context) {
  TemplateData data;
  TemplateList paragraphs;
  paragraphs.push_back(TemplateData("If you typed the address, check it is correct."));
  paragraphs.push_back(TemplateData(
      "If you followed a link to a child's page, you may not be linked to that child, or the "
      "link may have ended."));
  data.set("paragraphs", paragraphs);
  data.set("next_url", "/");
  data.set("next_text", "Go to the home page");
  return RenderPage(context, "message", "Page not found", std::move(data));
}

std::string ProblemPage(const PageContext& context) {
  TemplateData data;
  TemplateList paragraphs;
  paragraphs.push_back(TemplateData(
      "Sorry, something went wrong on our side. It was not caused by anything you did."));
  paragraphs.push_back(TemplateData(
      "Try again in a few minutes. If it keeps happening, your school office can help."));
  data.set("paragraphs", paragraphs);
  data.set("next_url", "/");
  data.set("next_text", "Go to the home page");
  return RenderPage(context, "message", "Sorry, there is a problem with the service",
                    std::move(data));
}

std::string UnavailablePage(const PageContext& context) {
  TemplateData data;
  TemplateList paragraphs;
  paragraphs.push_back(TemplateData(
      "Part of Parents Portal is not working at the moment. This is a problem on our side, not "
      "something you did."));
  data.set("paragraphs", paragraphs);
  data.set("unavailable", true);
  data.set("next_url", "/");
  data.set("next_text", "Go to the home page");
  return RenderPage(context, "message", "Sorry, the service is unavailable", std::move(data));
}

namespace {

// Sets the parts of a field every partial shares: its name, label, hint,
// error and the ids that aria-describedby lists.
TemplateData FieldBase(const FormState& form, const FieldSpec& spec) {
  TemplateData field;
  field.set("id", spec.name);
  field.set("name", spec.name);
  field.set("label", spec.label);
  std::string described_by;
  if (!spec.hint.empty()) {
    field.set("hint", spec.hint);
    described_by = spec.name + "-hint";
  }
  std::string error = form.ErrorFor(spec.name);
  if (!error.empty()) {
    field.set("error_message", error);
    described_by += (described_by.empty() ? "" : " ") + spec.name + "-error";
  }
  if (!described_by.empty()) field.set("describedby", described_by);
  return field;
}

}  // namespace

TemplateData TextFieldData(const FormState& form, const FieldSpec& spec) {
  TemplateData field = FieldBase(form, spec);
  field.set("type", spec.type);
  // Passwords are never sent back to the browser.
  if (spec.type != "password") {
    field.set("keep_value", true);
    field.set("value", form.Get(spec.name));
  }
  if (!spec.autocomplete.empty()) field.set("autocomplete", spec.autocomplete);
  if (spec.width > 0) field.set("width", std::to_string(spec.width));
  return field;
}

TemplateData DateFieldData(const FormState& form, const FieldSpec& spec) {
  TemplateData field = FieldBase(form, spec);
  std::string day = form.Get(spec.name + "-day");
  std::string month = form.Get(spec.name + "-month");
  std::string year = form.Get(spec.name + "-year");
  std::string whole = form.Get(spec.name);
  if (day.empty() && month.empty() && year.empty() && whole.size() == 10) {
    year = whole.substr(0, 4);
    month = whole.substr(5, 2);
    day = whole.substr(8, 2);
  }
  field.set("day", day);
  field.set("month", month);
  field.set("year", year);
  field.set("hint", spec.hint.empty() ? "For example, 23 4 2015" : spec.hint);
  // bday-day, bday-month and bday-year for the parent's own birthday.
  if (!spec.autocomplete.empty()) field.set("autocomplete", spec.autocomplete);
  return field;
}

TemplateData SelectFieldData(const FormState& form, const FieldSpec& spec,
                             const std::vector<std::pair<std::string, std::string>>& choices) {
  TemplateData field = FieldBase(form, spec);
  std::string sent = form.Get(spec.name);
  TemplateList options;
  for (const auto& [value, text] : choices) {
    TemplateData option;
    option.set("value", value);
    option.set("text", text);
    if (value == sent) option.set("selected", true);
    options.push_back(option);
  }
  field.set("options", options);
  return field;
}

std::string ShortSummary(const std::string& summary) {
  size_t characters = 0;
  for (size_t i = 0; i < summary.size(); ++i) {
    // Continuation bytes (10xxxxxx) belong to the code point before them.
    if ((static_cast<unsigned char>(summary[i]) & 0xC0) == 0x80) continue;
    if (characters == kMaxSummaryCharacters) {
      absl::string_view kept =
          absl::StripTrailingAsciiWhitespace(absl::string_view(summary).substr(0, i));
      return absl::StrCat(kept, "\u2026");
    }
    ++characters;
  }
  return summary;
}

std::string EventWhen(const calendar::Event& event) {
  if (event.all_day()) {
    absl::CivilDay start;
    absl::CivilDay end;
    if (!absl::ParseCivilTime(event.start(), &start)) return event.start();
    // iCalendar's end date is exclusive.
    if (!absl::ParseCivilTime(event.end(), &end) || end - 1 <= start) return FormatDay(start);
    return absl::StrCat(FormatDay(start), " to ", FormatDay(end - 1));
  }

  absl::Time start;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, event.start(), &start, &error)) return event.start();
  // Without the time zone database the times are in UTC and marked as such.
  const absl::TimeZone& zone = SchoolTimeZone();
  const char* utc_mark = zone.name() == "UTC" ? " UTC" : "";
  absl::CivilMinute local_start = absl::ToCivilMinute(start, zone);
  std::string when = absl::StrFormat("%s, %02d:%02d", FormatDay(absl::CivilDay(local_start)),
                                     local_start.hour(), local_start.minute());

  absl::Time end;
  if (!absl::ParseTime(absl::RFC3339_full, event.end(), &end, &error) || end <= start) {
    return absl::StrCat(when, utc_mark);
  }
  absl::CivilMinute local_end = absl::ToCivilMinute(end, zone);
  if (absl::CivilDay(local_end) == absl::CivilDay(local_start)) {
    return absl::StrFormat("%s to %02d:%02d%s", when, local_end.hour(), local_end.minute(),
                           utc_mark);
  }
  return absl::StrFormat("%s to %s, %02d:%02d%s", when, FormatDay(absl::CivilDay(local_end)),
                         local_end.hour(), local_end.minute(), utc_mark);
}

}  // namespace pp::gateway
