// Calendar pages: the feed section of the home page and a child's month view.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

constexpr const char* kWeekdays[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                     "Friday", "Saturday", "Sunday"};

// Returns the webcal:// form of an http(s) address, which phones and
// desktop calendar apps open as a subscription.
std::string WebcalAddress(absl::string_view address) {
  if (!absl::ConsumePrefix(&address, "https://")) absl::ConsumePrefix(&address, "http://");
  return absl::StrCat("webcal://", address);
}

// Returns a day's events for one cell of the month table.
TemplateList DayEvents(const std::vector<calendar::Event>& events, absl::CivilDay day) {
  TemplateList items;
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
    TemplateData item;
    item.set("when", when);
    item.set("summary", ShortSummary(event.summary()));
    items.push_back(item);
  }
  return items;
}

std::string MonthUrl(const link::Child& child, absl::CivilMonth month) {
  return absl::StrCat("/children/", child.child_id(),
                      "/calendar?month=", absl::FormatCivilTime(month));
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

TemplateData FeedData(const FeedView& feed) {
  TemplateData data;
  if (feed.changed == "replaced") {
    data.set("changed_text",
             "Your calendar feed has a new address. The old address no longer works, so "
             "subscribe again with the new one.");
  } else if (feed.changed == "revoked") {
    data.set("changed_text",
             "Your calendar feed address has been turned off. Calendar apps that used it will "
             "stop updating.");
  }
  data.set("unavailable", feed.unavailable);
  if (!feed.address.empty()) {
    data.set("address", feed.address);
    data.set("webcal", WebcalAddress(feed.address));
  }
  return data;
}

std::string MonthPage(const PageContext& context, const MonthView& view) {
  const link::Child& child = view.child;
  TemplateData data;
  data.set("child_id", child.child_id());
  data.set("forename", child.forename());
  data.set("school_name", child.school_name());
  data.set("month_name", FormatMonth(view.month));
  // No link leads outside the months the view shows.
  data.set("has_previous", view.month > kFirstViewableMonth);
  data.set("previous_url", MonthUrl(child, view.month - 1));
  data.set("previous_name", FormatMonth(view.month - 1));
  data.set("has_next", view.month < kLastViewableMonth);
  data.set("next_url", MonthUrl(child, view.month + 1));
  data.set("next_name", FormatMonth(view.month + 1));
  data.set("unavailable", view.calendar_unavailable);

  TemplateList weekdays;
  for (const char* weekday : kWeekdays) {
    TemplateData item;
    item.set("name", weekday);
    item.set("short", std::string(weekday, 3));
    weekdays.push_back(item);
  }
  data.set("weekdays", weekdays);

  // Weeks run Monday to Sunday. The first and last weeks are filled with
  // the neighbouring months' days and their events, marked as outside the
  // month.
  absl::CivilDay first = absl::CivilDay(view.month);
  absl::CivilDay end = absl::CivilDay(view.month + 1);
  absl::CivilDay day = absl::PrevWeekday(first + 1, absl::Weekday::monday);
  TemplateList weeks;
  while (day < end) {
    TemplateList days;
    for (int i = 0; i < 7; ++i, ++day) {
      TemplateData cell;
      cell.set("date", absl::FormatCivilTime(day));
      cell.set("day", std::to_string(day.day()));
      if (day == view.today) cell.set("today", true);
      if (day < first || day >= end) {
        cell.set("outside", true);
        cell.set("month_label", FormatMonth(absl::CivilMonth(day)));
      }
      TemplateList events = DayEvents(view.events, day);
      cell.set("has_events", !events.empty());
      cell.set("events", events);
      days.push_back(cell);
    }
    TemplateData week;
    week.set("days", days);
    weeks.push_back(week);
  }
  data.set("weeks", weeks);
  // The month leads the title, so that each month's page has its own.
  return RenderPage(context, "month",
                    absl::StrCat(FormatMonth(view.month), ": school calendar for ",
                                 child.forename(), " ", child.surname()),
                    std::move(data));
}

}  // namespace pp::gateway
