// HTML for every page the gateway serves. Handlers gather the data and pass
// it here, and the page functions render the mustache templates, which
// escape every value. Pages are complete documents in UTF-8 that work
// without JavaScript.
#ifndef PP_GATEWAY_PAGES_H_
#define PP_GATEWAY_PAGES_H_

#include <array>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/online_services.h"
#include "gateway/service_clients.h"
#include "gateway/site_files.h"

namespace pp::gateway {

// Data every page needs besides its own content.
struct PageContext {
  // The value each form sends as its hidden `csrf_token` field.
  std::string csrf_token;
  // The signed-in parent's name for the header, or empty when signed out.
  std::string parent_name;
  // The request's path, such as "/account". The navigation link to the
  // same path is marked as the current page.
  std::string path;
  // The templates and assets the page is built from. Both must be set
  // before a page is rendered.
  const Templates* templates = nullptr;
  const Assets* assets = nullptr;
};

// One field's problem, shown beside the field and in the error summary.
struct FieldError {
  // The field's name, such as "email" or "date_of_birth".
  std::string field;
  // The problem and how to fix it.
  std::string message;
};

// A form as it was sent back, to show again with its errors.
struct FormState {
  std::map<std::string, std::string> values;
  std::vector<FieldError> errors;

  // Returns the value of `name`, or "".
  std::string Get(const std::string& name) const;
  // Returns the first error message of `field`, or "".
  std::string ErrorFor(const std::string& field) const;
  void AddError(std::string field, std::string message);
  // Adds the errors a service returned, one per line of `message`, each to
  // the field it names. `fields` lists the form's fields as {name, label,
  // keyword}. A line that starts with a field's name and a space ("postcode
  // is not a UK postcode") has the name replaced by the label. One that
  // starts with the name and a colon is shown as it reads after the colon.
  // Otherwise the first field whose keyword the line contains gets it, and
  // `fallback` when none does. A line for a field that already has an error
  // is left out, so that a page does not name one field twice.
  void AddServiceError(absl::string_view message,
                       const std::vector<std::array<const char*, 3>>& fields,
                       const std::string& fallback);
  // Puts the errors in the order of `fields` (as for AddServiceError), as
  // the page lists its fields. Errors of other fields go last.
  void SortErrors(const std::vector<std::array<const char*, 3>>& fields);
};

// Describes one form field for the field partials.
struct FieldSpec {
  FieldSpec(std::string name, std::string label, std::string type = "text",
            std::string autocomplete = "", std::string hint = "", int width = 0)
      : name(std::move(name)),
        label(std::move(label)),
        type(std::move(type)),
        autocomplete(std::move(autocomplete)),
        hint(std::move(hint)),
        width(width) {}

  std::string name;
  std::string label;
  // The input's type attribute: text, email, password or tel.
  std::string type;
  std::string autocomplete;
  std::string hint;
  // The design system's fixed width in characters (2, 3, 4, 5, 10, 20), or 0
  // for the full width.
  int width;
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
  // The services each child's school takes online; a school left out
  // offers every service.
  OnlineServices online_services;
  std::vector<link::ParentLinkRequest> requests;
  std::vector<SchoolEvents> schools;
  // True right after a link request was filed.
  bool request_filed = false;
  // True right after the parent removed a link to a child.
  bool unlinked = false;
  FeedView feed;
};

struct ChildView {
  link::Child child;
  // As in HomeView.
  OnlineServices online_services;
  std::vector<calendar::Event> events;
  bool calendar_unavailable = false;
};

// One month of a child's school calendar.
// The first and last months the month view shows: those of the years in
// which the calendar service stores events (1583 to 2199), so that every
// event can be shown and the view never links to a month it rejects.
inline constexpr absl::CivilMonth kFirstViewableMonth(1583, 1);
inline constexpr absl::CivilMonth kLastViewableMonth(2199, 12);

struct MonthView {
  link::Child child;
  absl::CivilMonth month;
  // Today in the schools' time zone, marked in the table.
  absl::CivilDay today;
  std::vector<calendar::Event> events;
  bool calendar_unavailable = false;
};

struct AccountView {
  identity::Account account;
  // Newest first.
  std::vector<identity::AccountEvent> events;
  std::vector<notification::Message> messages;
  bool messages_unavailable = false;
  notification::Preferences preferences;
  bool preferences_unavailable = false;
  // "saved" right after the preferences form, otherwise empty.
  std::string changed;
  FormState form;
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
// The account's details, its recent events (newest first), the messages
// sent to the parent and the parent's message choices.
std::string AccountPage(const PageContext& context, const AccountView& view);

// Pages of a signed-in parent (portal_pages.cc).
std::string WelcomePage(const PageContext& context);
std::string HomePage(const PageContext& context, const HomeView& view);
std::string ChildPage(const PageContext& context, const ChildView& view);
std::string LinkPage(const PageContext& context, const FormState& form);
std::string LinkCodePage(const PageContext& context, const LinkCodeView& view);
// Why a child's details may not match the school's, and what to do.
std::string LinkHelpPage(const PageContext& context);
// The confirmation step before a parent removes a link to a child.
std::string UnlinkPage(const PageContext& context, const link::Child& child, const FormState& form);

// Calendar pages (calendar_pages.cc).
// A table of the month's weeks with each day's events. The first and last
// weeks show the neighbouring months' days, marked as outside the month.
std::string MonthPage(const PageContext& context, const MonthView& view);
// Returns the data of the home page's feed section: the feed address, its
// subscribe link and the confirmation of a form just sent.
TemplateData FeedData(const FeedView& feed);
// Sets the first and last day, in the schools' time zone, on which `event`
// happens. Returns false when its start is not a valid date or time.
bool EventSpan(const calendar::Event& event, absl::CivilDay* first, absl::CivilDay* last);

// Payments pages (payments_pages.cc).
// A form that posts `token` to the payment provider, submitted by the
// handoff.js asset and by its button when scripts are off.
std::string PaymentHandoffPage(const PageContext& context, const std::string& provider_url,
                               const std::string& token, const std::string& provider_name = "");
// The parent's hand-offs: to whom and when, the outcome, and when the
// personal data was deleted.
std::string PaymentReceiptsPage(const PageContext& context,
                                const std::vector<payments::HandoffStatus>& receipts);

// Shared pieces (pages.cc).
// Renders page template `name` inside the layout, with the page's title,
// the CSRF token, the asset addresses and, when `form` has errors, the
// error summary. `script` names an extra asset the page loads, or is empty.
// Throws std::runtime_error when a template fails, which the gateway's
// exception handler turns into a 500 page.
std::string RenderPage(const PageContext& context, absl::string_view name, absl::string_view title,
                       TemplateData data, const FormState* form = nullptr,
                       absl::string_view script = "");
// Returns a page with one message and a link onwards, the home page by default.
std::string MessagePage(const PageContext& context, absl::string_view title,
                        absl::string_view message);
// The 404 page: the address may be mistyped, and where to go instead.
std::string NotFoundPage(const PageContext& context);
// The 500 page: a fault on our side, nothing the parent did.
std::string ProblemPage(const PageContext& context);
// The page of a service that is down: what happened, to try again in a few
// minutes and that nothing typed was kept.
std::string UnavailablePage(const PageContext& context);
// Returns the data of a text input for the _text_field partial. A password's
// value is never sent back to the browser.
TemplateData TextFieldData(const FormState& form, const FieldSpec& spec);
// Returns the data of the _date_field partial: three inputs named
// `name`-day, -month and -year in a fieldset with a hint.
TemplateData DateFieldData(const FormState& form, const FieldSpec& spec);
// Returns the data of the _select_field partial, with `choices` as
// (value, text) pairs and the sent value selected.
TemplateData SelectFieldData(const FormState& form, const FieldSpec& spec,
                             const std::vector<std::pair<std::string, std::string>>& choices);
// Returns a date as "Tuesday 18 August 2026".
std::string FormatDay(absl::CivilDay day);
// Returns a month as "August 2026".
std::string FormatMonth(absl::CivilMonth month);
// Returns an RFC 3339 time as UK time, such as "4 December 2026, 11:58",
// or the text as it is when it does not parse.
std::string UkTime(const std::string& rfc3339);
// Describes when an event happens, in the schools' time zone.
std::string EventWhen(const calendar::Event& event);
// The maximum characters of an event's summary that a page shows. The calendar
// service stores an imported SUMMARY at any length, limited only by the
// 5 MiB document, so one event could otherwise flood a page.
inline constexpr size_t kMaxSummaryCharacters = 100;
// Returns `summary` cut to kMaxSummaryCharacters code points, with an
// ellipsis when anything was cut. The cut never splits a UTF-8 sequence.
std::string ShortSummary(const std::string& summary);
// Returns Europe/London, where the schools are, or UTC when the time zone
// database is missing.
const absl::TimeZone& SchoolTimeZone();

}  // namespace pp::gateway

#endif  // PP_GATEWAY_PAGES_H_
