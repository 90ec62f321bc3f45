// Handlers for a signed-in parent: home, a child, linking and payments.
#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "gateway/forms.h"
#include "gateway/gateway.h"
#include "gateway/http_status.h"
#include "log/log.h"

namespace pp::gateway {
namespace {

// How long the browser keeps a link attempt. The service's codes expire
// sooner.
constexpr int kLinkAttemptSeconds = 1800;
constexpr int kHomeEventDays = 60;
constexpr int kHomeEventsPerSchool = 10;
constexpr int kChildEventDays = 90;
// The maximum length, in bytes, of the reason for ending a link.
constexpr size_t kMaxUnlinkReasonBytes = 500;

// The link form's required fields and what to do when one is empty.
constexpr std::pair<const char*, const char*> kLinkRequired[] = {
    {"child_forename", "Enter your child's first name as the school has it"},
    {"child_surname", "Enter your child's last name"},
    {"stage", "Choose your child's year group"},
    {"postcode", "Enter your child's home postcode, such as PH1 8NR"},
};

// The link form's fields, for the link service's errors.
const std::vector<std::array<const char*, 3>> kLinkFields = {
    {"child_forename", "Child's first name", "forename"},
    {"child_surname", "Child's last name", "surname"},
    {"child_date_of_birth", "Child's date of birth", "date of birth"},
    {"stage", "Year group", "stage"},
    {"postcode", "Child's home postcode", "postcode"},
};

std::string FormatDate(absl::CivilDay day) { return absl::FormatCivilTime(day); }

// Reads the attempt that /link stored in its cookie: the StartLinkResponse,
// serialized and base64url-encoded. The service checks the attempt id
// against the account, so a changed cookie gains nothing.
bool ReadAttempt(const httplib::Request& request, link::StartLinkResponse* attempt) {
  absl::StatusOr<std::string> bytes =
      crypto::Base64UrlDecode(CookieValue(request, kLinkAttemptCookie));
  return bytes.ok() && attempt->ParseFromString(*bytes) && !attempt->attempt_id().empty();
}

bool HasChannel(const link::StartLinkResponse& attempt, const std::string& channel) {
  for (const link::CodeChannel& offered : attempt.channels()) {
    if (offered.channel() == channel) return true;
  }
  return false;
}

LinkCodeView CodeView(const link::StartLinkResponse& attempt, std::string sent_channel) {
  LinkCodeView view;
  view.channels.assign(attempt.channels().begin(), attempt.channels().end());
  view.sent_channel = std::move(sent_channel);
  return view;
}

}  // namespace

OnlineServices Gateway::OnlineServicesOf(const std::vector<link::Child>& children) {
  if (clients_.handoff == nullptr || children.empty()) return {};
  std::vector<std::string> seed_codes;
  for (const link::Child& child : children) seed_codes.push_back(child.seed_code());
  return online_services_.Find(*clients_.handoff, seed_codes);
}

void Gateway::GetHome(const Request& request, Response& response) {
  if (CookieValue(request, SessionCookie()).empty()) {
    SendPage(response, 200, WelcomePage(Context(request, response, nullptr)));
    return;
  }
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();

  link::ListLinksRequest list;
  list.set_account_id(account_id);
  absl::StatusOr<link::ListLinksResponse> links = clients_.links->ListLinks(list);
  if (!links.ok()) {
    SendServiceError(request, response, context, "ListLinks", links.status(), account_id);
    return;
  }
  HomeView view;
  view.children.assign(links->children().begin(), links->children().end());
  view.requests.assign(links->requests().begin(), links->requests().end());
  view.online_services = OnlineServicesOf(view.children);
  view.request_filed = FormField(request, "requested") == "1";
  view.unlinked = FormField(request, "unlinked") == "1";

  // One calendar per school, however many children go there, and the feed
  // token, all in one call.
  calendar::HomeCalendarRequest calendar_request;
  calendar_request.set_account_id(account_id);
  std::set<std::string> seen;
  absl::CivilDay today = Today();
  for (const link::Child& child : view.children) {
    if (!seen.insert(child.seed_code()).second) continue;
    calendar::ListEventsRequest* events_request = calendar_request.add_schools();
    events_request->set_seed_code(child.seed_code());
    events_request->set_from(FormatDate(today));
    events_request->set_to(FormatDate(today + kHomeEventDays));
    events_request->set_max_events(kHomeEventsPerSchool);
    SchoolEvents school;
    school.school_name = child.school_name();
    view.schools.push_back(std::move(school));
  }
  absl::StatusOr<calendar::HomeCalendar> home =
      clients_.calendar->GetHomeCalendar(calendar_request);
  if (home.ok() && home->schools_size() != static_cast<int>(view.schools.size())) {
    home = absl::InternalError(absl::StrCat("calendar returned ", home->schools_size(),
                                            " schools for ", view.schools.size(), " requested"));
  }

  // A calendar that cannot be read leaves the rest of the page working.
  if (home.ok()) {
    for (size_t i = 0; i < view.schools.size(); ++i) {
      const calendar::ListEventsResponse& events = home->schools(static_cast<int>(i));
      view.schools[i].events.assign(events.events().begin(), events.events().end());
    }
    view.feed = MakeFeedView(request, home->feed_token());
  } else {
    for (SchoolEvents& school : view.schools) school.unavailable = true;
    view.feed = MakeFeedView(request, home.status());
    log::Warning("calendar_unavailable")
        .Field("rpc", "GetHomeCalendar")
        .Field("code", absl::StatusCodeToString(home.status().code()))
        .Field("error", home.status().message())
        .Field("account", account_id);
  }
  SendPage(response, 200, HomePage(context, view));
}

std::optional<link::Child> Gateway::LinkedChildOrError(const Request& request, Response& response,
                                                       const PageContext& context,
                                                       const std::string& account_id) {
  // A child id is a token that link-verification made from [A-Za-z0-9_-].
  // Anything else is no child, and bytes that are not UTF-8 would fail in
  // the request's protobuf string field, so they never reach the service.
  std::string child_id = request.matches[1].str();
  bool id_shaped = !child_id.empty() && child_id.size() <= 64 &&
                   std::all_of(child_id.begin(), child_id.end(), [](unsigned char c) {
                     return absl::ascii_isalnum(c) || c == '_' || c == '-';
                   });
  if (!id_shaped) {
    SendServiceError(request, response, context, "GetChild", absl::NotFoundError(""), account_id);
    return std::nullopt;
  }
  link::GetChildRequest child_request;
  child_request.set_account_id(account_id);
  child_request.set_child_id(child_id);
  absl::StatusOr<link::Child> child = clients_.links->GetChild(child_request);
  if (!child.ok()) {
    absl::Status status = child.status();
    // A malformed id is an unknown page, like an id of another parent's child.
    if (status.code() == absl::StatusCode::kInvalidArgument) status = absl::NotFoundError("");
    SendServiceError(request, response, context, "GetChild", status, account_id);
    return std::nullopt;
  }
  return *std::move(child);
}

void Gateway::GetChild(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();

  std::optional<link::Child> child = LinkedChildOrError(request, response, context, account_id);
  if (!child.has_value()) return;

  ChildView view;
  view.child = *child;
  view.online_services = OnlineServicesOf({*child});
  calendar::ListEventsRequest events_request;
  events_request.set_seed_code(child->seed_code());
  events_request.set_from(FormatDate(Today()));
  events_request.set_to(FormatDate(Today() + kChildEventDays));
  absl::StatusOr<calendar::ListEventsResponse> events =
      clients_.calendar->ListEvents(events_request);
  if (events.ok()) {
    view.events.assign(events->events().begin(), events->events().end());
  } else {
    view.calendar_unavailable = true;
    log::Warning("calendar_unavailable")
        .Field("rpc", "ListEvents")
        .Field("code", absl::StatusCodeToString(events.status().code()))
        .Field("error", events.status().message())
        .Field("school", child->seed_code())
        .Field("account", account_id);
  }
  SendPage(response, 200, ChildPage(context, view));
}

void Gateway::GetLink(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  SendPage(response, 200, LinkPage(Context(request, response, &session), FormState{}));
}

void Gateway::PostLink(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  FormState form;
  for (const char* name :
       {"child_forename", "child_surname", "child_date_of_birth", "child_date_of_birth-day",
        "child_date_of_birth-month", "child_date_of_birth-year", "stage", "postcode"}) {
    form.values[name] = FormField(request, name);
  }

  for (const auto& [name, message] : kLinkRequired) {
    if (form.Get(name).empty()) form.AddError(name, message);
  }
  absl::StatusOr<std::string> date_of_birth =
      DateField(request, "child_date_of_birth", "child's date of birth");
  if (!date_of_birth.ok()) {
    form.AddError("child_date_of_birth", std::string(date_of_birth.status().message()));
  }

  // The parent comes from the session, never from the form.
  link::StartLinkRequest call;
  link::Parent* parent = call.mutable_parent();
  parent->set_account_id(session.account.account_id());
  parent->set_forename(session.account.forename());
  parent->set_surname(session.account.surname());
  parent->set_email(session.account.email());
  parent->set_postcode(session.account.postcode());
  call.set_child_forename(form.Get("child_forename"));
  call.set_child_surname(form.Get("child_surname"));
  call.set_child_date_of_birth(date_of_birth.ok() ? *date_of_birth : "");
  call.set_stage(form.Get("stage"));
  call.set_postcode(form.Get("postcode"));
  if (!form.errors.empty()) {
    // link-verification checks the other fields too, so that the page names
    // every mistake at once. The check reads no roster and uses none of the
    // parent's tries. If that call fails, the page names the ones found here.
    call.set_validate_only(true);
    absl::StatusOr<link::StartLinkResponse> checked = clients_.links->StartLink(call);
    if (checked.status().code() == absl::StatusCode::kInvalidArgument) {
      form.AddServiceError(checked.status().message(), kLinkFields, "child_forename");
    }
    form.SortErrors(kLinkFields);
    SendPage(response, 422, LinkPage(context, form));
    return;
  }
  absl::StatusOr<link::StartLinkResponse> attempt = clients_.links->StartLink(call);
  if (attempt.ok()) {
    CookieAttributes attributes;
    attributes.path = "/link";
    attributes.max_age = kLinkAttemptSeconds;
    SetCookie(response, kLinkAttemptCookie, crypto::Base64UrlEncode(attempt->SerializeAsString()),
              attributes);
    Redirect(response, "/link/code");
    return;
  }
  absl::StatusCode code = attempt.status().code();
  if (code == absl::StatusCode::kNotFound || IsFormError(code)) {
    // NOT_FOUND means the details did not match the roster, so the form is
    // shown again. A mismatch names no field, because it must not tell
    // which detail was wrong, and the daily limit is about no one field.
    if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kResourceExhausted) {
      form.AddError("", std::string(attempt.status().message()));
    } else {
      form.AddServiceError(attempt.status().message(), kLinkFields, "child_forename");
      form.SortErrors(kLinkFields);
    }
    SetRetryAfter(attempt.status(), response);
    SendPage(response, code == absl::StatusCode::kNotFound ? 422 : HttpStatusFor(code),
             LinkPage(context, form));
    return;
  }
  SendServiceError(request, response, context, "StartLink", attempt.status(),
                   session.account.account_id());
}

void Gateway::GetLinkCode(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  link::StartLinkResponse attempt;
  if (!ReadAttempt(request, &attempt)) {
    Redirect(response, "/link");
    return;
  }
  std::string sent = FormField(request, "sent");
  if (!HasChannel(attempt, sent)) sent.clear();
  SendPage(response, 200,
           LinkCodePage(Context(request, response, &session), CodeView(attempt, sent)));
}

void Gateway::PostLinkCode(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  link::StartLinkResponse attempt;
  if (!ReadAttempt(request, &attempt)) {
    Redirect(response, "/link");
    return;
  }
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();
  std::string sent = FormField(request, "sent");
  if (!HasChannel(attempt, sent)) sent.clear();

  absl::Status status;
  const char* rpc = "";
  if (request.has_param("code")) {
    // Second step: the code the parent received. `sent` only chooses the
    // form shown again on an error, so a script may leave it out.
    // A code copied from a message may keep a space or dash between its
    // halves, as "530 329".
    std::string code = FormField(request, "code");
    code.erase(std::remove_if(code.begin(), code.end(),
                              [](unsigned char c) { return absl::ascii_isspace(c) || c == '-'; }),
               code.end());
    if (code.empty()) {
      status = absl::InvalidArgumentError("Enter the security code we sent you.");
    } else {
      rpc = "ConfirmCode";
      link::ConfirmCodeRequest call;
      call.set_account_id(account_id);
      call.set_attempt_id(attempt.attempt_id());
      call.set_code(code);
      status = clients_.links->ConfirmCode(call).status();
      if (status.ok()) {
        ClearCookie(response, kLinkAttemptCookie, "/link");
        Redirect(response, "/?requested=1");
        return;
      }
    }
  } else {
    // First step: where to send the code.
    std::string channel = FormField(request, "channel");
    sent.clear();
    if (!HasChannel(attempt, channel)) {
      status = absl::InvalidArgumentError("Choose where to send the security code.");
    } else {
      rpc = "SendCode";
      link::SendCodeRequest call;
      call.set_account_id(account_id);
      call.set_attempt_id(attempt.attempt_id());
      call.set_channel(channel);
      status = clients_.links->SendCode(call).status();
      if (status.ok()) {
        Redirect(response, absl::StrCat("/link/code?sent=", channel));
        return;
      }
    }
  }

  // NOT_FOUND is an attempt that expired or was used up.
  if (status.code() == absl::StatusCode::kNotFound || IsFormError(status.code())) {
    LinkCodeView view = CodeView(attempt, sent);
    view.form.AddError(sent.empty() ? "channel" : "code", std::string(status.message()));
    SetRetryAfter(status, response);
    int http_status =
        status.code() == absl::StatusCode::kNotFound ? 422 : HttpStatusFor(status.code());
    SendPage(response, http_status, LinkCodePage(context, view));
    return;
  }
  SendServiceError(request, response, context, rpc, status, account_id);
}

void Gateway::GetUnlink(const Request& request, Response& response) {
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  std::optional<link::Child> child =
      LinkedChildOrError(request, response, context, session.account.account_id());
  if (!child.has_value()) return;
  SendPage(response, 200, UnlinkPage(context, *child, FormState{}));
}

void Gateway::PostUnlink(const Request& request, Response& response) {
  if (!CheckCsrf(request, response)) return;
  Session session;
  if (!RequireSession(request, response, &session)) return;
  PageContext context = Context(request, response, &session);
  const std::string& account_id = session.account.account_id();
  std::optional<link::Child> child = LinkedChildOrError(request, response, context, account_id);
  if (!child.has_value()) return;

  FormState form;
  form.values["reason"] = FormField(request, "reason");
  if (form.Get("reason").size() > kMaxUnlinkReasonBytes) {
    form.AddError("reason", absl::StrCat("Write the reason in ", kMaxUnlinkReasonBytes,
                                         " characters or fewer"));
    SendPage(response, 422, UnlinkPage(context, *child, form));
    return;
  }
  link::UnlinkRequest call;
  call.set_account_id(account_id);
  call.set_child_id(child->child_id());
  call.set_reason(form.Get("reason"));
  absl::StatusOr<link::UnlinkResponse> unlinked = clients_.links->Unlink(call);
  if (!unlinked.ok()) {
    SendServiceError(request, response, context, "Unlink", unlinked.status(), account_id);
    return;
  }
  Redirect(response, "/?unlinked=1");
}

}  // namespace pp::gateway
