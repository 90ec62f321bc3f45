#include "log/log.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("log values with spaces or quotes are quoted") {
  CHECK(pp::log::FormatValue("127.0.0.1:50051") == "127.0.0.1:50051");
  CHECK(pp::log::FormatValue("") == "\"\"");
  CHECK(pp::log::FormatValue("two words") == "\"two words\"");
  CHECK(pp::log::FormatValue("a=b") == "\"a=b\"");
  CHECK(pp::log::FormatValue("say \"hi\"") == "\"say \\\"hi\\\"\"");
  CHECK(pp::log::FormatValue("line\nbreak") == "\"line\\nbreak\"");
}

TEST_CASE("a crash reports its signal on stderr") {
  int pipe_ends[2];
  REQUIRE(pipe(pipe_ends) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    dup2(pipe_ends[1], STDERR_FILENO);
    close(pipe_ends[0]);
    pp::log::ReportCrashes("/proc/self/exe");
    raise(SIGSEGV);
    _exit(0);
  }
  close(pipe_ends[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t got; (got = read(pipe_ends[0], buffer, sizeof buffer)) > 0;)
    report.append(buffer, got);
  close(pipe_ends[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);

  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGSEGV);
  CHECK(report.find("SIGSEGV") != std::string::npos);
}
