#include "gateway/pages.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

std::string Escape(absl::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

std::string FormState::Get(const std::string& name) const {
  auto it = values.find(name);
  return it == values.end() ? "" : it->second;
}

std::string Layout(const PageContext& context, absl::string_view title, absl::string_view body) {
  std::string nav;
  if (!context.parent_name.empty()) {
    nav = absl::StrCat(
        "<nav><a href=\"/\">Home</a> <a href=\"/link\">Link a child</a> "
        "<a href=\"/services/payments/receipts\">Payments</a> "
        "<a href=\"/account\">Your account</a> <span class=\"who\">",
        Escape(context.parent_name),
        "</span> <form method=\"post\" action=\"/sign-out\" class=\"inline\">"
        "<input type=\"hidden\" name=\"csrf_token\" value=\"",
        Escape(context.csrf_token), "\"><button type=\"submit\">Sign out</button></form></nav>");
  } else {
    nav = "<nav><a href=\"/sign-in\">Sign in</a> <a href=\"/register\">Register</a></nav>";
  }
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      Escape(title),
      " - Parents Portal</title>\n<link rel=\"stylesheet\" href=\"/assets/site.css\">\n"
      "</head>\n<body>\n<header><a class=\"brand\" href=\"/\">Parents Portal</a>",
      nav, "</header>\n<main>\n<h1>", Escape(title), "</h1>\n", body,
      "</main>\n</body>\n</html>\n");
}

std::string MessagePage(const PageContext& context, absl::string_view title,
                        absl::string_view message) {
  return Layout(
      context, title,
      absl::StrCat("<p>", Escape(message), "</p>\n<p><a href=\"/\">Go to the home page</a></p>\n"));
}

std::string FormStart(const PageContext& context, absl::string_view action, const FormState& form) {
  std::string html;
  if (!form.error.empty()) {
    absl::StrAppend(&html,
                    "<div class=\"error-summary\" role=\"alert\" tabindex=\"-1\">"
                    "<h2>There is a problem</h2><p>",
                    Escape(form.error), "</p></div>\n");
  }
  absl::StrAppend(&html, "<form method=\"post\" action=\"", Escape(action),
                  "\" novalidate>\n<input type=\"hidden\" name=\"csrf_token\" value=\"",
                  Escape(context.csrf_token), "\">\n");
  return html;
}

std::string TextInput(const FormState& form, const std::string& name, absl::string_view label,
                      absl::string_view type, absl::string_view autocomplete) {
  std::string html = absl::StrCat("<div class=\"field\"><label for=\"", Escape(name), "\">",
                                  Escape(label), "</label><input type=\"", Escape(type), "\" id=\"",
                                  Escape(name), "\" name=\"", Escape(name), "\"");
  // Passwords are never sent back to the browser.
  if (type != "password") absl::StrAppend(&html, " value=\"", Escape(form.Get(name)), "\"");
  if (!autocomplete.empty()) {
    absl::StrAppend(&html, " autocomplete=\"", Escape(autocomplete), "\"");
  }
  absl::StrAppend(&html, "></div>\n");
  return html;
}

std::string DateInputs(const FormState& form, const std::string& name, absl::string_view legend) {
  std::string day = form.Get(name + "-day");
  std::string month = form.Get(name + "-month");
  std::string year = form.Get(name + "-year");
  std::string whole = form.Get(name);
  if (day.empty() && month.empty() && year.empty() && whole.size() == 10) {
    year = whole.substr(0, 4);
    month = whole.substr(5, 2);
    day = whole.substr(8, 2);
  }
  auto part = [&name](absl::string_view suffix, absl::string_view label, const std::string& value,
                      int width) {
    std::string id = absl::StrCat(name, "-", suffix);
    return absl::StrCat("<div class=\"date-part\"><label for=\"", Escape(id), "\">", Escape(label),
                        "</label><input type=\"text\" inputmode=\"numeric\" id=\"", Escape(id),
                        "\" name=\"", Escape(id), "\" size=\"", width, "\" value=\"", Escape(value),
                        "\"></div>");
  };
  return absl::StrCat("<fieldset class=\"field\"><legend>", Escape(legend), "</legend>",
                      part("day", "Day", day, 2), part("month", "Month", month, 2),
                      part("year", "Year", year, 4), "</fieldset>\n");
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

absl::string_view SiteCss() {
  return R"css(body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;color:#1b1b1b;background:#f7f7f5;line-height:1.5}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.75rem 1.5rem;background:#1d3c5a;color:#fff}
header a{color:#fff}
.brand{font-weight:700;text-decoration:none;margin-right:auto}
nav{display:flex;flex-wrap:wrap;align-items:center;gap:1rem}
main{max-width:46rem;margin:0 auto;padding:1.5rem}
.field{margin:0 0 1rem;border:0;padding:0}
label,legend{display:block;font-weight:600}
input[type=text],input[type=email],input[type=password],select{font:inherit;padding:.4rem;border:2px solid #1b1b1b;width:100%;max-width:24rem;box-sizing:border-box}
.date-part{display:inline-block;margin-right:1rem}
.date-part input{width:auto}
button{font:inherit;padding:.5rem 1rem;background:#00703c;color:#fff;border:0;cursor:pointer}
nav button{background:transparent;border:1px solid #fff;padding:.2rem .6rem}
form.inline{display:inline}
.error-summary{border:4px solid #d4351c;padding:.5rem 1rem;margin-bottom:1.5rem;background:#fff}
.notice{border-left:6px solid #1d70b8;padding:.5rem 1rem;background:#fff}
.hint{color:#505a5f}
ul.events,ul.children{padding-left:1.2rem}
table.month{border-collapse:collapse;width:100%;table-layout:fixed}
table.month caption{font-weight:700;text-align:left;padding:.5rem 0}
table.month th,table.month td{border:1px solid #b1b4b6;padding:.25rem;vertical-align:top}
table.month td{height:4rem;background:#fff}
table.month td.outside{background:transparent}
table.month td[aria-current=date]{outline:3px solid #1d70b8;outline-offset:-3px}
table.month ul{list-style:none;margin:.25rem 0 0;padding:0;font-size:.9rem}
.feed-address{word-break:break-all}
)css";
}

}  // namespace pp::gateway
