#include "child_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace pp::notification::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env, bool read_first_line) {
  int pipe_fds[2] = {-1, -1};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (read_first_line) {
    if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  }

  std::vector<std::string> env_strings;
  for (char** entry = environ; *entry != nullptr; ++entry) env_strings.emplace_back(*entry);
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> env_pointers;
  for (std::string& entry : env_strings) env_pointers.push_back(entry.data());
  env_pointers.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  int error = posix_spawn(&pid_, args[0].c_str(), &actions, nullptr, arg_pointers.data(),
                          env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  if (read_first_line) close(pipe_fds[1]);
  if (error != 0) {
    if (read_first_line) close(pipe_fds[0]);
    throw std::runtime_error("cannot start " + args[0]);
  }
  if (!read_first_line) return;

  char c;
  while (read(pipe_fds[0], &c, 1) == 1 && c != '\n') first_line_ += c;
  close(pipe_fds[0]);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) Stop(SIGKILL);
}

int ChildProcess::Stop(int signal) {
  int status = 0;
  if (pid_ <= 0) return status;
  kill(pid_, signal);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return status;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

namespace {

std::vector<std::string> SinkArguments(const std::string& mail_dir,
                                       const SmtpSinkOptions& options) {
  std::vector<std::string> argv = {"/usr/bin/python3", PP_SMTP_SINK, mail_dir,
                                   std::to_string(options.delay_seconds)};
  if (!options.tls_dir.empty()) argv.insert(argv.end(), {"--tls-dir", options.tls_dir});
  if (!options.login.empty()) argv.insert(argv.end(), {"--login", options.login});
  if (!options.mechanism.empty()) argv.insert(argv.end(), {"--mechanism", options.mechanism});
  return argv;
}

}  // namespace

SmtpSink::SmtpSink(const std::string& mail_dir, double delay_seconds)
    : SmtpSink(mail_dir, SmtpSinkOptions{delay_seconds}) {}

SmtpSink::SmtpSink(const std::string& mail_dir, const SmtpSinkOptions& options)
    : mail_dir_(mail_dir),
      tls_dir_(options.tls_dir),
      process_(SinkArguments(mail_dir, options), {}, /*read_first_line=*/true) {
  port_ = std::stoi(process_.first_line().empty() ? "0" : process_.first_line());
  if (port_ == 0) {
    throw std::runtime_error(
        "the SMTP sink did not start; are python3-aiosmtpd and python3-cryptography installed?");
  }
}

std::vector<std::string> SmtpSink::Messages() const { return ReadFiles(".eml"); }

std::vector<std::string> SmtpSink::Sessions() const { return ReadFiles(".session"); }

std::vector<std::string> SmtpSink::ReadFiles(const std::string& extension) const {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir_)) {
    if (entry.path().extension() == extension) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> texts;
  for (const std::string& name : names) {
    std::ifstream in(mail_dir_ + "/" + name, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    texts.push_back(text.str());
  }
  return texts;
}

}  // namespace pp::notification::testing
