#include "commands.h"

#include <grpcpp/client_context.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "csv.h"
#include "parentsportal/calendar.grpc.pb.h"
#include "parentsportal/identity.grpc.pb.h"
#include "parentsportal/link.grpc.pb.h"
#include "roster.h"
#include "server/server.h"
#include "text/escape.h"
#include "text/utf8.h"

namespace pp::schoolctl {
namespace {

namespace calendar = parentsportal::calendar::v1;
namespace identity = parentsportal::identity::v1;
namespace link = parentsportal::link::v1;

absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  // A folder opens as a stream that reads nothing, so it is named first.
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read ", path, ": it is a folder, not a file; give the file's path"));
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int reason = errno;
    std::string message = absl::StrCat("cannot read ", path);
    if (reason != 0) absl::StrAppend(&message, ": ", std::strerror(reason));
    if (reason == ENOENT) return absl::NotFoundError(message);
    if (reason == EACCES || reason == EPERM) return absl::PermissionDeniedError(message);
    return absl::InvalidArgumentError(message);
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) {
    return absl::DataLossError(
        absl::StrCat("cannot read ", path, ": the read failed part way through"));
  }
  return contents.str();
}

// Reads an .ics file and checks what the calendar service would reject
// without a useful message: a file over its size limit ends the call in
// gRPC, and bytes that are not UTF-8 make the request unreadable.
absl::StatusOr<std::string> ReadCalendarFile(const std::string& path) {
  absl::StatusOr<std::string> ics = ReadWholeFile(path);
  if (!ics.ok()) return ics.status();
  if (ics->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("nothing was sent: ", path, " is empty (0 bytes); export the calendar again"));
  }
  if (ics->size() > kMaxCalendarBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("nothing was sent: ", path, " is ", ics->size(),
                     " bytes, more than the calendar service's limit of ", kMaxCalendarBytes,
                     " bytes (5 MiB); export fewer events, for example only this year's, and "
                     "import again"));
  }
  if (const size_t invalid = text::FindInvalidUtf8(*ics); invalid != std::string::npos) {
    const auto line = std::count(ics->begin(), ics->begin() + invalid, '\n') + 1;
    return absl::InvalidArgumentError(absl::StrCat(
        "nothing was sent: ", path, " is not UTF-8, as iCalendar requires (line ", line,
        " has the byte 0x", absl::Hex(static_cast<unsigned char>((*ics)[invalid]), absl::kZeroPad2),
        ", which UTF-8 does not allow there); save the file as UTF-8 and import "
        "again"));
  }
  return ics;
}

void Prepare(grpc::ClientContext& context, const Connection& connection) {
  SetDeadline(context, absl::Seconds(connection.timeout_seconds));
  context.AddMetadata("authorization", "Bearer " + connection.token);
}

// Adds the address to a failure, because "connection refused" alone does
// not say which service was down.
absl::Status CallFailed(const grpc::Status& status, const std::string& address) {
  absl::Status converted = FromGrpcStatus(status);
  if (status.error_message().empty()) {
    return absl::Status(converted.code(), absl::StrCat(address, " failed the call with ",
                                                       absl::StatusCodeToString(converted.code()),
                                                       " and no message"));
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::Status(converted.code(),
                        absl::StrCat("no answer from ", address, ": ", status.error_message(),
                                     " (is the service running?)"));
  }
  return converted;
}

absl::StatusOr<link::LinkRequestState> ParseState(const std::string& state) {
  std::string lower = absl::AsciiStrToLower(state);
  if (lower.empty() || lower == "all") return link::LINK_REQUEST_STATE_UNSPECIFIED;
  if (lower == "pending") return link::PENDING;
  if (lower == "approved") return link::APPROVED;
  if (lower == "rejected") return link::REJECTED;
  if (lower == "expired") return link::EXPIRED;
  if (lower == "ended") return link::ENDED;
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid --state \"", state, "\": use pending, approved, rejected, expired, ended or all"));
}

void AddConfirmations(grpc::ClientContext& context, const Connection& connection) {
  const std::pair<const char*, int> confirmations[] = {
      {"x-pp-confirm-leavers", connection.confirm_leavers},
      {"x-pp-confirm-contacts-removed", connection.confirm_contacts_removed},
      {"x-pp-confirm-links-ended", connection.confirm_links_ended},
      {"x-pp-confirm-holds-lifted", connection.confirm_holds_lifted}};
  for (const auto& [key, number] : confirmations) {
    if (number > 0) context.AddMetadata(key, std::to_string(number));
  }
}

// Sends the records with SyncRosterRows, or one by one with SyncRoster to a
// link-verification older than SyncRosterRows.
absl::StatusOr<link::SyncRosterSummary> SendRoster(const Connection& connection,
                                                   const std::vector<link::RosterRecord>& records) {
  auto stub = link::SchoolRecords::NewStub(MakeChannel(connection.link_address));
  link::SyncRosterSummary summary;
  {
    grpc::ClientContext context;
    Prepare(context, connection);
    AddConfirmations(context, connection);
    std::unique_ptr<grpc::ClientWriter<link::RosterRows>> writer =
        stub->SyncRosterRows(&context, &summary);
    WriteRoster(*writer, records);
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (status.ok()) return summary;
    if (status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      return CallFailed(status, connection.link_address);
    }
  }

  grpc::ClientContext context;
  Prepare(context, connection);
  AddConfirmations(context, connection);
  std::unique_ptr<grpc::ClientWriter<link::RosterRecord>> writer =
      stub->SyncRoster(&context, &summary);
  for (const link::RosterRecord& record : records) {
    if (!writer->Write(record)) break;
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  if (!status.ok()) return CallFailed(status, connection.link_address);
  return summary;
}

std::string StateName(link::LinkRequestState state) {
  std::string name = link::LinkRequestState_Name(state);
  return absl::AsciiStrToLower(name);
}

}  // namespace

absl::Status IssueToken(const Connection& connection, const std::string& operator_token_file,
                        std::ostream& out) {
  auto stub = identity::Identity::NewStub(MakeChannel(connection.identity_address));
  grpc::ClientContext context;
  Prepare(context, connection);
  identity::IssueSchoolTokenRequest request;
  request.set_seed_code(connection.seed_code);
  identity::IssueSchoolTokenResponse response;
  grpc::Status status = stub->IssueSchoolToken(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !connection.token.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "identity at ", connection.identity_address, " rejected the operator token in ",
        operator_token_file, ": ", status.error_message(), ". Check that the file is the ",
        "operator-token file in the data folder of the identity service at that address"));
  }
  if (!status.ok()) return CallFailed(status, connection.identity_address);
  out << response.token() << "\n";
  return absl::OkStatus();
}

absl::Status CheckConfirmations(const Connection& connection) {
  const std::pair<const char*, int> confirmations[] = {
      {"--confirm_leavers", connection.confirm_leavers},
      {"--confirm_contacts_removed", connection.confirm_contacts_removed},
      {"--confirm_links_ended", connection.confirm_links_ended},
      {"--confirm_holds_lifted", connection.confirm_holds_lifted},
      {"--confirm_events_removed", connection.confirm_events_removed}};
  for (const auto& [flag, number] : confirmations) {
    if (number < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", flag, " ", number,
                       ": give the number the rejected command printed, or leave it out"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRequestState(const std::string& state) { return ParseState(state).status(); }

absl::Status CheckDecision(const std::string& decision) {
  if (decision == "approve" || decision == "reject") return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid decision \"", decision, "\": use approve or reject"));
}

absl::Status SyncRoster(const Connection& connection, const std::string& pupils_path,
                        const std::string& contacts_path, std::ostream& out, bool* rows_rejected) {
  if (absl::Status checked = CheckConfirmations(connection); !checked.ok()) return checked;
  absl::StatusOr<std::string> pupils_text = ReadWholeFile(pupils_path);
  if (!pupils_text.ok()) return pupils_text.status();
  absl::StatusOr<std::string> contacts_text = ReadWholeFile(contacts_path);
  if (!contacts_text.ok()) return contacts_text.status();
  absl::StatusOr<CsvTable> pupils = ParseCsv(*pupils_text);
  if (!pupils.ok())
    return absl::InvalidArgumentError(absl::StrCat(pupils_path, ": ", pupils.status().message()));
  absl::StatusOr<CsvTable> contacts = ParseCsv(*contacts_text);
  if (!contacts.ok())
    return absl::InvalidArgumentError(
        absl::StrCat(contacts_path, ": ", contacts.status().message()));
  absl::StatusOr<RosterRecords> roster =
      BuildRosterRecords(*pupils, *contacts, connection.seed_code);
  if (!roster.ok()) return roster.status();

  // A row read wrongly could hide a safeguarding hold or name the wrong
  // pupil, so the service would not be able to keep it as before. A row too
  // large to send would end the call part way.
  if (!roster->unreadable.empty() || !roster->too_large.empty()) {
    for (const std::vector<UnsentRow>* rows : {&roster->unreadable, &roster->too_large}) {
      for (const UnsentRow& row : *rows) {
        out << (row.file == "contacts" ? contacts_path : pupils_path) << " row " << row.row << ": "
            << EscapeControlCharacters(row.reason) << "\n";
      }
    }
    std::vector<std::string> problems;
    if (const size_t count = roster->unreadable.size(); count > 0) {
      problems.push_back(
          absl::StrCat(count, count == 1 ? " row" : " rows", " could not be read as CSV"));
    }
    if (const size_t count = roster->too_large.size(); count > 0) {
      problems.push_back(
          absl::StrCat(count, count == 1 ? " row is" : " rows are", " too large to send"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("nothing was sent: ", absl::StrJoin(problems, " and "),
                     " (listed above); correct the export and sync again"));
  }

  // Without a pupil row the service would reject the sync. The likely cause
  // is an empty export, or a --school that is not the exports' SEED code.
  if (pupils->records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("nothing was sent: ", pupils_path,
                     " has a header but no pupil rows; export the pupils again"));
  }
  // A roster without contacts would remove every contact, and no parent
  // could link, so a contacts file with only its header is an export that
  // went wrong.
  if (contacts->records.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("nothing was sent: ", contacts_path,
                     " has a header but no contact rows; export the contacts again"));
  }
  const bool has_pupil =
      std::any_of(roster->records.begin(), roster->records.end(),
                  [](const link::RosterRecord& record) { return record.has_pupil(); });
  if (!has_pupil) {
    const int others = roster->other_school_pupil_rows;
    return absl::InvalidArgumentError(absl::StrCat(
        "nothing was sent: no row of ", pupils_path, " has seed_code ", connection.seed_code, " (",
        others, others == 1 ? " pupil row is" : " pupil rows are",
        " of other schools); the SEED code in --school may be wrong"));
  }

  absl::StatusOr<link::SyncRosterSummary> summary = SendRoster(connection, roster->records);
  if (!summary.ok()) return summary.status();

  const std::pair<const char*, int> counts[] = {
      {"pupils loaded", summary->pupils_loaded()},
      {"contacts loaded", summary->contacts_loaded()},
      {"pupils added", summary->pupils_added()},
      {"pupils changed", summary->pupils_changed()},
      {"pupils marked as left", summary->pupils_left()},
      {"contacts added", summary->contacts_added()},
      {"contacts changed", summary->contacts_changed()},
      {"contacts removed", summary->contacts_removed()},
      {"links ended", summary->links_ended()},
      {"requests closed", summary->requests_closed()},
      {"safeguarding holds lifted", summary->holds_lifted()}};
  if (summary->matched_last_sync()) {
    out << "The rows are the same as in the last sync, so the service did not read them again.\n";
  }
  for (const auto& [name, count] : counts) out << name << ": " << count << "\n";
  if (roster->other_school_rows > 0) {
    out << "rows of other schools, not sent: " << roster->other_school_rows << "\n";
  }
  for (const std::string& ignored : roster->ignored_columns) {
    out << "column not read, check its name if it should be: " << EscapeControlCharacters(ignored)
        << "\n";
  }
  for (const link::RowError& error : summary->errors()) {
    std::string path = error.file() == "contacts" ? contacts_path : pupils_path;
    out << path << " row " << error.row() << ": " << EscapeControlCharacters(error.reason());
    if (error.kept_as_before()) out << " (kept as before because the row was rejected)";
    out << "\n";
  }
  *rows_rejected = summary->errors_size() > 0;
  return absl::OkStatus();
}

namespace {

// Prints a request's line for `requests` and `history`.
void PrintRequest(const link::LinkRequest& item, std::ostream& out) {
  out << item.request_id() << "\t" << StateName(item.state()) << "\tpupil " << item.pupil_ref()
      << " " << item.pupil_name() << "\tcontact " << item.contact_ref() << " "
      << item.contact_name() << "\trequested " << item.created_at() << "\tdecide by "
      << item.decide_by();
  // A decided or ended request shows its last decision: when, who and why.
  if (!item.decided_at().empty()) {
    out << "\tclosed " << item.decided_at();
    if (!item.decided_by().empty()) out << " by " << EscapeControlCharacters(item.decided_by());
    if (!item.reason().empty()) out << "\treason " << EscapeControlCharacters(item.reason());
  }
  out << "\n";
}

// Calls `each` with every request of the school in `state`, following every
// page, until it returns false.
absl::Status ForEachRequest(const Connection& connection, link::LinkRequestState state,
                            const std::function<bool(const link::LinkRequest&)>& each) {
  auto stub = link::SchoolRecords::NewStub(MakeChannel(connection.link_address));
  link::ListLinkRequestsRequest request;
  request.set_state(state);
  request.set_page_size(500);
  request.set_seed_code(connection.seed_code);
  do {
    grpc::ClientContext context;
    Prepare(context, connection);
    link::ListLinkRequestsResponse response;
    grpc::Status status = stub->ListLinkRequests(&context, request, &response);
    if (!status.ok()) return CallFailed(status, connection.link_address);
    for (const link::LinkRequest& item : response.requests()) {
      if (!each(item)) return absl::OkStatus();
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return absl::OkStatus();
}

}  // namespace

absl::Status ListRequests(const Connection& connection, const std::string& state,
                          std::ostream& out) {
  absl::StatusOr<link::LinkRequestState> wanted = ParseState(state);
  if (!wanted.ok()) return wanted.status();
  int listed = 0;
  absl::Status status = ForEachRequest(connection, *wanted, [&](const link::LinkRequest& item) {
    PrintRequest(item, out);
    ++listed;
    return true;
  });
  if (!status.ok()) return status;

  // An empty output would look like a failure, or like the wrong filter.
  if (listed == 0) {
    if (*wanted == link::LINK_REQUEST_STATE_UNSPECIFIED) {
      out << "No requests.\n";
    } else {
      out << "No " << StateName(*wanted) << " requests.\n";
    }
  }
  return absl::OkStatus();
}

absl::Status ShowHistory(const Connection& connection, const std::string& request_id,
                         std::ostream& out) {
  std::optional<link::LinkRequest> found;
  absl::Status status = ForEachRequest(connection, link::LINK_REQUEST_STATE_UNSPECIFIED,
                                       [&](const link::LinkRequest& item) {
                                         if (item.request_id() != request_id) return true;
                                         found = item;
                                         return false;
                                       });
  if (!status.ok()) return status;
  if (!found.has_value()) {
    return absl::NotFoundError(absl::StrCat("school ", connection.seed_code,
                                            " has no link request ", request_id,
                                            "; schoolctl requests --state all lists them"));
  }
  PrintRequest(*found, out);
  for (const link::LinkEvent& event : found->history()) {
    out << "\t" << event.at() << "\t" << event.action() << "\tby "
        << EscapeControlCharacters(event.actor());
    if (!event.reason().empty()) out << "\treason " << EscapeControlCharacters(event.reason());
    out << "\n";
  }
  return absl::OkStatus();
}

namespace {

// Makes `call`, a SchoolRecords call that returns the changed link request,
// and prints the request's id and new state.
template <typename Call>
absl::Status ChangeRequest(const Connection& connection, std::ostream& out, Call call) {
  auto stub = link::SchoolRecords::NewStub(MakeChannel(connection.link_address));
  grpc::ClientContext context;
  Prepare(context, connection);
  link::LinkRequest response;
  grpc::Status status = call(*stub, context, response);
  if (!status.ok()) return CallFailed(status, connection.link_address);
  out << response.request_id() << "\t" << StateName(response.state()) << "\n";
  return absl::OkStatus();
}

}  // namespace

absl::Status Decide(const Connection& connection, const std::string& request_id,
                    const std::string& decision, const std::string& decided_by,
                    const std::string& reason, std::ostream& out) {
  if (absl::Status checked = CheckDecision(decision); !checked.ok()) return checked;
  link::DecideLinkRequestRequest request;
  request.set_request_id(request_id);
  request.set_decision(decision == "approve" ? link::DecideLinkRequestRequest::APPROVE
                                             : link::DecideLinkRequestRequest::REJECT);
  request.set_decided_by(decided_by);
  request.set_reason(reason);
  request.set_seed_code(connection.seed_code);
  return ChangeRequest(connection, out, [&](auto& stub, auto& context, auto& response) {
    return stub.DecideLinkRequest(&context, request, &response);
  });
}

absl::Status Revoke(const Connection& connection, const std::string& request_id,
                    const std::string& revoked_by, const std::string& reason, std::ostream& out) {
  link::RevokeLinkRequest request;
  request.set_request_id(request_id);
  request.set_revoked_by(revoked_by);
  request.set_reason(reason);
  request.set_seed_code(connection.seed_code);
  return ChangeRequest(connection, out, [&](auto& stub, auto& context, auto& response) {
    return stub.RevokeLink(&context, request, &response);
  });
}

absl::Status ListNearMisses(const Connection& connection, std::ostream& out) {
  auto stub = link::SchoolRecords::NewStub(MakeChannel(connection.link_address));
  link::ListMatchFailuresRequest request;
  request.set_page_size(500);
  request.set_seed_code(connection.seed_code);
  int listed = 0;
  do {
    grpc::ClientContext context;
    Prepare(context, connection);
    link::ListMatchFailuresResponse response;
    grpc::Status status = stub->ListMatchFailures(&context, request, &response);
    if (!status.ok()) return CallFailed(status, connection.link_address);
    listed += response.failures_size();
    for (const link::MatchFailure& failure : response.failures()) {
      out << failure.at() << "\tpupil " << failure.pupil_ref() << " " << failure.pupil_name()
          << "\tcontact " << failure.contact_ref() << " " << failure.contact_name() << "\t"
          << absl::StrJoin(failure.reasons(), ",") << "\n";
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());

  // An empty output would look like a failure.
  if (listed == 0) out << "No near misses.\n";
  return absl::OkStatus();
}

absl::Status SetContact(const Connection& connection, const std::string& email, std::ostream& out) {
  link::SetSchoolContactRequest request;
  request.set_email(email);
  request.set_seed_code(connection.seed_code);

  auto stub = link::SchoolRecords::NewStub(MakeChannel(connection.link_address));
  grpc::ClientContext context;
  Prepare(context, connection);
  link::SchoolContact response;
  grpc::Status status = stub->SetSchoolContact(&context, request, &response);
  if (!status.ok()) return CallFailed(status, connection.link_address);
  if (response.email().empty()) {
    out << "school contact removed: no reminders will be sent\n";
  } else {
    out << "school contact: " << response.email() << "\n";
  }
  return absl::OkStatus();
}

absl::Status ImportCalendar(const Connection& connection, const std::string& ics_path,
                            const CalendarChoices& choices, std::ostream& out) {
  if (absl::Status checked = CheckConfirmations(connection); !checked.ok()) return checked;
  absl::StatusOr<std::string> ics = ReadCalendarFile(ics_path);
  if (!ics.ok()) return ics.status();
  calendar::ImportCalendarRequest request;
  request.set_seed_code(connection.seed_code);
  request.set_ics(*ics);
  request.mutable_category_map()->insert(choices.category_map.begin(), choices.category_map.end());
  request.set_default_category(choices.default_category);
  request.set_confirm_events_removed(connection.confirm_events_removed);

  auto stub = calendar::SchoolCalendar::NewStub(MakeChannel(connection.calendar_address));
  grpc::ClientContext context;
  Prepare(context, connection);
  calendar::ImportCalendarSummary summary;
  grpc::Status status = stub->ImportCalendar(&context, request, &summary);
  if (!status.ok()) return CallFailed(status, connection.calendar_address);
  // An import replaces the school's whole calendar, so the output counts
  // what it removed as well as what it added.
  out << "events imported: " << summary.events_imported() << "\n"
      << "events skipped: " << summary.events_skipped() << "\n"
      << "calendar replaced, counted by UID: " << summary.uids_added() << " added, "
      << summary.uids_changed() << " changed, " << summary.uids_removed() << " removed, "
      << summary.uids_unchanged() << " unchanged\n";
  for (const std::string& warning : summary.warnings()) out << "warning: " << warning << "\n";
  return absl::OkStatus();
}

}  // namespace pp::schoolctl
