// Calendar pages: the feed section of the home page and a child's month view.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

constexpr const char* kWeekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                     "Friday", "Saturday", "Sunday"};

// A form with the CSRF field and one button.
std::string ButtonForm(const PageContext& context, absl::string_view action,
                       absl::string_view label) {
  return absl::StrCat("<form method=\"post\" action=\"", Escape(action),
                      "\" class=\"inline\"><input type=\"hidden\" name=\"csrf_token\" value=\"",
                      Escape(context.csrf_token), "\"><button type=\"submit\">", Escape(label),
                      "</button></form>");
}

// Returns the webcal:// form of an http(s) address, which phones and
// desktop calendar apps open as a subscription.
std::string WebcalAddress(absl::string_view address) {
  if (!absl::ConsumePrefix(&address, "https://")) absl::ConsumePrefix(&address, "http://");
  return absl::StrCat("webcal://", address);
}

// Returns a day's events for one cell of the month table.
std::string DayEvents(const std::vector<calendar::Event>& events, absl::CivilDay day) {
  std::string items;
  for (const calendar::Event& event : events) {
    absl::CivilDay first;
    absl::CivilDay last;
    if (!EventSpan(event, &first, &last) || day < first || day > last) continue;

    std::string when = "All day";
    absl::Time start;
    std::string error;
    if (!event.all_day() && absl::ParseTime(absl::RFC3339_full, event.start(), &start, &error)) {
      absl::CivilMinute local = absl::ToCivilMinute(start, SchoolTimeZone());
      // Later days of an event that runs past midnight show when it began.
      when = absl::CivilDay(local) == day
                 ? absl::StrFormat("%02d:%02d", local.hour(), local.minute())
                 : "Continues";
    }
    absl::StrAppend(&items, "<li><span class=\"hint\">", when, "</span> ", Escape(event.summary()),
                    "</li>");
  }
  if (items.empty()) return "";
  return absl::StrCat("<ul>", items, "</ul>");
}

std::string MonthLink(const link::Child& child, absl::CivilMonth month, absl::string_view rel,
                      absl::string_view label) {
  return absl::StrCat("<a rel=\"", rel, "\" href=\"/children/", Escape(child.child_id()),
                      "/calendar?month=", absl::FormatCivilTime(month), "\">", Escape(label), " ",
                      Escape(FormatMonth(month)), "</a>");
}

}  // namespace

bool EventSpan(const calendar::Event& event, absl::CivilDay* first, absl::CivilDay* last) {
  if (event.all_day()) {
    absl::CivilDay end;
    if (!absl::ParseCivilTime(event.start(), first)) return false;
    // iCalendar's end date is exclusive, and a missing or early end means
    // the one day of the start.
    if (!absl::ParseCivilTime(event.end(), &end) || end <= *first) end = *first + 1;
    *last = end - 1;
    return true;
  }

  absl::Time start;
  absl::Time end;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, event.start(), &start, &error)) return false;
  const absl::TimeZone& zone = SchoolTimeZone();
  *first = absl::ToCivilDay(start, zone);
  *last = *first;
  // An event that ends at midnight does not reach the next day.
  if (absl::ParseTime(absl::RFC3339_full, event.end(), &end, &error) && end > start) {
    *last = std::max(*first, absl::ToCivilDay(end - absl::Seconds(1), zone));
  }
  return true;
}

std::string FeedSection(const PageContext& context, const FeedView& feed) {
  std::string html = "<h2 id=\"calendar-feed\">Calendar subscription</h2>\n";
  if (feed.changed == "replaced") {
    absl::StrAppend(&html,
                    "<p class=\"notice\" role=\"status\">Your calendar feed has a new address. "
                    "The old address no longer works, so subscribe again with the new one.</p>\n");
  } else if (feed.changed == "revoked") {
    absl::StrAppend(&html,
                    "<p class=\"notice\" role=\"status\">Your calendar feed address has been "
                    "turned off. Calendar apps that used it will stop updating.</p>\n");
  }
  if (feed.unavailable) {
    absl::StrAppend(&html,
                    "<p class=\"notice\">The calendar subscription is not available right now, "
                    "try again in a few minutes.</p>\n");
    return html;
  }

  if (feed.address.empty()) {
    absl::StrAppend(&html,
                    "<p>Add your children's school calendars and the Scottish bank holidays to "
                    "the calendar on your phone or computer, kept up to date.</p>\n<p>",
                    ButtonForm(context, "/calendar/feed/replace", "Create a calendar address"),
                    "</p>\n");
    return html;
  }
  absl::StrAppend(
      &html,
      "<p>Your children's school calendars and the Scottish bank holidays, at one private "
      "address. Anyone with the address can see the calendar, so share it only with people you "
      "trust.</p>\n<p class=\"feed-address\"><code>",
      Escape(feed.address), "</code></p>\n<p><a href=\"", Escape(WebcalAddress(feed.address)),
      "\">Subscribe</a> (opens your calendar app) or <a href=\"", Escape(feed.address),
      "\">download the calendar file</a>.</p>\n<p>",
      ButtonForm(context, "/calendar/feed/replace", "Get a new address"), " ",
      ButtonForm(context, "/calendar/feed/revoke", "Turn off this address"), "</p>\n");
  return html;
}

std::string MonthPage(const PageContext& context, const MonthView& view) {
  const link::Child& child = view.child;
  std::string title = absl::StrCat(child.forename(), " ", child.surname(), ": school calendar");
  std::string body = absl::StrCat(
      "<nav aria-label=\"Months\"><p>", MonthLink(child, view.month - 1, "prev", "Previous month:"),
      " | ", MonthLink(child, view.month + 1, "next", "Next month:"), "</p></nav>\n");
  if (view.calendar_unavailable) {
    absl::StrAppend(&body,
                    "<p class=\"notice\">The school calendar is not available right now, try "
                    "again in a few minutes.</p>\n");
  }

  absl::StrAppend(&body, "<table class=\"month\">\n<caption>", Escape(child.school_name()), ", ",
                  Escape(FormatMonth(view.month)), "</caption>\n<thead><tr>");
  for (const char* weekday : kWeekdays) {
    absl::StrAppend(&body, "<th scope=\"col\">", weekday, "</th>");
  }
  absl::StrAppend(&body, "</tr></thead>\n<tbody>\n");

  // Weeks run Monday to Sunday. Cells of the days before and after the month
  // stay empty.
  absl::CivilDay first = absl::CivilDay(view.month);
  absl::CivilDay end = absl::CivilDay(view.month + 1);
  absl::CivilDay day = absl::PrevWeekday(first + 1, absl::Weekday::monday);
  while (day < end) {
    absl::StrAppend(&body, "<tr>");
    for (int i = 0; i < 7; ++i, ++day) {
      if (day < first || day >= end) {
        absl::StrAppend(&body, "<td class=\"outside\"></td>");
        continue;
      }
      absl::StrAppend(&body, "<td", day == view.today ? " aria-current=\"date\"" : "",
                      "><time datetime=\"", absl::FormatCivilTime(day), "\">", day.day(), "</time>",
                      DayEvents(view.events, day), "</td>");
    }
    absl::StrAppend(&body, "</tr>\n");
  }
  absl::StrAppend(&body, "</tbody>\n</table>\n<p><a href=\"/children/", Escape(child.child_id()),
                  "\">Back to ", Escape(child.forename()), "'s page</a></p>\n");
  return Layout(context, title, body);
}

}  // namespace pp::gateway
