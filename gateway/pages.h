// HTML for every page the gateway serves. Handlers gather the data and pass
// it here. Every value put into the HTML goes through Escape. Pages are
// complete documents in UTF-8 that work without JavaScript.
#ifndef PP_GATEWAY_PAGES_H_
#define PP_GATEWAY_PAGES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/service_clients.h"

namespace pp::gateway {

// Returns `text` with &, <, >, " and ' replaced by character references, so
// that it is safe both as element content and inside a quoted attribute.
std::string Escape(absl::string_view text);

// Data every page needs besides its own content.
struct PageContext {
  // The value each form sends as its hidden `csrf_token` field.
  std::string csrf_token;
  // The signed-in parent's name for the header, or empty when signed out.
  std::string parent_name;
};

// A form as it was sent back, to show again with its error.
struct FormState {
  std::map<std::string, std::string> values;
  // The message of the error summary at the top of the form, or empty.
  std::string error;

  // Returns the value of `name`, or "".
  std::string Get(const std::string& name) const;
};

// The events of one school, for the home page.
struct SchoolEvents {
  std::string school_name;
  std::vector<calendar::Event> events;
  // True when the calendar service could not be reached.
  bool unavailable = false;
};

// The parent's calendar feed, on the home page.
struct FeedView {
  // The feed's address (http or https), or empty when the parent has none.
  std::string address;
  // True when the calendar service could not be reached.
  bool unavailable = false;
  // "replaced" or "revoked" right after the matching form, otherwise empty.
  std::string changed;
};

struct HomeView {
  std::vector<link::Child> children;
  std::vector<link::ParentLinkRequest> requests;
  std::vector<SchoolEvents> schools;
  // True right after a link request was filed.
  bool request_filed = false;
  FeedView feed;
};

struct ChildView {
  link::Child child;
  std::vector<calendar::Event> events;
  bool calendar_unavailable = false;
};

// One month of a child's school calendar.
struct MonthView {
  link::Child child;
  absl::CivilMonth month;
  // Today in the schools' time zone, marked in the table.
  absl::CivilDay today;
  std::vector<calendar::Event> events;
  bool calendar_unavailable = false;
};

struct LinkCodeView {
  std::vector<link::CodeChannel> channels;
  // The channel a code was just sent over, or empty before the first send.
  std::string sent_channel;
  FormState form;
};

// Account pages (account_pages.cc).
std::string RegisterPage(const PageContext& context, const FormState& form);
std::string SignInPage(const PageContext& context, const FormState& form, bool registered);
std::string ChangePasswordPage(const PageContext& context, const FormState& form,
                               bool must_change_password);
std::string ForgotUsernamePage(const PageContext& context, const FormState& form);
std::string ForgotPasswordPage(const PageContext& context, const FormState& form);
// The answer to either forgot form, the same whether or not anything matched.
std::string ForgotSentPage(const PageContext& context, absl::string_view title);
// The account's details and its recent events, newest first.
std::string AccountPage(const PageContext& context, const identity::Account& account,
                        const std::vector<identity::AccountEvent>& events);

// Pages of a signed-in parent (portal_pages.cc).
std::string WelcomePage(const PageContext& context);
std::string HomePage(const PageContext& context, const HomeView& view);
std::string ChildPage(const PageContext& context, const ChildView& view);
std::string LinkPage(const PageContext& context, const FormState& form);
std::string LinkCodePage(const PageContext& context, const LinkCodeView& view);

// Calendar pages (calendar_pages.cc).
// The home page's section with the feed address, its subscribe links and
// the forms that replace or revoke it.
std::string FeedSection(const PageContext& context, const FeedView& feed);
// A table of the month's weeks with each day's events.
std::string MonthPage(const PageContext& context, const MonthView& view);
// Sets the first and last day, in the schools' time zone, on which `event`
// happens. Returns false when its start is not a valid date or time.
bool EventSpan(const calendar::Event& event, absl::CivilDay* first, absl::CivilDay* last);

// Payments pages (payments_pages.cc).
// A form that posts `token` to the payment provider, submitted by
// /assets/handoff.js and by its button when scripts are off.
std::string PaymentHandoffPage(const PageContext& context, const std::string& provider_url,
                               const std::string& token, const std::string& provider_name = "");
// The parent's hand-offs: to whom and when, the outcome, and when the
// personal data was deleted.
std::string PaymentReceiptsPage(const PageContext& context,
                                const std::vector<payments::HandoffStatus>& receipts);
// The script served at /assets/handoff.js.
absl::string_view HandoffScript();

// Shared pieces (pages.cc).
std::string Layout(const PageContext& context, absl::string_view title, absl::string_view body);
// Returns a page with one message and a link to the home page.
std::string MessagePage(const PageContext& context, absl::string_view title,
                        absl::string_view message);
// The hidden CSRF field and, when the form has an error, the summary.
std::string FormStart(const PageContext& context, absl::string_view action, const FormState& form);
// Returns a labelled input whose type attribute is `type`.
std::string TextInput(const FormState& form, const std::string& name, absl::string_view label,
                      absl::string_view type = "text", absl::string_view autocomplete = "");
// Three labelled inputs `name`-day, -month and -year in a fieldset.
std::string DateInputs(const FormState& form, const std::string& name, absl::string_view legend);
// Returns a date as "Tuesday 18 August 2026".
std::string FormatDay(absl::CivilDay day);
// Returns a month as "August 2026".
std::string FormatMonth(absl::CivilMonth month);
// Describes when an event happens, in the schools' time zone.
std::string EventWhen(const calendar::Event& event);
// Returns Europe/London, where the schools are, or UTC when the time zone
// database is missing.
const absl::TimeZone& SchoolTimeZone();

// The style sheet served at /assets/site.css.
absl::string_view SiteCss();

}  // namespace pp::gateway

#endif  // PP_GATEWAY_PAGES_H_
