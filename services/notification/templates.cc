#include "templates.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/civil_time.h"
#include "utf8.h"

namespace pp::notification {
namespace {

constexpr int64_t kMaxValueCharacters = 200;
// First Strong Isolate and Pop Directional Isolate (Unicode bidi isolates).
constexpr char kIsolateStart[] = "\u2068";
constexpr char kIsolateEnd[] = "\u2069";

std::string EscapeHtml(const std::string& text) {
  return absl::StrReplaceAll(
      text, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

// Returns `text` with each {{name}} replaced by `values[name]`, or
// InvalidArgument naming the first placeholder without a value.
absl::StatusOr<std::string> Fill(const std::string& text,
                                 const std::map<std::string, std::string>& values,
                                 MessageKind kind) {
  std::string out;
  size_t at = 0;
  while (true) {
    size_t open = text.find("{{", at);
    if (open == std::string::npos) break;
    size_t close = text.find("}}", open);
    if (close == std::string::npos) break;
    std::string name = text.substr(open + 2, close - open - 2);
    auto value = values.find(name);
    if (value == values.end()) {
      return absl::InvalidArgumentError(absl::StrCat("template_data has no value for \"", name,
                                                     "\", which the ", KindName(kind),
                                                     " template needs"));
    }
    absl::StrAppend(&out, text.substr(at, open - at), value->second);
    at = close + 2;
  }
  out += text.substr(at);
  return out;
}

// Splits a template file into its subject line and its sections.
absl::Status Parse(const std::string& file, const std::string& path,
                   std::map<std::string, std::string>* sections) {
  std::istringstream lines(file);
  std::string line;
  std::string current;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (current.empty() && absl::StartsWith(line, "subject:")) {
      (*sections)["subject"] = std::string(absl::StripAsciiWhitespace(line.substr(8)));
    } else if (absl::StartsWith(line, "--- ")) {
      current = line.substr(4);
      (*sections)[current];
    } else if (!current.empty()) {
      absl::StrAppend(&(*sections)[current], line, "\n");
    }
  }
  for (const char* needed : {"subject", "text", "html", "sms"}) {
    if (sections->count(needed) == 0 || (*sections)[needed].empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("template ", path, " has no ", needed, " section"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string FormatLocalTime(absl::Time when, absl::TimeZone zone) {
  absl::TimeZone::CivilInfo local = zone.At(when);
  absl::CivilDay day(local.cs);
  static const char* const kDays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                      "Friday", "Saturday", "Sunday"};
  static const char* const kMonths[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  int weekday = static_cast<int>(absl::GetWeekday(day));  // Monday is 0.
  return absl::StrCat(kDays[weekday], " ", day.day(), " ", kMonths[day.month() - 1], " ",
                      day.year(), ", ", absl::FormatCivilTime(local.cs).substr(11, 5));
}

absl::StatusOr<Templates> Templates::Load(const std::string& dir, absl::TimeZone london) {
  Templates templates;
  templates.london_ = london;
  for (int k = 1; k <= static_cast<int>(kLastMessageKind); ++k) {
    MessageKind kind = static_cast<MessageKind>(k);
    std::string path = absl::StrCat(dir, "/", KindName(kind), ".tmpl");
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read template ", path));
    std::ostringstream file;
    file << in.rdbuf();

    std::map<std::string, std::string> sections;
    if (absl::Status parsed = Parse(file.str(), path, &sections); !parsed.ok()) return parsed;
    templates.templates_[kind] = {sections["subject"], sections["text"], sections["html"],
                                  std::string(absl::StripTrailingAsciiWhitespace(sections["sms"]))};
  }
  return templates;
}

absl::StatusOr<RenderedMessage> Templates::Render(
    MessageKind kind, const std::map<std::string, std::string>& data) const {
  auto found = templates_.find(kind);
  if (found == templates_.end()) {
    return absl::InvalidArgumentError("kind has no template: set a message kind or a body");
  }

  // Values for text parts and for HTML, checked and converted once.
  std::map<std::string, std::string> text_values;
  std::map<std::string, std::string> html_values;
  for (const auto& [key, raw] : data) {
    int64_t characters = CountCharacters(raw);
    if (characters < 0 || raw.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("template_data \"", key, "\" must be one line of UTF-8 text"));
    }
    if (characters > kMaxValueCharacters) {
      return absl::InvalidArgumentError(
          absl::StrCat("template_data \"", key, "\" is longer than 200 characters"));
    }
    std::string value = raw;
    if (absl::EndsWith(key, "_at")) {
      absl::Time when;
      std::string error;
      if (!absl::ParseTime(absl::RFC3339_full, raw, &when, &error)) {
        return absl::InvalidArgumentError(
            absl::StrCat("template_data \"", key, "\" is not an RFC 3339 time: ", error));
      }
      value = FormatLocalTime(when, london_);
    }
    text_values[key] =
        HasRightToLeft(value) ? absl::StrCat(kIsolateStart, value, kIsolateEnd) : value;
    html_values[key] = absl::EndsWith(key, "_name")
                           ? absl::StrCat("<bdi>", EscapeHtml(value), "</bdi>")
                           : EscapeHtml(value);
  }

  const Template& chosen = found->second;
  RenderedMessage rendered;
  absl::StatusOr<std::string> subject = Fill(chosen.subject, text_values, kind);
  if (!subject.ok()) return subject.status();
  absl::StatusOr<std::string> text = Fill(chosen.text, text_values, kind);
  if (!text.ok()) return text.status();
  absl::StatusOr<std::string> html = Fill(chosen.html, html_values, kind);
  if (!html.ok()) return html.status();
  absl::StatusOr<std::string> sms = Fill(chosen.sms, text_values, kind);
  if (!sms.ok()) return sms.status();
  return RenderedMessage{*subject, *text, *html, *sms};
}

}  // namespace pp::notification
