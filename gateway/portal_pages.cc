// Pages of a signed-in parent: home, a child, linking and payments.
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
      return "Not approved by the school";
    case link::EXPIRED:
      return "The school did not decide in time";
    case link::ENDED:
      return "Ended";
    default:
      return "Unknown";
  }
}

std::string EventList(const std::vector<calendar::Event>& events) {
  if (events.empty()) return "<p>No events in this period.</p>\n";
  std::string html = "<ul class=\"events\">\n";
  for (const calendar::Event& event : events) {
    absl::StrAppend(&html, "<li><strong>", Escape(event.summary()), "</strong>, ",
                    Escape(EventWhen(event)));
    if (!event.location().empty()) absl::StrAppend(&html, ", ", Escape(event.location()));
    absl::StrAppend(&html, "</li>\n");
  }
  absl::StrAppend(&html, "</ul>\n");
  return html;
}

std::string PaymentsForm(const PageContext& context, const link::Child& child) {
  return absl::StrCat(
      "<form method=\"post\" action=\"/services/payments\" class=\"inline\">"
      "<input type=\"hidden\" name=\"csrf_token\" value=\"",
      Escape(context.csrf_token), "\"><input type=\"hidden\" name=\"child\" value=\"",
      Escape(child.child_id()),
      "\"><button type=\"submit\" name=\"service\" value=\"school-meals\">Pay for school meals"
      "</button> <button type=\"submit\" name=\"service\" value=\"trips\">Pay for trips</button>"
      "</form>");
}

constexpr char kCalendarUnavailable[] =
    "<p class=\"notice\">The school calendar is not available right now, try again in a few "
    "minutes.</p>\n";

}  // namespace

std::string WelcomePage(const PageContext& context) {
  return Layout(context, "Welcome",
                "<p>Parents Portal lets you see your children's school information, the school "
                "calendar and payments in one place.</p>\n"
                "<p><a href=\"/register\">Create an account</a> or <a href=\"/sign-in\">sign "
                "in</a>.</p>\n");
}

std::string HomePage(const PageContext& context, const HomeView& view) {
  std::string body;
  if (view.request_filed) {
    absl::StrAppend(&body,
                    "<p class=\"notice\" role=\"status\">Your request has been sent to the "
                    "school. You will see your child here once the school confirms it.</p>\n");
  }

  absl::StrAppend(&body, "<h2>Your children</h2>\n");
  if (view.children.empty()) {
    absl::StrAppend(&body, "<p>You are not linked to any children yet.</p>\n");
  } else {
    absl::StrAppend(&body, "<ul class=\"children\">\n");
    for (const link::Child& child : view.children) {
      absl::StrAppend(&body, "<li><a href=\"/children/", Escape(child.child_id()), "\">",
                      Escape(ChildName(child)), "</a>, ", Escape(child.stage()), ", ",
                      Escape(child.school_name()), " ", PaymentsForm(context, child), "</li>\n");
    }
    absl::StrAppend(&body, "</ul>\n");
  }
  absl::StrAppend(&body, "<p><a href=\"/link\">Link to a child</a></p>\n");

  if (!view.requests.empty()) {
    absl::StrAppend(&body, "<h2>Your requests</h2>\n<ul>\n");
    for (const link::ParentLinkRequest& request : view.requests) {
      // Pending requests are at step 3 of 3: the school's decision.
      std::string step = request.step() > 0
                             ? absl::StrCat(" (step ", request.step(), " of 3, expected by ",
                                            Escape(request.expected_by()), ")")
                             : "";
      absl::StrAppend(&body, "<li>", Escape(request.child_forename()), " at ",
                      Escape(request.school_name()), ": ", Escape(StateText(request.state())), step,
                      "</li>\n");
    }
    absl::StrAppend(&body, "</ul>\n");
  }

  for (const SchoolEvents& school : view.schools) {
    absl::StrAppend(&body, "<h2>Coming up at ", Escape(school.school_name), "</h2>\n",
                    school.unavailable ? kCalendarUnavailable : EventList(school.events));
  }
  absl::StrAppend(&body, FeedSection(context, view.feed));
  return Layout(context, "Your account", body);
}

std::string ChildPage(const PageContext& context, const ChildView& view) {
  const link::Child& child = view.child;
  return Layout(
      context, ChildName(child),
      absl::StrCat("<dl><dt>School</dt><dd>", Escape(child.school_name()),
                   "</dd><dt>Stage</dt><dd>", Escape(child.stage()), "</dd></dl>\n<p>",
                   PaymentsForm(context, child), "</p>\n<h2>School calendar, next 90 days</h2>\n",
                   view.calendar_unavailable ? kCalendarUnavailable : EventList(view.events),
                   "<p><a href=\"/children/", Escape(child.child_id()),
                   "/calendar\">See the calendar by month</a></p>\n"));
}

std::string LinkPage(const PageContext& context, const FormState& form) {
  std::string stages =
      "<div class=\"field\"><label for=\"stage\">Year group</label><select id=\"stage\" "
      "name=\"stage\"><option value=\"\">Choose one</option>";
  for (const char* stage :
       {"P1", "P2", "P3", "P4", "P5", "P6", "P7", "S1", "S2", "S3", "S4", "S5", "S6"}) {
    absl::StrAppend(&stages, "<option value=\"", stage, "\"",
                    form.Get("stage") == stage ? " selected" : "", ">", stage, "</option>");
  }
  absl::StrAppend(&stages, "</select></div>\n");

  return Layout(
      context, "Link to your child",
      absl::StrCat("<p>Enter your child's details as the school holds them. We will then send a "
                   "security code to the contact details the school has for you.</p>\n",
                   FormStart(context, "/link", form),
                   TextInput(form, "child_forename", "Child's first name"),
                   TextInput(form, "child_surname", "Child's last name"),
                   DateInputs(form, "child_date_of_birth", "Child's date of birth"), stages,
                   TextInput(form, "postcode", "Child's home postcode", "text", "postal-code"),
                   "<button type=\"submit\">Continue</button>\n</form>\n"));
}

std::string LinkCodePage(const PageContext& context, const LinkCodeView& view) {
  std::string body;
  if (!view.sent_channel.empty()) {
    // The code form posts back with `sent` so that an error shows this form again.
    std::string destination;
    for (const link::CodeChannel& channel : view.channels) {
      if (channel.channel() == view.sent_channel) destination = channel.masked_destination();
    }
    std::string action = absl::StrCat("/link/code?sent=", view.sent_channel);
    absl::StrAppend(&body, "<p class=\"notice\" role=\"status\">We have sent a security code to ",
                    Escape(destination), ".</p>\n", FormStart(context, action, view.form),
                    TextInput(view.form, "code", "Security code", "text", "one-time-code"),
                    "<button type=\"submit\">Confirm</button>\n</form>\n"
                    "<h2>Did not get the code?</h2>\n");
  }

  // The channel choice: the whole page before the first send, a resend form after it.
  FormState channel_form;
  if (view.sent_channel.empty()) channel_form = view.form;
  absl::StrAppend(&body, FormStart(context, "/link/code", channel_form),
                  "<fieldset class=\"field\"><legend>Where should we send the security "
                  "code?</legend>\n");
  for (const link::CodeChannel& channel : view.channels) {
    std::string id = absl::StrCat("channel-", channel.channel());
    std::string how = channel.channel() == "sms" ? "Text message to " : "Email to ";
    absl::StrAppend(&body, "<div><input type=\"radio\" name=\"channel\" id=\"", Escape(id),
                    "\" value=\"", Escape(channel.channel()), "\"><label for=\"", Escape(id), "\">",
                    Escape(how), Escape(channel.masked_destination()), "</label></div>\n");
  }
  absl::StrAppend(&body, "</fieldset>\n<button type=\"submit\">Send the code</button>\n</form>\n");
  return Layout(context, "Confirm it is you", body);
}

}  // namespace pp::gateway
