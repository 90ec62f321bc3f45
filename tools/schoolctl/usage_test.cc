// The schoolctl binary's exit codes for command lines it rejects before
// calling any service, so that no server is needed.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string stderr_text;
};

// Runs schoolctl with `args` and without PP_TOKEN in its environment,
// stdout discarded and stderr kept.
Outcome RunSchoolctl(const std::vector<std::string>& args) {
  pp::TempDir dir;
  const std::string stderr_path = dir.Path("stderr");
  std::vector<std::string> argv = {PP_SCHOOLCTL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  char* no_environment[] = {nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int error =
      posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(), no_environment);
  posix_spawn_file_actions_destroy(&actions);
  Outcome outcome;
  if (error != 0) return outcome;
  int status = 0;
  if (waitpid(pid, &status, 0) == pid && WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  }
  outcome.stderr_text = pp::ReadFile(stderr_path);
  return outcome;
}

}  // namespace

TEST_CASE("invalid values exit as usage errors") {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"decide", "42", "maybe"}, "schoolctl: invalid decision \"maybe\": use approve or reject\n"},
      {{"revoke", "42"}, "schoolctl: revoke needs --reason TEXT, kept in the link's history\n"},
      {{"revoke", "42", "--reason", "   "},
       "schoolctl: revoke needs --reason TEXT, kept in the link's history\n"},
      {{"decide", "42", "approve", "--by", " \t "},
       "schoolctl: --by needs the name of the member of staff, kept with the decision\n"},
      {{"requests", "--state", "open"},
       "schoolctl: invalid --state \"open\": use pending, approved, rejected, expired, ended or "
       "all\n"},
      {{"sync-roster", "pupils.csv", "contacts.csv", "--confirm_leavers", "-3"},
       "schoolctl: invalid --confirm_leavers -3: give the number the rejected command printed, or "
       "leave it out\n"},
      {{"import-calendar", "calendar.ics", "--confirm_events_removed", "-1"},
       "schoolctl: invalid --confirm_events_removed -1: give the number the rejected command "
       "printed, or leave it out\n"},
      // Latin-1 "é": protobuf strings must be UTF-8, and a service could not
      // read the request.
      {{"revoke", "42", "--reason", "Caf\xe9 incident"},
       "schoolctl: --reason is not UTF-8 text; set the terminal to UTF-8 and type it again\n"},
      {{"decide", "42", "approve", "--by", "Mrs Lef\xe8vre"},
       "schoolctl: --by is not UTF-8 text; set the terminal to UTF-8 and type it again\n"},
      {{"set-contact", "--email", "office@\xe9cole.example"},
       "schoolctl: --email is not UTF-8 text; set the terminal to UTF-8 and type it again\n"},
      {{"history", "req-\xff"},
       "schoolctl: the request id is not UTF-8 text; copy it from schoolctl requests\n"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"--school", "5300011", "--token", "school-token"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    INFO(c.args[0]);
    Outcome outcome = RunSchoolctl(args);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.stderr_text.rfind(c.message, 0) == 0);
    // A usage error is followed by the usage.
    CHECK(outcome.stderr_text.find("Usage:") != std::string::npos);
  }
}
