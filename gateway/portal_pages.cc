// Pages of a signed-in parent: home, a child, linking and unlinking.
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/pages.h"

namespace pp::gateway {
namespace {

std::string ChildName(const link::Child& child) {
  return absl::StrCat(child.forename(), " ", child.surname());
}

std::string StateText(link::LinkRequestState state) {
  switch (state) {
    case link::PENDING:
      return "Waiting for the school to confirm";
    case link::APPROVED:
      return "Approved";
    case link::REJECTED:
      // A roster sync also closes requests, for a child who left or a contact
      // the school no longer lists, so the text does not name who decided.
      return "Not approved. If you think this is wrong, contact the school";
    case link::EXPIRED:
      return "The school did not decide in time";
    case link::ENDED:
      return "Ended";
    default:
      return "Unknown";
  }
}

TemplateData ChildData(const link::Child& child) {
  TemplateData data;
  data.set("child_id", child.child_id());
  data.set("name", ChildName(child));
  data.set("forename", child.forename());
  data.set("stage", child.stage());
  data.set("school_name", child.school_name());
  return data;
}

// Returns ChildData with `payment_services` and `has_payment_services` for
// the _payments_form partial: the services the child's school takes online.
TemplateData ChildData(const link::Child& child, const OnlineServices& online_services) {
  TemplateData data = ChildData(child);
  auto listed = online_services.find(child.seed_code());
  const std::vector<std::string>& services =
      listed == online_services.end() ? AllOnlineServices() : listed->second;
  TemplateList buttons;
  for (const std::string& service : services) {
    TemplateData button;
    button.set("service", service);
    button.set("label", service == "school-meals" ? "Pay for school meals" : "Pay for trips");
    buttons.push_back(button);
  }
  data.set("has_payment_services", !services.empty());
  data.set("payment_services", buttons);
  return data;
}

// Sets `events` and `has_events` for the _event_list partial.
void SetEvents(TemplateData& data, const std::vector<calendar::Event>& events) {
  TemplateList list;
  for (const calendar::Event& event : events) {
    TemplateData item;
    item.set("summary", ShortSummary(event.summary()));
    item.set("when", EventWhen(event));
    if (!event.location().empty()) item.set("location", event.location());
    list.push_back(item);
  }
  data.set("has_events", !events.empty());
  data.set("events", list);
}

// Returns an RFC 3339 time or a date as a day, such as "Tuesday 8 December 2026".
std::string ExpectedBy(const std::string& text) {
  absl::CivilDay day;
  if (text.size() >= 10 && absl::ParseCivilTime(text.substr(0, 10), &day)) return FormatDay(day);
  return text;
}

}  // namespace

std::string WelcomePage(const PageContext& context) {
  return RenderPage(context, "welcome", "Parents Portal", TemplateData());
}

std::string HomePage(const PageContext& context, const HomeView& view) {
  TemplateData data;
  if (view.request_filed) {
    data.set("notice",
             "Your request has been sent to the school. You will see your child here once the "
             "school confirms it.");
  } else if (view.unlinked) {
    data.set("notice",
             "The link has been removed. To see this child again, link again: the school will "
             "need to confirm it.");
  }

  TemplateList children;
  for (const link::Child& child : view.children) {
    children.push_back(ChildData(child, view.online_services));
  }
  data.set("has_children", !view.children.empty());
  data.set("children", children);

  TemplateList requests;
  for (const link::ParentLinkRequest& request : view.requests) {
    TemplateData item;
    item.set("child_forename", request.child_forename());
    item.set("school_name", request.school_name());
    item.set("state", StateText(request.state()));
    // A pending request is at step 3 of 3: the school's decision.
    if (request.step() > 0) item.set("step", std::to_string(request.step()));
    // Only a request the school has still to decide has a date to expect.
    if (!request.expected_by().empty()) item.set("expected_by", ExpectedBy(request.expected_by()));
    requests.push_back(item);
  }
  data.set("has_requests", !view.requests.empty());
  data.set("requests", requests);

  TemplateList schools;
  for (const SchoolEvents& school : view.schools) {
    TemplateData item;
    item.set("school_name", school.school_name);
    item.set("unavailable", school.unavailable);
    SetEvents(item, school.events);
    schools.push_back(item);
  }
  data.set("schools", schools);
  data.set("feed", FeedData(view.feed));
  return RenderPage(context, "home", "Your children", std::move(data));
}

std::string ChildPage(const PageContext& context, const ChildView& view) {
  TemplateData data;
  data.set("child", ChildData(view.child, view.online_services));
  data.set("unavailable", view.calendar_unavailable);
  SetEvents(data, view.events);
  return RenderPage(context, "child", ChildName(view.child), std::move(data));
}

std::string LinkPage(const PageContext& context, const FormState& form) {
  std::vector<std::pair<std::string, std::string>> stages = {{"", "Choose one"}};
  for (const char* stage :
       {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "S1", "S2", "S3", "S4", "S5", "S6"}) {
    stages.emplace_back(stage, stage);
  }
  TemplateData data;
  data.set("child_forename", TextFieldData(form, {"child_forename", "Child's first name", "text",
                                                  "", "As the school has it"}));
  data.set("child_surname", TextFieldData(form, {"child_surname", "Child's last name"}));
  data.set("child_date_of_birth",
           DateFieldData(form, {"child_date_of_birth", "Child's date of birth", "text", "",
                                "For example, 23 4 2015"}));
  data.set("stage", SelectFieldData(form,
                                    {"stage", "Year group", "text", "",
                                     "P1 to P7 at primary school, S1 to S6 at secondary"},
                                    stages));
  data.set("postcode", TextFieldData(form, {"postcode", "Child's home postcode", "text",
                                            "postal-code", "For example, PH1 8NR", 10}));
  return RenderPage(context, "link", "Link a child", std::move(data), &form);
}

std::string LinkCodePage(const PageContext& context, const LinkCodeView& view) {
  TemplateData data;
  if (!view.sent_channel.empty()) {
    std::string destination;
    for (const link::CodeChannel& channel : view.channels) {
      if (channel.channel() == view.sent_channel) destination = channel.masked_destination();
    }
    data.set("sent", true);
    data.set("destination", destination);
    // The code form posts back with `sent`, so that an error shows this form again.
    data.set("action", absl::StrCat("/link/code?sent=", view.sent_channel));
    data.set("code", TextFieldData(view.form, {"code", "Security code", "text", "one-time-code",
                                               "The 6 digits in the message we sent", 5}));
  }

  TemplateList channels;
  for (const link::CodeChannel& channel : view.channels) {
    TemplateData item;
    item.set("value", channel.channel());
    item.set("how", channel.channel() == "sms" ? "Text message to" : "Email to");
    item.set("destination", channel.masked_destination());
    channels.push_back(item);
  }
  data.set("channels", channels);
  data.set("channel_legend", view.sent_channel.empty() ? "Where should we send the security code?"
                                                       : "Send a new code to");
  data.set("send_label", view.sent_channel.empty() ? "Send the code" : "Send a new code");
  std::string channel_error = view.form.ErrorFor("channel");
  if (!channel_error.empty()) data.set("channel_error", channel_error);
  return RenderPage(context, "link_code", "Confirm it is you", std::move(data), &view.form);
}

std::string LinkHelpPage(const PageContext& context) {
  return RenderPage(context, "help_linking", "Help with linking a child", TemplateData());
}

std::string UnlinkPage(const PageContext& context, const link::Child& child,
                       const FormState& form) {
  TemplateData data = ChildData(child);
  data.set("reason",
           TextFieldData(form, {"reason", "Why are you removing this link? (optional)", "text",
                                "off", "The school sees this. For example, wrong child"}));
  return RenderPage(context, "unlink", absl::StrCat("Remove ", ChildName(child), "?"),
                    std::move(data), &form);
}

}  // namespace pp::gateway
