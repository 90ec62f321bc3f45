// deploy/dev down and start against a var folder of the test's own. down
// prints a message when it finds nothing to stop, and stops a process whose
// id is in the folder. start stops at a binary that exits at once, and at a
// port already in use.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "testing/temp_dir.h"

namespace {

struct Outcome {
  int exit_code = -1;
  std::string output;
};

// Runs `deploy/dev COMMAND` with PP_VAR_DIR set to `var_dir` and
// PP_BUILD_DIR to `build_dir`, and returns its exit code and its stdout and
// stderr together.
Outcome RunDev(const std::string& command_name, const std::string& var_dir,
               const std::string& build_dir = "build") {
  const std::string command = "PP_VAR_DIR='" + var_dir + "' PP_BUILD_DIR='" + build_dir + "' '" +
                              PP_SOURCE_DIR "/deploy/dev' " + command_name + " 2>&1";
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

Outcome RunDown(const std::string& var_dir) { return RunDev("down", var_dir); }

// Writes a build folder whose notification binary (the first one
// deploy/dev starts) logs a start failure and exits with status 1.
void WriteFailingNotification(const pp::TempDir& build) {
  std::filesystem::create_directories(build.Path("bin"));
  const std::string binary = build.Path("bin/notification");
  std::ofstream(binary) << "#!/bin/sh\n"
                        << "echo 'level=error event=start_failed binary=notification' >&2\n"
                        << "exit 1\n";
  chmod(binary.c_str(), 0755);
}

// A listening socket on 127.0.0.1:`port`, closed when destroyed. It may
// fail to bind when another program already listens there.
class Listener {
 public:
  explicit Listener(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) listen(fd_, 4);
  }
  ~Listener() { close(fd_); }

 private:
  int fd_;
};

// Returns true when something accepts connections on 127.0.0.1:`port`.
bool PortAnswers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool answers = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return answers;
}

// Returns the state letter of process `pid` from /proc ('R', 'S', 'Z' and
// so on), or '\0' when no such process exists.
char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t name_end = text.rfind(") ");
  return name_end == std::string::npos ? '\0' : text[name_end + 2];
}

// Returns true while process `pid` runs: it exists and is not a zombie.
bool ProcessRunning(pid_t pid) {
  const char state = ProcessState(pid);
  return state != '\0' && state != 'Z';
}

// The notification binary's fixed gRPC port in deploy/dev.
constexpr int kNotificationPort = 50053;

// Returns true when notification's port is free, and warns otherwise.
bool NotificationPortFree() {
  if (!PortAnswers(kNotificationPort)) return true;
  WARN("127.0.0.1:50053 is in use, perhaps by a running suite; the case needs it free");
  return false;
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
  // exits at once, so the sleep is not the test's child. Once it ends it
  // may stay a zombie until init reaps it, if init reaps at all.
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
  const bool still_running = ProcessRunning(pid);
  CHECK_FALSE(still_running);
  if (still_running) kill(pid, SIGKILL);
}

TEST_CASE("deploy/dev start stops at a binary that exits") {
  if (!NotificationPortFree()) return;
  pp::TempDir var;
  pp::TempDir build;
  WriteFailingNotification(build);

  Outcome outcome = RunDev("start", var.path(), build.path());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.output.find("deploy/dev: notification exited at start; see " + var.path() +
                            "/log/notification.log\n") != std::string::npos);
  CHECK(outcome.output.find("event=start_failed binary=notification") != std::string::npos);
  CHECK(outcome.output.find("started notification") == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(var.Path("run/notification.pid")));
}

TEST_CASE("deploy/dev start stops at a taken port") {
  // Either this listener or another program listens on the port.
  Listener listener(kNotificationPort);
  REQUIRE(PortAnswers(kNotificationPort));
  pp::TempDir var;
  pp::TempDir build;
  WriteFailingNotification(build);

  Outcome outcome = RunDev("start", var.path(), build.path());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.output.find("deploy/dev: cannot start notification: 127.0.0.1:50053 is already "
                            "in use") != std::string::npos);
  CHECK(outcome.output.find("started notification") == std::string::npos);
}

TEST_CASE("deploy/dev start restarts a binary whose process died") {
  if (!NotificationPortFree()) return;
  pp::TempDir var;
  pp::TempDir build;
  WriteFailingNotification(build);
  std::filesystem::create_directory(var.Path("run"));
  // A child of the test that exits and is not reaped stays a zombie, as a
  // killed service does under a pid 1 that reaps no one. kill -0 still
  // succeeds on it.
  const pid_t zombie = fork();
  REQUIRE(zombie >= 0);
  if (zombie == 0) _exit(0);
  for (int i = 0; i < 100 && ProcessState(zombie) != 'Z'; ++i) usleep(10000);
  REQUIRE(ProcessState(zombie) == 'Z');
  std::ofstream(var.Path("run/notification.pid")) << zombie << "\n";

  Outcome outcome = RunDev("start", var.path(), build.path());
  waitpid(zombie, nullptr, 0);
  INFO(outcome.output);
  CHECK(outcome.output.find("already running") == std::string::npos);
  CHECK(outcome.output.find("deploy/dev: notification exited at start") != std::string::npos);
}
