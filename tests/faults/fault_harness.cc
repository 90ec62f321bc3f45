#include "fault_harness.h"

#include <arpa/inet.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "testing/temp_dir.h"

namespace pp::faults {
namespace {

bool PortOpen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool open = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return open;
}

int PortOf(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

}  // namespace

std::shared_ptr<grpc::Channel> FreshChannel(const std::string& address) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), arguments);
}

void PrepareContext(grpc::ClientContext& context, int seconds, bool wait_for_ready) {
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  context.set_wait_for_ready(wait_for_ready);
}

std::vector<std::string> QueryRows(const std::string& path, const std::string& sql,
                                   const std::vector<std::string>& params) {
  std::vector<std::string> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    rows.push_back("cannot open " + path + ": " + sqlite3_errmsg(db));
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    rows.push_back("cannot prepare " + sql + ": " + sqlite3_errmsg(db));
    sqlite3_close(db);
    return rows;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    sqlite3_bind_text(statement, static_cast<int>(i) + 1, params[i].c_str(), -1, SQLITE_TRANSIENT);
  }
  int code;
  while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
    std::string row;
    for (int column = 0; column < sqlite3_column_count(statement); ++column) {
      if (column > 0) row += "|";
      const unsigned char* text = sqlite3_column_text(statement, column);
      if (text != nullptr) row += reinterpret_cast<const char*>(text);
    }
    rows.push_back(row);
  }
  if (code != SQLITE_DONE) rows.push_back(std::string("query failed: ") + sqlite3_errmsg(db));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

std::string ExecSql(const std::string& path, const std::string& sql,
                    const std::vector<std::string>& params) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = std::string("cannot open ") + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return error;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* statement = nullptr;
  std::string error;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    error = std::string("cannot prepare ") + sql + ": " + sqlite3_errmsg(db);
  } else {
    for (size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(statement, static_cast<int>(i) + 1, params[i].c_str(), -1,
                        SQLITE_TRANSIENT);
    }
    if (sqlite3_step(statement) != SQLITE_DONE) {
      error = std::string("statement failed: ") + sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return error;
}

std::string IntegrityCheck(const std::string& path) {
  std::string result;
  for (const std::string& row : QueryRows(path, "PRAGMA integrity_check")) {
    result += (result.empty() ? "" : "\n") + row;
  }
  return result;
}

std::string FindInOutbox(const e2e::Suite& suite, const std::string& recipient,
                         const std::string& pattern) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    if (std::filesystem::exists(suite.OutboxDir())) {
      for (const auto& entry : std::filesystem::directory_iterator(suite.OutboxDir())) {
        std::string text = ReadFile(entry.path().string());
        if (text.find(recipient) == std::string::npos) continue;
        std::string found = e2e::Capture(text, pattern);
        if (!found.empty()) return found;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "";
}

void SignUp(const e2e::Suite& suite, e2e::WebSession& browser, const std::string& email,
            const std::string& password) {
  REQUIRE(browser.Get("/register").status == 200);
  e2e::Page registered = browser.Post("/register", {{"forename", "Karen"},
                                                    {"surname", "Taylor"},
                                                    {"email", email},
                                                    {"postcode", "PH3 2QY"},
                                                    {"gender", "female"},
                                                    {"date_of_birth", "1984-03-09"}});
  REQUIRE(registered.status == 303);
  std::string one_time_password = FindInOutbox(suite, email, "One-time password: (\\S+)");
  REQUIRE_FALSE(one_time_password.empty());

  REQUIRE(browser.Get("/sign-in").status == 200);
  e2e::Page signed_in =
      browser.Post("/sign-in", {{"username", email}, {"password", one_time_password}});
  REQUIRE(signed_in.status == 303);
  REQUIRE(browser.Get("/change-password").status == 200);
  e2e::Page changed = browser.Post(
      "/change-password", {{"current_password", one_time_password}, {"new_password", password}});
  REQUIRE(changed.status == 303);
  REQUIRE(browser.Get("/").status == 200);
}

std::string IssueToken(const e2e::Suite& suite, const std::string& school) {
  e2e::CommandResult issued =
      suite.Schoolctl({"admin", "issue-token", "--school", school, "--operator_token_file",
                       suite.DataDir("identity") + "/operator-token"});
  REQUIRE(issued.exit_code == 0);
  return issued.output.substr(0, issued.output.find('\n'));
}

void LoadDemoRoster(const e2e::Suite& suite, const std::string& token) {
  const std::string demo = PP_DEMO_DIR;
  REQUIRE(suite
              .Schoolctl({"--school", "5300011", "sync-roster", demo + "/pupils.csv",
                          demo + "/contacts.csv"},
                         token)
              .exit_code == 0);
}

std::string LinkNoah(const e2e::Suite& suite, e2e::WebSession& browser, const std::string& token) {
  REQUIRE(browser.Get("/link").status == 200);
  e2e::Page matched = browser.Post("/link", {{"child_forename", "Noah"},
                                             {"child_surname", "McDonald"},
                                             {"child_date_of_birth", "2020-10-01"},
                                             {"stage", "P3"},
                                             {"postcode", "PH3 2QY"}});
  REQUIRE(matched.status == 303);
  REQUIRE(browser.Get("/link/code").status == 200);
  e2e::Page sent = browser.Post("/link/code", {{"channel", "email"}});
  REQUIRE(sent.status == 303);
  REQUIRE(browser.Get(sent.location).status == 200);
  std::string code = FindInOutbox(suite, "karen.taylor72@example.com", "Security code: ([0-9]{6})");
  REQUIRE(code.size() == 6);
  REQUIRE(browser.Post("/link/code", {{"code", code}}).status == 303);

  e2e::CommandResult pending =
      suite.Schoolctl({"--school", "5300011", "requests", "--state", "pending"}, token);
  REQUIRE(pending.exit_code == 0);
  std::string request_id = pending.output.substr(0, pending.output.find('\t'));
  REQUIRE(
      suite.Schoolctl({"--school", "5300011", "decide", request_id, "approve"}, token).exit_code ==
      0);

  e2e::Page home = browser.Get("/");
  REQUIRE(home.status == 200);
  std::string child_id = e2e::Capture(home.body, "/children/([A-Za-z0-9_-]+)");
  REQUIRE_FALSE(child_id.empty());
  return child_id;
}

std::string SignCallback(const std::string& timestamp, const std::string& body) {
  std::string message = timestamp + "." + body;
  const std::string secret = e2e::kSandboxCallbackSecret;
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[2 * sizeof(mac) + 1];
  sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
  return std::string("v1=") + hex;
}

int MaxKillWrite() {
  const char* value = std::getenv("PP_FAULT_MAX_WRITE");
  int max = value != nullptr ? std::atoi(value) : 0;
  return max > 0 ? max : 30;
}

std::string CrashFigures::Summary() const {
  return std::to_string(killed_at_write) + " killed at the chosen write, " +
         std::to_string(killed_idle) + " killed idle, " + std::to_string(acknowledged) +
         " requests acknowledged";
}

CrashFigures CrashAtEveryWrite(e2e::Suite& suite, const std::string& binary,
                               const std::string& store_path, const std::function<int(int n)>& load,
                               const std::function<void()>& check,
                               const std::map<std::string, std::string>& extra_env) {
  CrashFigures figures;
  int port = PortOf(suite.Address(binary));
  for (int n = 1; n <= MaxKillWrite(); ++n) {
    INFO(binary << " killed at write " << n);
    e2e::Process& previous = suite.process(binary);
    previous.Signal(SIGKILL);
    REQUIRE(previous.WaitExit(10000));

    // The service may die before it listens, when start-up itself writes.
    std::map<std::string, std::string> faulty_env = extra_env;
    faulty_env["PP_FAULT_KILL_AT_WRITE"] = std::to_string(n);
    suite.Spawn(binary, faulty_env);
    e2e::Process& faulty = suite.process(binary);
    int killed_by = 0;
    int exit_code = 0;
    bool exited = false;
    for (int waited = 0; waited < 30000 && !PortOpen(port); waited += 10) {
      exited = faulty.WaitExit(0, &killed_by, &exit_code);
      if (exited) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!exited) figures.acknowledged += load(n);

    // Whatever the load did, the process ends by SIGKILL: at the chosen
    // write, or now when the load never reached it.
    if (!exited) exited = faulty.WaitExit(2000, &killed_by, &exit_code);
    if (!exited) {
      faulty.Signal(SIGKILL);
      REQUIRE(faulty.WaitExit(10000, &killed_by, &exit_code));
      ++figures.killed_idle;
    } else {
      ++figures.killed_at_write;
    }
    INFO("exit code " << exit_code << ", log:\n" << suite.Logs());
    REQUIRE(killed_by == SIGKILL);

    suite.Restart(binary, extra_env);
    REQUIRE(IntegrityCheck(store_path) == "ok");
    check();
  }
  return figures;
}

}  // namespace pp::faults
