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

struct SmtpSinkOptions {
  // Slows each message down, so a test can act mid-batch.
  double delay_seconds = 0;
  // When set, the sink writes a new self-signed certificate for 127.0.0.1
  // to `tls_dir`/certificate.pem and requires STARTTLS.
  std::string tls_dir;
  // When set ("user:password"), the sink requires this login over TLS.
  std::string login;
  // "PLAIN" or "LOGIN" to offer only that AUTH mechanism, or empty for both.
  std::string mechanism;
};

// An SMTP server on loopback (smtp_sink.py under Debian's python3 with
// aiosmtpd) that stores each message as a file in `mail_dir`.
class SmtpSink {
 public:
  explicit SmtpSink(const std::string& mail_dir, double delay_seconds = 0);
  SmtpSink(const std::string& mail_dir, const SmtpSinkOptions& options);

  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  // The sink's certificate, when it was started with a `tls_dir`.
  std::string certificate_file() const { return tls_dir_ + "/certificate.pem"; }
  // Returns the text of every message received so far, in arrival order.
  std::vector<std::string> Messages() const;
  // Returns, for each message in the same order, how it arrived:
  // "tls=<TLS version or none>\nlogin=<user name or none>\n".
  std::vector<std::string> Sessions() const;

 private:
  std::vector<std::string> ReadFiles(const std::string& extension) const;

  std::string mail_dir_;
  std::string tls_dir_;
  ChildProcess process_;
  int port_ = 0;
};

}  // namespace pp::notification::testing

#endif  // PP_SERVICES_NOTIFICATION_TESTING_CHILD_PROCESS_H_
