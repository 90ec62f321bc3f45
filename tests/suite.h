// The whole suite started for one test: the six binaries as separate
// processes on free loopback ports, each with its own temporary data folder.
#ifndef PP_TESTS_SUITE_H_
#define PP_TESTS_SUITE_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "testing/temp_dir.h"

namespace pp::e2e {

// The callback secret of the sandbox provider in the suite's providers file.
inline constexpr char kSandboxCallbackSecret[] = "journey-sandbox-callback-secret-0123456789";

// Returns the last `lines` lines of `text`, or all of it when it has fewer.
std::string LastLines(const std::string& text, size_t lines);

// A child process whose stdout and stderr go to a log file.
class Process {
 public:
  // `extra_env` is added to this process's environment.
  Process(const std::string& name, const std::vector<std::string>& argv, const std::string& log,
          const std::map<std::string, std::string>& extra_env = {});
  // Sends SIGTERM if still running and waits for the exit.
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Sends SIGTERM, once.
  void Terminate();
  // Sends SIGTERM and returns the exit status (-1 when killed by a signal
  // or when it did not stop within 15 seconds).
  int Stop();
  // Sends `signal` (SIGKILL, SIGTERM) without waiting.
  void Signal(int signal);
  // Sends SIGSTOP and waits until the kernel reports every thread stopped,
  // because a thread that has not yet received the stop can still serve a
  // request. Returns false when the process is not stopped within 10 s.
  bool Freeze();
  // Lets a frozen process run again.
  void Thaw();
  // Waits up to `timeout_ms` for the process to exit. Returns false when it
  // is still running; otherwise sets `killed_by` to the signal that ended it
  // (0 after a normal exit) and `exit_code` to its status.
  bool WaitExit(int timeout_ms, int* killed_by = nullptr, int* exit_code = nullptr);
  bool running() const { return pid_ > 0; }
  const std::string& name() const { return name_; }
  const std::string& log() const { return log_; }
  // The process id, or -1 once the process has been waited for.
  pid_t pid() const { return pid_; }

 private:
  std::string name_;
  std::string log_;
  pid_t pid_ = -1;
  bool terminated_ = false;
};

// Returns a loopback port that was free a moment ago.
int FreePort();

// Waits for up to 30 seconds until 127.0.0.1:port accepts connections.
bool WaitForPort(int port);

// An error thrown when a binary exits before it listens, most often because
// a test running alongside took the port after FreePort chose it.
class StartFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Returns how many times the log at `log` reports its binary listening.
int ListeningLines(const std::string& log);

// Waits until `started` logs that it listens, beyond `earlier_lines` such
// lines already in its log. The log, not a connection to the port, is the
// sign, because another program may hold that port. Throws StartFailed
// with `logs` when the process exits first, and runtime_error after 30 s.
void WaitUntilListening(Process& started, int earlier_lines,
                        const std::function<std::string()>& logs);

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs a program to completion and returns its exit code and stdout.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env = {});

// Returns the first capture of `pattern` in an outbox message (.eml or .sms)
// that mentions `recipient`, or "" when there is none after `wait`.
// Notification delivers in the background, so a message may take a moment.
std::string FindInOutbox(const std::string& outbox, const std::string& recipient,
                         const std::string& pattern, absl::Duration wait = absl::Seconds(10));

class Suite {
 public:
  Suite();
  ~Suite();

  // Addresses as host:port.
  std::string Address(const std::string& binary) const;
  int HttpPort() const { return ports_.at("gateway"); }
  // The port of payments-sandbox, the stand-in payment provider.
  int ProviderPort() const { return ports_.at("payments-sandbox"); }
  std::string DataDir(const std::string& binary) const;
  std::string OutboxDir() const { return DataDir("notification") + "/outbox"; }

  // Runs schoolctl against this suite.
  CommandResult Schoolctl(std::vector<std::string> args, const std::string& token = "") const;

  // The running process of `binary`.
  Process& process(const std::string& binary);

  // Starts `binary` again with the flags it first had and `extra_env` added,
  // on the same ports, after the previous process has exited (the caller
  // stops or kills it first), and waits until it listens.
  void Restart(const std::string& binary, const std::map<std::string, std::string>& extra_env = {});

  // Starts `binary` again as Restart does, but returns as soon as the
  // process is spawned, without waiting for it to listen.
  void Spawn(const std::string& binary, const std::map<std::string, std::string>& extra_env = {});

  // Stops every binary in reverse order of start and returns the names of
  // those that did not exit with status 0.
  std::vector<std::string> StopAll();

  // The last lines of every log, for a failure message.
  std::string Logs() const;

 private:
  // Chooses free ports and starts every binary, each once the ones it calls
  // listen.
  void StartAll();
  void Start(const std::string& name, std::vector<std::string> args);

  TempDir dir_;
  std::map<std::string, int> ports_;
  std::map<std::string, std::vector<std::string>> argv_;
  std::vector<std::unique_ptr<Process>> processes_;
};

}  // namespace pp::e2e

#endif  // PP_TESTS_SUITE_H_
