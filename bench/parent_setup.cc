#include "parent_setup.h"

#include <grpcpp/client_context.h>

#include <filesystem>
#include <regex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "csv.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "server/server.h"
#include "testing/temp_dir.h"

namespace pp::bench {
namespace {

namespace calendar = parentsportal::calendar::v1;
namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;

constexpr char kPassword[] = "a long benchmark passphrase";

absl::Status Failed(const std::string& call, const grpc::Status& status) {
  return absl::Status(FromGrpcStatus(status).code(),
                      absl::StrCat(call, " failed: ", status.error_message()));
}

// Returns the first capture of `pattern` in a delivered message addressed
// to `recipient`. Delivery runs in the background, so this waits up to 20
// seconds.
absl::StatusOr<std::string> FindInOutbox(const std::string& outbox, const std::string& recipient,
                                         const std::string& pattern) {
  std::regex expression(pattern);
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    if (std::filesystem::exists(outbox)) {
      for (const auto& entry : std::filesystem::directory_iterator(outbox)) {
        std::string text = ReadFile(entry.path().string());
        std::smatch match;
        if (text.find(recipient) != std::string::npos &&
            std::regex_search(text, match, expression)) {
          return match[1].str();
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (absl::Now() < deadline);
  return absl::NotFoundError(absl::StrCat("no message matching \"", pattern, "\" in ", outbox));
}

// An iCalendar document of `count` one-hour events, one a day from 30 days
// ago, so that the home page's coming weeks hold some of them.
std::string CalendarOfEvents(int count) {
  std::string ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Parents Portal bench//EN\r\n";
  absl::Time first = absl::Now() - absl::Hours(24 * 30);
  for (int i = 0; i < count; ++i) {
    absl::Time start = first + absl::Hours(24 * i);
    std::string day = absl::FormatTime("%Y%m%d", start, absl::UTCTimeZone());
    absl::StrAppend(&ics, "BEGIN:VEVENT\r\nUID:event-", i,
                    "@bench.test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:", day,
                    "T090000Z\r\nDTEND:", day, "T100000Z\r\nSUMMARY:School event number ", i,
                    "\r\nLOCATION:Main hall\r\nDESCRIPTION:Parents are welcome\\, as always.\r\n"
                    "END:VEVENT\r\n");
  }
  return ics + "END:VCALENDAR\r\n";
}

absl::StatusOr<std::string> SignIn(identity::Identity::Stub& stub, const std::string& email,
                                   const std::string& password, bool* must_change,
                                   std::string* account_id) {
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  identity::SignInRequest request;
  request.set_username(email);
  request.set_password(password);
  request.set_client_address("127.0.0.1");
  identity::SignInResponse response;
  grpc::Status status = stub.SignIn(&context, request, &response);
  if (!status.ok()) return Failed("SignIn", status);
  *must_change = response.must_change_password();
  *account_id = response.account().account_id();
  return response.session_token();
}

absl::StatusOr<SignedInParent> Register(const Portal& portal, const std::string& email,
                                        const link::Parent& details) {
  auto stub = identity::Identity::NewStub(MakeChannel(portal.Addresses("identity").grpc));
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    identity::RegisterRequest request;
    request.set_forename(details.forename());
    request.set_surname(details.surname());
    request.set_email(email);
    request.set_postcode(details.postcode());
    request.set_gender("prefer-not-to-say");
    request.set_date_of_birth("1984-03-09");
    request.set_client_address("127.0.0.1");
    identity::RegisterResponse response;
    grpc::Status status = stub->Register(&context, request, &response);
    if (!status.ok()) return Failed("Register", status);
  }
  absl::StatusOr<std::string> one_time_password =
      FindInOutbox(portal.OutboxDir(), email, "One-time password: (\\S+)");
  if (!one_time_password.ok()) return one_time_password.status();

  SignedInParent parent;
  parent.email = email;
  parent.password = kPassword;
  bool must_change = false;
  absl::StatusOr<std::string> session =
      SignIn(*stub, email, *one_time_password, &must_change, &parent.account_id);
  if (!session.ok()) return session.status();

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(10));
  identity::ChangePasswordRequest request;
  request.set_session_token(*session);
  request.set_current_password(*one_time_password);
  request.set_new_password(kPassword);
  identity::ChangePasswordResponse response;
  grpc::Status status = stub->ChangePassword(&context, request, &response);
  if (!status.ok()) return Failed("ChangePassword", status);
  parent.session_token = response.session_token();
  return parent;
}

}  // namespace

absl::StatusOr<std::vector<link::StartLinkRequest>> MatchingStartRequests(
    const std::vector<SchoolExport>& schools, int max_requests) {
  std::vector<link::StartLinkRequest> requests;
  size_t per_school = std::max<size_t>(1, max_requests / schools.size() + 1);
  for (const SchoolExport& school : schools) {
    absl::StatusOr<schoolctl::CsvTable> pupils = schoolctl::ParseCsv(school.pupils_csv);
    if (!pupils.ok()) return pupils.status();
    absl::StatusOr<schoolctl::CsvTable> contacts = schoolctl::ParseCsv(school.contacts_csv);
    if (!contacts.ok()) return contacts.status();
    std::map<std::string, const schoolctl::CsvRecord*> pupil_by_ref;
    for (const schoolctl::CsvRecord& pupil : pupils->records) {
      pupil_by_ref[pupils->Value(pupil, "pupil_ref")] = &pupil;
    }
    size_t taken = 0;
    for (const schoolctl::CsvRecord& contact : contacts->records) {
      if (taken == per_school || static_cast<int>(requests.size()) == max_requests) break;
      auto pupil = pupil_by_ref.find(contacts->Value(contact, "pupil_ref"));
      if (pupil == pupil_by_ref.end()) continue;
      if (contacts->Value(contact, "parental_responsibility") != "Y") continue;
      if (contacts->Value(contact, "email").empty()) continue;
      link::StartLinkRequest request;
      link::Parent* parent = request.mutable_parent();
      parent->set_forename(contacts->Value(contact, "forename"));
      parent->set_surname(contacts->Value(contact, "surname"));
      parent->set_postcode(contacts->Value(contact, "postcode"));
      parent->set_email(contacts->Value(contact, "email"));
      const schoolctl::CsvRecord& child = *pupil->second;
      request.set_child_forename(pupils->Value(child, "forename"));
      request.set_child_surname(pupils->Value(child, "surname"));
      request.set_child_date_of_birth(pupils->Value(child, "date_of_birth"));
      request.set_stage(pupils->Value(child, "stage"));
      request.set_postcode(pupils->Value(child, "postcode"));
      requests.push_back(request);
      ++taken;
    }
  }
  if (requests.empty()) {
    return absl::InvalidArgumentError(
        "the roster contains no contact with parental responsibility and an email address");
  }
  return requests;
}

absl::StatusOr<SignedInParent> RegisterAccount(const Portal& portal, const std::string& email) {
  link::Parent details;
  details.set_forename("Morag");
  details.set_surname("Bench");
  details.set_postcode("PH1 8NR");
  return Register(portal, email, details);
}

absl::StatusOr<SignedInParent> SetUpLinkedParent(const Portal& portal,
                                                 const link::StartLinkRequest& start,
                                                 const std::string& seed_code,
                                                 const std::string& token, int calendar_events) {
  // The parent registers with their own address, not the one the school holds.
  absl::StatusOr<SignedInParent> parent =
      Register(portal, "linked.parent@example.net", start.parent());
  if (!parent.ok()) return parent.status();

  auto links = link::Links::NewStub(MakeChannel(portal.Addresses("link-verification").grpc));
  link::StartLinkRequest request = start;
  request.mutable_parent()->set_account_id(parent->account_id);
  request.mutable_parent()->set_email(parent->email);
  link::StartLinkResponse started;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    grpc::Status status = links->StartLink(&context, request, &started);
    if (!status.ok()) return Failed("StartLink", status);
  }
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    link::SendCodeRequest send;
    send.set_account_id(parent->account_id);
    send.set_attempt_id(started.attempt_id());
    send.set_channel("email");
    link::SendCodeResponse sent;
    grpc::Status status = links->SendCode(&context, send, &sent);
    if (!status.ok()) return Failed("SendCode", status);
  }
  absl::StatusOr<std::string> code =
      FindInOutbox(portal.OutboxDir(), start.parent().email(), "Security code: ([0-9]{6})");
  if (!code.ok()) return code.status();
  link::ConfirmCodeResponse confirmed;
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    link::ConfirmCodeRequest confirm;
    confirm.set_account_id(parent->account_id);
    confirm.set_attempt_id(started.attempt_id());
    confirm.set_code(*code);
    grpc::Status status = links->ConfirmCode(&context, confirm, &confirmed);
    if (!status.ok()) return Failed("ConfirmCode", status);
  }

  auto records =
      link::SchoolRecords::NewStub(MakeChannel(portal.Addresses("link-verification").grpc));
  {
    grpc::ClientContext context;
    SetDeadline(context, absl::Seconds(10));
    context.AddMetadata("authorization", "Bearer " + token);
    link::DecideLinkRequestRequest decide;
    decide.set_request_id(confirmed.request_id());
    decide.set_decision(link::DecideLinkRequestRequest::APPROVE);
    decide.set_decided_by("benchmark");
    link::LinkRequest decided;
    grpc::Status status = records->DecideLinkRequest(&context, decide, &decided);
    if (!status.ok()) return Failed("DecideLinkRequest", status);
  }
  parent->seed_code = seed_code;

  auto school_calendar =
      calendar::SchoolCalendar::NewStub(MakeChannel(portal.Addresses("calendar").grpc));
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  context.AddMetadata("authorization", "Bearer " + token);
  calendar::ImportCalendarRequest import;
  import.set_seed_code(seed_code);
  import.set_ics(CalendarOfEvents(calendar_events));
  calendar::ImportCalendarSummary summary;
  grpc::Status status = school_calendar->ImportCalendar(&context, import, &summary);
  if (!status.ok()) return Failed("ImportCalendar", status);
  if (summary.events_imported() != calendar_events) {
    return absl::InternalError(absl::StrCat("ImportCalendar imported ", summary.events_imported(),
                                            " of ", calendar_events, " events"));
  }
  return parent;
}

}  // namespace pp::bench
