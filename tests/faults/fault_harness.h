// Pieces the fault tests share: gRPC channels that reconnect at once after
// a service restarts, SQLite checks on a service's store, and the loop that
// kills a service at each of its writes.
#ifndef PP_TESTS_FAULTS_FAULT_HARNESS_H_
#define PP_TESTS_FAULTS_FAULT_HARNESS_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "suite.h"
#include "web_session.h"

namespace pp::faults {

// A channel with its own connections and a short reconnect back-off, so a
// call made right after the server restarts does not wait out a back-off
// that the previous process's death started.
std::shared_ptr<grpc::Channel> FreshChannel(const std::string& address);

// Sets a deadline of `seconds` on `context`, and waits for the channel to
// connect within it when `wait_for_ready` is set.
void PrepareContext(grpc::ClientContext& context, int seconds, bool wait_for_ready);

// Returns the result of PRAGMA integrity_check on the SQLite file at
// `path` ("ok" when the file is sound), opened read-only.
std::string IntegrityCheck(const std::string& path);

// Runs `sql` with `params` bound as text on the SQLite file at `path`,
// opened read-only, and returns each row's columns joined by '|'.
std::vector<std::string> QueryRows(const std::string& path, const std::string& sql,
                                   const std::vector<std::string>& params = {});

// Runs the statement `sql` with `params` bound as text on the SQLite file
// at `path`, opened for writing. The file may be a running service's store,
// because the call waits up to five seconds for the service's write lock.
// Returns "" on success, or SQLite's error message.
std::string ExecSql(const std::string& path, const std::string& sql,
                    const std::vector<std::string>& params = {});

// Returns the first capture of `pattern` in an outbox message that
// mentions `recipient`, waiting up to ten seconds for it to be delivered;
// "" when there is none.
std::string FindInOutbox(const e2e::Suite& suite, const std::string& recipient,
                         const std::string& pattern);

// Registers a parent through the web pages, signs in with the emailed
// one-time password and sets `password`, leaving `browser` signed in.
void SignUp(const e2e::Suite& suite, e2e::WebSession& browser, const std::string& email,
            const std::string& password);

// Issues a school-system token for `school` with the operator token.
std::string IssueToken(const e2e::Suite& suite, const std::string& school);

// Syncs the demo roster of school 5300011 (deploy/demo) with schoolctl and
// that school's `token`.
void LoadDemoRoster(const e2e::Suite& suite, const std::string& token);

// Links the signed-in `browser` (Karen Taylor, a contact of pupil
// 0700000001 in the demo roster, which must be loaded) to Noah McDonald
// with the emailed security code and the school's approval under `token`.
// Returns the child's id in /children/{id}.
std::string LinkNoah(const e2e::Suite& suite, e2e::WebSession& browser, const std::string& token);

// Returns the Payment-Signature of a callback from the suite's sandbox
// provider: "v1=" and the hex HMAC-SHA256 of `timestamp`, ".", and `body`.
std::string SignCallback(const std::string& timestamp, const std::string& body);

// The highest write at which the crash tests kill a service:
// PP_FAULT_MAX_WRITE, or 30.
int MaxKillWrite();

// What one crash-at-every-write run did.
struct CrashFigures {
  // Runs in which the service died by SIGKILL at the chosen write.
  int killed_at_write = 0;
  // Runs whose load ended before the chosen write; the service was then
  // killed with SIGKILL while idle.
  int killed_idle = 0;
  // Requests the service acknowledged across all runs.
  int acknowledged = 0;
  std::string Summary() const;
};

// For n = 1 .. MaxKillWrite(): restarts `binary` with PP_FAULT_KILL_AT_WRITE=n,
// runs `load(n)` (which returns the number of requests acknowledged, and
// returns early when a request fails; it sends at least n requests, so that
// write n is reached), makes sure the process is dead,
// starts it again normally, checks the integrity of `store_path` and runs
// `check()`, which asserts the service's own invariants. Both starts add
// `extra_env` to the service's environment.
CrashFigures CrashAtEveryWrite(e2e::Suite& suite, const std::string& binary,
                               const std::string& store_path, const std::function<int(int n)>& load,
                               const std::function<void()>& check,
                               const std::map<std::string, std::string>& extra_env = {});

}  // namespace pp::faults

#endif  // PP_TESTS_FAULTS_FAULT_HARNESS_H_
