// Processes that the notification integration tests start and kill: the
// notification binary and the SMTP sink.
#ifndef PP_SERVICES_NOTIFICATION_TESTING_CHILD_PROCESS_H_
#define PP_SERVICES_NOTIFICATION_TESTING_CHILD_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace pp::notification::testing {

class ChildProcess {
 public:
  // Starts `argv` with the current environment plus `env`. When
  // `read_first_line` is set, waits for the first line the child prints on
  // standard output and keeps it in first_line(). Throws when the child
  // cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               bool read_first_line = false);
  // Kills the child with SIGKILL if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  const std::string& first_line() const { return first_line_; }
  // Sends `signal` and waits for the child to end; returns its wait status.
  int Stop(int signal);

 private:
  pid_t pid_ = -1;
  std::string first_line_;
};

// Returns a loopback port that was free a moment ago.
int FreePort();

// An SMTP server on loopback (smtp_sink.py under Debian's python3 with
// aiosmtpd) that stores each message as a file in `mail_dir`.
class SmtpSink {
 public:
  // `delay_seconds` slows each message down, so a test can act mid-batch.
  explicit SmtpSink(const std::string& mail_dir, double delay_seconds = 0);

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // Returns the text of every message received so far, in arrival order.
  std::vector<std::string> Messages() const;

 private:
  std::string mail_dir_;
  ChildProcess process_;
  int port_ = 0;
};

}  // namespace pp::notification::testing

#endif  // PP_SERVICES_NOTIFICATION_TESTING_CHILD_PROCESS_H_
