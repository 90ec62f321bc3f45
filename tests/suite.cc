#include "suite.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include "absl/time/clock.h"
#include "web_session.h"

extern char** environ;

namespace pp::e2e {
namespace {

std::vector<char*> ArgvPointers(std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (std::string& arg : argv) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string LastLines(const std::string& text, size_t lines) {
  size_t position = text.size();
  // Each pass steps back over one line end; the first pass skips the final one.
  for (size_t i = 0; i <= lines; ++i) {
    if (position == 0) return text;
    position = text.rfind('\n', position - 1);
    if (position == std::string::npos) return text;
  }
  return text.substr(position + 1);
}

Process::Process(const std::string& name, const std::vector<std::string>& argv,
                 const std::string& log, const std::map<std::string, std::string>& extra_env)
    : name_(name), log_(log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> pointers = ArgvPointers(args);
  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  for (const auto& [key, value] : extra_env) env_strings.push_back(key + "=" + value);
  std::vector<char*> env = ArgvPointers(env_strings);
  int error = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, pointers.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    throw std::runtime_error("cannot start " + args[0] + ": " + std::strerror(error));
  }
}

Process::~Process() { Stop(); }

void Process::Terminate() {
  if (pid_ <= 0 || terminated_) return;
  kill(pid_, SIGTERM);
  terminated_ = true;
}

int Process::Stop() {
  if (pid_ <= 0) return -1;
  Terminate();
  int status = 0;
  for (int i = 0; i < 150; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

void Process::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

bool Process::Freeze() {
  if (pid_ <= 0) return false;
  kill(pid_, SIGSTOP);
  int status = 0;
  for (int waited = 0; waited < 10000; waited += 10) {
    pid_t reported = waitpid(pid_, &status, WNOHANG | WUNTRACED);
    if (reported == pid_ && WIFSTOPPED(status)) return true;
    if (reported == pid_) {
      pid_ = -1;  // The process exited before it stopped.
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void Process::Thaw() {
  if (pid_ > 0) kill(pid_, SIGCONT);
}

bool Process::WaitExit(int timeout_ms, int* killed_by, int* exit_code) {
  if (pid_ <= 0) return true;
  int status = 0;
  for (int waited = 0;; waited += 10) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (waited >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  if (killed_by != nullptr) *killed_by = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (exit_code != nullptr) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return true;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool WaitForPort(int port) {
  for (int i = 0; i < 300; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    close(fd);
    if (open) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);

  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  for (const auto& [key, value] : extra_env) env_strings.push_back(key + "=" + value);
  std::vector<char*> env = ArgvPointers(env_strings);
  std::vector<std::string> args = argv;
  std::vector<char*> pointers = ArgvPointers(args);

  pid_t pid = -1;
  int error = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, pointers.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  CommandResult result;
  if (error != 0) {
    close(pipe_fds[0]);
    result.output = "cannot start " + args[0];
    return result;
  }
  char buffer[4096];
  ssize_t count;
  while ((count = read(pipe_fds[0], buffer, sizeof(buffer))) > 0)
    result.output.append(buffer, count);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string FindInOutbox(const std::string& outbox, const std::string& recipient,
                         const std::string& pattern, absl::Duration wait) {
  absl::Time deadline = absl::Now() + wait;
  do {
    if (std::filesystem::exists(outbox)) {
      for (const auto& entry : std::filesystem::directory_iterator(outbox)) {
        std::string text = ReadFile(entry.path().string());
        if (text.find(recipient) == std::string::npos) continue;
        std::string found = Capture(text, pattern);
        if (!found.empty()) return found;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (absl::Now() < deadline);
  return "";
}

int ListeningLines(const std::string& log) {
  std::string text = ReadFile(log);
  int count = 0;
  for (size_t at = text.find("event=listening"); at != std::string::npos;
       at = text.find("event=listening", at + 1)) {
    ++count;
  }
  return count;
}

void WaitUntilListening(Process& started, int earlier_lines,
                        const std::function<std::string()>& logs) {
  for (int waited = 0; waited < 30000; waited += 20) {
    if (ListeningLines(started.log()) > earlier_lines) return;
    if (started.WaitExit(0))
      throw StartFailed(started.name() + " exited before listening:\n" + logs());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error(started.name() + " did not start listening in 30 s:\n" + logs());
}

Suite::Suite() {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      StartAll();
      return;
    } catch (const StartFailed& failed) {
      if (attempt == kAttempts) throw std::runtime_error(failed.what());
      StopAll();
      argv_.clear();
      // The next attempt starts from empty folders and logs on new ports.
      for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
        std::filesystem::remove_all(entry.path());
      }
    }
  }
}

void Suite::StartAll() {
  for (const char* name : {"identity", "link-verification", "notification", "calendar",
                           "payments-handoff", "gateway", "payments-sandbox"}) {
    ports_[name] = FreePort();
  }
  auto grpc_flags = [&](const std::string& name) {
    return std::vector<std::string>{"--grpc_address=" + Address(name),
                                    "--metrics_address=127.0.0.1:" + std::to_string(FreePort()),
                                    "--data_dir=" + DataDir(name)};
  };
  auto with = [](std::vector<std::string> flags, std::vector<std::string> more) {
    flags.insert(flags.end(), more.begin(), more.end());
    return flags;
  };
  std::string identity = "--identity_address=" + Address("identity");
  std::string notification = "--notification_address=" + Address("notification");
  std::string gateway = "http://127.0.0.1:" + std::to_string(HttpPort());
  std::string provider = "127.0.0.1:" + std::to_string(ProviderPort());

  Start("notification", grpc_flags("notification"));
  Start("identity", with(grpc_flags("identity"), {notification, "--password_hash_cost=fast"}));
  Start("link-verification",
        with(grpc_flags("link-verification"),
             {identity, notification, "--calendar_address=" + Address("calendar")}));
  Start("calendar", with(grpc_flags("calendar"), {identity}));
  // One provider, the sandbox, for both demo schools and both services.
  std::string providers_file = dir_.Path("payments-providers.json");
  dir_.WriteFile("payments-providers.json",
                 "{\"providers\": [{\"id\": \"sandbox\", \"display_name\": \"Sandbox payments\", "
                 "\"handoff_url\": \"http://" +
                     provider + "/pay\", \"audience\": \"http://" + provider +
                     "\", \"callback_secret\": \"" + kSandboxCallbackSecret +
                     "\", \"schools\": [\"5300011\", \"5300028\"], "
                     "\"services\": [\"school-meals\", \"trips\"]}]}");
  Start("payments-handoff", with(grpc_flags("payments-handoff"),
                                 {"--providers_file=" + providers_file, "--issuer=" + gateway,
                                  "--link_address=" + Address("link-verification")}));
  Start("gateway", {"--http_address=127.0.0.1:" + std::to_string(HttpPort()),
                    "--metrics_address=127.0.0.1:" + std::to_string(FreePort()), identity,
                    "--link_address=" + Address("link-verification"),
                    "--calendar_address=" + Address("calendar"),
                    "--payments_address=" + Address("payments-handoff"),
                    "--notification_address=" + Address("notification")});
  Start("payments-sandbox",
        {"--http_address=" + provider, "--providers_file=" + providers_file, "--issuer=" + gateway,
         "--jwks_url=" + gateway + "/.well-known/jwks.json",
         "--callback_url=" + gateway + "/services/payments/callback",
         "--return_url=" + gateway + "/services/payments/receipts"});
}

Suite::~Suite() { StopAll(); }

std::string Suite::Address(const std::string& binary) const {
  return "127.0.0.1:" + std::to_string(ports_.at(binary));
}

std::string Suite::DataDir(const std::string& binary) const { return dir_.Path(binary); }

void Suite::Start(const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), std::string(PP_BIN_DIR) + "/" + name);
  argv_[name] = args;
  processes_.push_back(std::make_unique<Process>(name, args, dir_.Path(name + ".log")));
  WaitUntilListening(*processes_.back(), 0, [this] { return Logs(); });
}

Process& Suite::process(const std::string& binary) {
  for (auto& process : processes_) {
    if (process->name() == binary) return *process;
  }
  throw std::runtime_error("no process named " + binary);
}

void Suite::Spawn(const std::string& binary, const std::map<std::string, std::string>& extra_env) {
  for (auto& process : processes_) {
    if (process->name() != binary) continue;
    if (process->running()) throw std::runtime_error(binary + " is still running");
    process =
        std::make_unique<Process>(binary, argv_.at(binary), dir_.Path(binary + ".log"), extra_env);
    return;
  }
  throw std::runtime_error("no process named " + binary);
}

void Suite::Restart(const std::string& binary,
                    const std::map<std::string, std::string>& extra_env) {
  int earlier_lines = ListeningLines(dir_.Path(binary + ".log"));
  Spawn(binary, extra_env);
  WaitUntilListening(process(binary), earlier_lines, [this] { return Logs(); });
}

CommandResult Suite::Schoolctl(std::vector<std::string> args, const std::string& token) const {
  args.insert(args.begin(),
              {std::string(PP_BIN_DIR) + "/schoolctl", "--identity_address=" + Address("identity"),
               "--link_address=" + Address("link-verification"),
               "--calendar_address=" + Address("calendar")});
  std::map<std::string, std::string> env;
  if (!token.empty()) env["PP_TOKEN"] = token;
  return RunCommand(args, env);
}

std::vector<std::string> Suite::StopAll() {
  std::vector<std::string> unclean;
  // All drain at once; each takes about a second and a half to exit.
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it) (*it)->Terminate();
  while (!processes_.empty()) {
    if (processes_.back()->Stop() != 0) unclean.push_back(processes_.back()->name());
    processes_.pop_back();
  }
  return unclean;
}

std::string Suite::Logs() const {
  std::string logs;
  for (const auto& process : processes_) {
    logs += "--- " + process->name() + "\n" + LastLines(ReadFile(process->log()), 15);
  }
  return logs;
}

}  // namespace pp::e2e
