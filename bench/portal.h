// The services a benchmark runs against, each a separate process started
// from the build's bin folder on free loopback ports, with its data in a
// temporary folder that is deleted at the end.
#ifndef PP_BENCH_PORTAL_H_
#define PP_BENCH_PORTAL_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "suite.h"
#include "testing/temp_dir.h"

namespace pp::bench {

struct ServiceAddresses {
  std::string grpc;
  std::string metrics;
};

class Portal {
 public:
  // Starts notification (writing messages into its outbox folder), identity
  // (with the production Argon2id cost), link-verification, calendar and the
  // gateway. link-verification returns each StartLink as soon as its work
  // is done, without the fixed delay that production adds against timing
  // attacks, because that delay is a wait and not work. Throws when a
  // service does not start listening, after three tries on new ports.
  explicit Portal(const std::string& bin_dir);

  // Starts one more link-verification with its own empty store, sharing
  // this portal's identity, notification and calendar, and returns its
  // addresses. `name` names its data folder and log.
  ServiceAddresses StartExtraLinkServer(const std::string& name);

  // Starts a notification service that delivers email over SMTP to `smtp_url`.
  ServiceAddresses StartSmtpNotification(const std::string& name, const std::string& smtp_url);

  const ServiceAddresses& Addresses(const std::string& name) const { return addresses_.at(name); }
  int HttpPort() const { return http_port_; }
  pid_t Pid(const std::string& name) const;
  // The names of the services started at construction, in start order.
  const std::vector<std::string>& CoreServices() const { return core_services_; }
  std::string DataDir(const std::string& name) const { return dir_.Path(name); }
  std::string OutboxDir() const { return DataDir("notification") + "/outbox"; }
  std::string OperatorToken() const;
  const TempDir& dir() const { return dir_; }

  // The last lines of every service's log.
  std::string Logs() const;

 private:
  // Chooses free ports and starts the services the constructor names.
  void StartCore();
  // Starts `binary` as `name`. A gRPC service also gets the addresses that
  // NewAddresses chose for `name` and a data folder.
  void Start(const std::string& name, const std::string& binary, std::vector<std::string> args,
             bool grpc_service);
  ServiceAddresses NewAddresses(const std::string& name);

  std::string bin_dir_;
  TempDir dir_;
  int http_port_ = 0;
  std::map<std::string, ServiceAddresses> addresses_;
  std::vector<std::string> core_services_;
  std::vector<std::unique_ptr<e2e::Process>> processes_;
};

// Returns the resident set size of a process in bytes, from
// /proc/PID/status, or -1 when it cannot be read.
int64_t ResidentBytes(pid_t pid);

}  // namespace pp::bench

#endif  // PP_BENCH_PORTAL_H_
