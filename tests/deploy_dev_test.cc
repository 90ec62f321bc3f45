// deploy/dev down against a var folder of the test's own: it prints a
// message when it finds nothing to stop, and it stops a process whose id is
// in the folder.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "testing/temp_dir.h"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Runs `deploy/dev down` with PP_VAR_DIR set to `var_dir`, and returns its
// exit code and its stdout and stderr together.
Outcome RunDown(const std::string& var_dir) {
  const std::string command =
      "PP_VAR_DIR='" + var_dir + "' '" PP_SOURCE_DIR "/deploy/dev' down 2>&1";
  Outcome outcome;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return outcome;
  char buffer[4096];
  size_t read = 0;
  while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) outcome.output.append(buffer, read);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  return outcome;
}

}  // namespace

TEST_CASE("deploy/dev down names an empty var folder") {
  pp::TempDir var;
  Outcome outcome = RunDown(var.path());
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output == "deploy/dev: found no running service in " + var.path() +
                              "/run; if `up` ran with another PP_VAR_DIR, run: "
                              "PP_VAR_DIR=FOLDER deploy/dev down\n");
}

TEST_CASE("deploy/dev down stops a recorded process") {
  pp::TempDir var;
  std::filesystem::create_directory(var.Path("run"));
  // A sleep started by the test plays the calendar service. The shell
  // exits at once, so the sleep is not the test's child, and init (or a
  // subreaper) reaps it when it ends. A child of the test would stay a
  // zombie, which deploy/dev would wait 10 seconds for.
  FILE* pipe = popen("sleep 60 >/dev/null 2>&1 & echo $!", "r");
  REQUIRE(pipe != nullptr);
  pid_t pid = 0;
  const int scanned = fscanf(pipe, "%d", &pid);
  pclose(pipe);
  REQUIRE(scanned == 1);
  REQUIRE(pid > 0);
  std::ofstream(var.Path("run/calendar.pid")) << pid << "\n";

  Outcome outcome = RunDown(var.path());
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output == "stopped calendar\n");
  const bool still_running = kill(pid, 0) == 0;
  CHECK_FALSE(still_running);
  if (still_running) kill(pid, SIGKILL);
}
