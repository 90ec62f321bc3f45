// schoolctl: the command-line client for school staff and operators.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "calendar_choices.h"
#include "commands.h"
#include "settings/settings.h"
#include "text/escape.h"
#include "text/utf8.h"

namespace {

constexpr char kUsage[] = R"(Usage:
  schoolctl admin issue-token --school SEED
  schoolctl --school SEED --token TOKEN sync-roster PUPILS.csv CONTACTS.csv
      [--confirm_leavers N] [--confirm_contacts_removed N] [--confirm_links_ended N]
      [--confirm_holds_lifted N]
  schoolctl --school SEED --token TOKEN requests [--state STATE]
  schoolctl --school SEED --token TOKEN history ID
  schoolctl --school SEED --token TOKEN decide ID approve|reject [--reason TEXT] [--by NAME]
  schoolctl --school SEED --token TOKEN revoke ID --reason TEXT [--by NAME]
  schoolctl --school SEED --token TOKEN import-calendar FILE.ics
      [--category-map 'Staff Day=in_service_day,...'] [--default-category event]
      [--confirm_events_removed N]
  schoolctl --school SEED --token TOKEN near-misses
  schoolctl --school SEED --token TOKEN set-contact --email ADDRESS

The token may also come from the environment as PP_TOKEN, which keeps it out
of the process list. Run schoolctl --help for every setting.

requests lists the pending requests. --state approved, rejected, expired or
ended lists the requests in that state instead, and --state all lists every
request. history shows one request and each event in its life (requested,
approved, rejected, expired, unlinked by the parent, revoked, ended by a
roster sync), oldest first, with who acted and why.

sync-roster changes nothing, and prints the numbers to confirm, when it would
mark more pupils as left or remove more contacts than a routine sync (more
than 20 and a tenth of the school), end any approved link other than by a
safeguarding hold, or lift any safeguarding hold. A rejected row keeps its
pupil or contact as before; a rejected row without a readable pupil_ref or
contact_ref, or one repeated, stops the whole sync. Exit codes: 0 done,
1 failed, 2 usage error, 3 done with rejected rows.

import-calendar replaces the school's calendar. It changes nothing, and
prints the number to confirm, when the file would remove every stored event,
or more than 10 and more than half of them. A file without events is rejected
unless it confirms removing the school's stored calendar.
)";

int Fail(const absl::Status& status) {
  const absl::string_view message = status.message();
  std::cerr << "schoolctl: "
            << pp::EscapeControlCharacters(std::string_view(message.data(), message.size()))
            << "\n";
  return 1;
}

int UsageError(const std::string& message) {
  std::cerr << "schoolctl: " << pp::EscapeControlCharacters(message) << "\n\n" << kUsage;
  return 2;
}

absl::StatusOr<std::string> ReadOperatorToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError("cannot read the operator token at " + path +
                               ": run schoolctl from the folder where the suite was started, or "
                               "pass --operator_token_file");
  }
  std::stringstream contents;
  contents << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError("the operator token file " + path +
                                      " is empty: identity writes the token to operator-token in "
                                      "its data folder when it starts; pass that file");
  }
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  pp::Settings settings("schoolctl", "loads rosters and calendars and decides link requests");
  settings.AddString("school", "", "the school's 7-digit SEED code");
  settings.AddString("token", "", "the school-system token issued for --school");
  settings.AddString("state", "pending",
                     "requests: which to list (pending, approved, rejected, "
                     "expired, ended or all)");
  settings.AddString("reason", "",
                     "decide and revoke: the reason, kept with the decision (not sent to the "
                     "parent)");
  settings.AddString("by", "school office",
                     "decide and revoke: who decided, kept with the decision");
  settings.AddString("email", "",
                     "set-contact: the school office's email address for reminders about "
                     "waiting link requests; empty removes it");
  settings.AddString("operator_token_file", "var/identity/operator-token",
                     "admin: the file identity writes its operator token to");
  settings.AddString("identity_address", "127.0.0.1:50051", "identity service (host:port)");
  settings.AddString("link_address", "127.0.0.1:50052", "link-verification service (host:port)");
  settings.AddString("calendar_address", "127.0.0.1:50054", "calendar service (host:port)");
  settings.AddInt("timeout_seconds", 60, "how long to wait for a service before giving up");
  settings.AddInt("confirm_leavers", 0,
                  "sync-roster: confirms that exactly this many pupils left, when a sync would "
                  "mark more as left than a routine one");
  settings.AddInt("confirm_contacts_removed", 0,
                  "sync-roster: confirms that exactly this many contacts are to be removed, when "
                  "a sync would remove more than a routine one");
  settings.AddInt("confirm_links_ended", 0,
                  "sync-roster: confirms that exactly this many approved links between parents "
                  "and children are to end");
  settings.AddInt("confirm_holds_lifted", 0,
                  "sync-roster: confirms that exactly this many safeguarding holds on pupils "
                  "and contacts are to be lifted");
  settings.AddInt("confirm_events_removed", 0,
                  "import-calendar: confirms that exactly this many stored events (counted by "
                  "UID) are to be removed, when an import would remove every stored event or "
                  "most of them");
  settings.AddString("category_map", "",
                     "import-calendar: the school's CATEGORIES labels and the category each "
                     "means, as LABEL=CATEGORY,... (categories: term_dates, holiday, "
                     "in_service_day, parents_night, deadline, event)");
  settings.AddString("default_category", "",
                     "import-calendar: the category of events whose labels match none "
                     "(event when empty)");
  settings.ParseOrExit(argc, argv);

  const std::vector<std::string>& args = settings.Positional();
  if (args.empty()) return UsageError("missing command");
  // Requests carry these as protobuf strings, which must be UTF-8, or the
  // service cannot read the request at all.
  for (const char* flag : {"reason", "by", "email"}) {
    if (pp::text::FindInvalidUtf8(settings.GetString(flag)) != std::string::npos) {
      return UsageError(absl::StrCat("--", flag,
                                     " is not UTF-8 text; set the terminal to UTF-8 and type it "
                                     "again"));
    }
  }
  if ((args[0] == "decide" || args[0] == "revoke") &&
      absl::StripAsciiWhitespace(settings.GetString("by")).empty()) {
    return UsageError("--by needs the name of the member of staff, kept with the decision");
  }
  const bool takes_request_id = args[0] == "decide" || args[0] == "revoke" || args[0] == "history";
  if (takes_request_id && args.size() > 1 &&
      pp::text::FindInvalidUtf8(args[1]) != std::string::npos) {
    return UsageError("the request id is not UTF-8 text; copy it from schoolctl requests");
  }
  pp::schoolctl::Connection connection{settings.GetString("identity_address"),
                                       settings.GetString("link_address"),
                                       settings.GetString("calendar_address"),
                                       settings.GetString("token"),
                                       settings.GetString("school"),
                                       settings.GetInt("timeout_seconds"),
                                       settings.GetInt("confirm_leavers"),
                                       settings.GetInt("confirm_contacts_removed"),
                                       settings.GetInt("confirm_links_ended"),
                                       settings.GetInt("confirm_holds_lifted"),
                                       settings.GetInt("confirm_events_removed")};
  if (connection.seed_code.empty()) return UsageError("missing --school SEED");
  const std::string& seed = connection.seed_code;
  if (seed.size() != 7 || !std::all_of(seed.begin(), seed.end(),
                                       [](unsigned char c) { return absl::ascii_isdigit(c); })) {
    return UsageError(
        absl::StrCat("invalid --school \"", seed, "\": a SEED code has exactly 7 digits"));
  }

  const std::string& command = args[0];
  if (command == "admin") {
    if (args.size() != 2 || args[1] != "issue-token") return UsageError("unknown admin command");
    absl::StatusOr<std::string> operator_token =
        ReadOperatorToken(settings.GetString("operator_token_file"));
    if (!operator_token.ok()) return Fail(operator_token.status());
    connection.token = *operator_token;
    absl::Status status =
        pp::schoolctl::IssueToken(connection, settings.GetString("operator_token_file"), std::cout);
    return status.ok() ? 0 : Fail(status);
  }

  if (connection.token.empty()) return UsageError("missing --token (or PP_TOKEN)");
  absl::Status status;
  if (command == "sync-roster") {
    if (args.size() != 3) return UsageError("sync-roster takes PUPILS.csv and CONTACTS.csv");
    if (absl::Status checked = pp::schoolctl::CheckConfirmations(connection); !checked.ok()) {
      return UsageError(std::string(checked.message()));
    }
    bool rows_rejected = false;
    status = pp::schoolctl::SyncRoster(connection, args[1], args[2], std::cout, &rows_rejected);
    if (status.ok() && rows_rejected) return pp::schoolctl::kExitRowsRejected;
  } else if (command == "requests") {
    if (args.size() != 1) return UsageError("requests takes no arguments");
    if (absl::Status checked = pp::schoolctl::CheckRequestState(settings.GetString("state"));
        !checked.ok()) {
      return UsageError(std::string(checked.message()));
    }
    status = pp::schoolctl::ListRequests(connection, settings.GetString("state"), std::cout);
  } else if (command == "history") {
    if (args.size() != 2) return UsageError("history takes the id of a request");
    status = pp::schoolctl::ShowHistory(connection, args[1], std::cout);
  } else if (command == "decide") {
    if (args.size() != 3) return UsageError("decide takes a request id and approve or reject");
    if (absl::Status checked = pp::schoolctl::CheckDecision(args[2]); !checked.ok()) {
      return UsageError(std::string(checked.message()));
    }
    status = pp::schoolctl::Decide(connection, args[1], args[2], settings.GetString("by"),
                                   settings.GetString("reason"), std::cout);
  } else if (command == "revoke") {
    if (args.size() != 2) return UsageError("revoke takes the id of an approved request");
    // The link's history records why the school ended it.
    if (absl::StripAsciiWhitespace(settings.GetString("reason")).empty()) {
      return UsageError("revoke needs --reason TEXT, kept in the link's history");
    }
    status = pp::schoolctl::Revoke(connection, args[1], settings.GetString("by"),
                                   settings.GetString("reason"), std::cout);
  } else if (command == "near-misses") {
    if (args.size() != 1) return UsageError("near-misses takes no arguments");
    status = pp::schoolctl::ListNearMisses(connection, std::cout);
  } else if (command == "set-contact") {
    if (args.size() != 1) return UsageError("set-contact takes --email ADDRESS and no arguments");
    // A forgotten flag must not remove the address and stop the reminders.
    if (!settings.IsGiven("email")) {
      return UsageError("set-contact needs --email ADDRESS, or --email \"\" to remove the address");
    }
    status = pp::schoolctl::SetContact(connection, settings.GetString("email"), std::cout);
  } else if (command == "import-calendar") {
    if (args.size() != 2) return UsageError("import-calendar takes one .ics file");
    absl::StatusOr<pp::schoolctl::CalendarChoices> choices = pp::schoolctl::ParseCalendarChoices(
        settings.GetString("category_map"), settings.GetString("default_category"));
    if (!choices.ok()) return UsageError(std::string(choices.status().message()));
    if (absl::Status checked = pp::schoolctl::CheckConfirmations(connection); !checked.ok()) {
      return UsageError(std::string(checked.message()));
    }
    status = pp::schoolctl::ImportCalendar(connection, args[1], *choices, std::cout);
  } else {
    return UsageError("unknown command \"" + command + "\"");
  }
  return status.ok() ? 0 : Fail(status);
}
