// The commands of schoolctl, each a gRPC call (or a stream of them) to a
// service, printing what a member of school staff needs to see.
#ifndef PP_SCHOOLCTL_COMMANDS_H_
#define PP_SCHOOLCTL_COMMANDS_H_

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "calendar_choices.h"

namespace pp::schoolctl {

struct Connection {
  std::string identity_address;
  std::string link_address;
  std::string calendar_address;
  // The school-system token, or for `admin` commands the operator token.
  std::string token;
  std::string seed_code;
  int timeout_seconds = 30;
  // sync-roster: the confirmed numbers of pupils marked as left, contacts
  // removed, approved links ended and safeguarding holds lifted.
  // SchoolRecordsService::ApplyRoster defines when each is needed.
  int confirm_leavers = 0;
  int confirm_contacts_removed = 0;
  int confirm_links_ended = 0;
  int confirm_holds_lifted = 0;
  // import-calendar: the confirmed number of stored events, counted by
  // UID, that the import removes. CheckRemovalConfirmed in the calendar
  // service defines when it is needed.
  int confirm_events_removed = 0;
};

// Exit codes: 0 done, 1 failed, 2 usage error, 3 done but some rows were
// rejected (a roster sync with row errors).
constexpr int kExitRowsRejected = 3;

// The checks of the command line that main runs before any call, so that a
// mistyped value is a usage error (exit code 2). Each returns
// InvalidArgument with a message naming the value and the accepted ones.

// Checks that no confirmation number of sync-roster or import-calendar is
// negative.
absl::Status CheckConfirmations(const Connection& connection);

// Checks that `state` is one ListRequests takes.
absl::Status CheckRequestState(const std::string& state);

// Checks that `decision` is one Decide takes.
absl::Status CheckDecision(const std::string& decision);

// Prints a new school-system token for `connection.seed_code`, sending
// `connection.token` as the operator token read from `operator_token_file`.
// When identity rejects a token, the error names the file and identity's
// address, because the usual cause is the file of another copy of the suite.
absl::Status IssueToken(const Connection& connection, const std::string& operator_token_file,
                        std::ostream& out);

// Sends the school's rows of both files as one full sync and prints the
// summary: counts of what changed, then each rejected row, marked when its
// pupil or contact was kept as before. Uses SyncRoster when the service
// predates SyncRosterRows. Sets `rows_rejected` when the service rejected
// any row.
absl::Status SyncRoster(const Connection& connection, const std::string& pupils_path,
                        const std::string& contacts_path, std::ostream& out, bool* rows_rejected);

// Prints one line per link request, its id first, following every page.
// `state` is "pending", "approved", "rejected", "expired", "ended", or "all"
// or "" for every state, in any case.
absl::Status ListRequests(const Connection& connection, const std::string& state,
                          std::ostream& out);

// Prints one request's line as ListRequests does, then one line for each
// event in its history, oldest first: a tab, the time, the action, who, and
// the reason when there is one. NotFound when the school has no request
// with that id.
absl::Status ShowHistory(const Connection& connection, const std::string& request_id,
                         std::ostream& out);

// Approves or rejects one request. `decision` is "approve" or "reject".
absl::Status Decide(const Connection& connection, const std::string& request_id,
                    const std::string& decision, const std::string& decided_by,
                    const std::string& reason, std::ostream& out);

// Ends one approved link, named by its request's id, and prints its new state.
absl::Status Revoke(const Connection& connection, const std::string& request_id,
                    const std::string& revoked_by, const std::string& reason, std::ostream& out);

// Prints one line per near miss of the last 30 days, newest first: a parent
// who matched one of the school's contacts but not the child's details, or
// who lacks parental responsibility, with the reason codes.
absl::Status ListNearMisses(const Connection& connection, std::ostream& out);

// Sets the email address the school is reminded at about link requests
// waiting for its decision. An empty `email` removes it.
absl::Status SetContact(const Connection& connection, const std::string& email, std::ostream& out);

// The largest .ics file ImportCalendar sends. It mirrors the calendar
// service's limit, pp::calendar::kMaxDocumentBytes, because schoolctl does
// not link the service's parser. A test checks that the two are equal.
inline constexpr size_t kMaxCalendarBytes = 5 * 1024 * 1024;

// Replaces the school's calendar with the events of an .ics file, the
// school's category `choices` deciding the kind of each event. Fails with
// InvalidArgument, sending nothing, when the file is larger than
// kMaxCalendarBytes or not UTF-8, which RFC 5545 requires, and when the
// path is a folder or an empty file. Sends `connection.confirm_events_removed`
// with the request, so that the service applies an import that removes
// most of the school's events.
absl::Status ImportCalendar(const Connection& connection, const std::string& ics_path,
                            const CalendarChoices& choices, std::ostream& out);

}  // namespace pp::schoolctl

#endif  // PP_SCHOOLCTL_COMMANDS_H_
