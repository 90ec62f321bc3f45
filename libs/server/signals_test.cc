// SIGHUP in a binary with nothing to reload: logged, and the binary keeps
// running until SIGTERM. Runs in a forked child, because SIGHUP would end the
// test binary itself.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "server/server.h"

namespace {

// Reads from `fd` until `text` appears or the writer closes. Returns what
// was read.
std::string ReadUntil(int fd, const std::string& text) {
  std::string output;
  char buffer[512];
  while (output.find(text) == std::string::npos) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  return output;
}

}  // namespace

TEST_CASE("hangup is logged and ignored") {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child plays a service's main: its log goes to the pipe.
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    pp::BlockStopSignals();
    pp::IgnoreHangups("test-binary");
    kill(getpid(), SIGHUP);
    _exit(pp::WaitForStopSignal() == SIGTERM ? 0 : 3);
  }
  close(pipe_fds[1]);

  const std::string log = ReadUntil(pipe_fds[0], "event=hangup_ignored");
  close(pipe_fds[0]);
  CHECK(log.find("event=hangup_ignored binary=test-binary") != std::string::npos);

  kill(child, SIGTERM);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status " << status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
