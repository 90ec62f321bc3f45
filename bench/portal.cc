#include "portal.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace pp::bench {

Portal::Portal(const std::string& bin_dir) : bin_dir_(bin_dir) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    try {
      StartCore();
      return;
    } catch (const e2e::StartFailed& failed) {
      if (attempt == kAttempts) throw std::runtime_error(failed.what());
      // Start again from empty folders on new ports, since one was taken.
      processes_.clear();
      for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
        std::filesystem::remove_all(entry.path());
      }
    }
  }
}

void Portal::StartCore() {
  for (const char* name : {"notification", "identity", "link-verification", "calendar"}) {
    NewAddresses(name);
  }
  http_port_ = e2e::FreePort();
  std::string identity = "--identity_address=" + addresses_["identity"].grpc;
  std::string notification = "--notification_address=" + addresses_["notification"].grpc;
  std::string calendar = "--calendar_address=" + addresses_["calendar"].grpc;
  std::string link = "--link_address=" + addresses_["link-verification"].grpc;

  Start("notification", "notification", {}, /*grpc_service=*/true);
  Start("identity", "identity", {notification}, /*grpc_service=*/true);
  Start("link-verification", "link-verification",
        {identity, notification, calendar, "--start_link_ms=0"}, /*grpc_service=*/true);
  Start("calendar", "calendar", {identity}, /*grpc_service=*/true);
  // Nothing listens on the payments address. The home page requests the
  // services each school takes online from it, and after a failed call
  // offers every service for ten seconds without calling again.
  addresses_["gateway"] = {absl::StrCat("127.0.0.1:", http_port_),
                           absl::StrCat("127.0.0.1:", e2e::FreePort())};
  Start("gateway", "gateway",
        {"--http_address=" + addresses_["gateway"].grpc,
         "--metrics_address=" + addresses_["gateway"].metrics, identity, link, calendar,
         notification, absl::StrCat("--payments_address=127.0.0.1:", e2e::FreePort())},
        /*grpc_service=*/false);
  core_services_ = {"notification", "identity", "link-verification", "calendar", "gateway"};
}

ServiceAddresses Portal::NewAddresses(const std::string& name) {
  ServiceAddresses addresses{absl::StrCat("127.0.0.1:", e2e::FreePort()),
                             absl::StrCat("127.0.0.1:", e2e::FreePort())};
  addresses_[name] = addresses;
  return addresses;
}

void Portal::Start(const std::string& name, const std::string& binary,
                   std::vector<std::string> args, bool grpc_service) {
  if (grpc_service) {
    const ServiceAddresses& addresses = addresses_.at(name);
    args.insert(args.begin(),
                {"--grpc_address=" + addresses.grpc, "--metrics_address=" + addresses.metrics,
                 "--data_dir=" + dir_.Path(name)});
  }
  args.insert(args.begin(), bin_dir_ + "/" + binary);
  processes_.push_back(std::make_unique<e2e::Process>(name, args, dir_.Path(name + ".log")));
  e2e::WaitUntilListening(*processes_.back(), 0, [this] { return Logs(); });
}

ServiceAddresses Portal::StartExtraLinkServer(const std::string& name) {
  ServiceAddresses addresses = NewAddresses(name);
  Start(name, "link-verification",
        {"--identity_address=" + addresses_["identity"].grpc,
         "--notification_address=" + addresses_["notification"].grpc,
         "--calendar_address=" + addresses_["calendar"].grpc, "--start_link_ms=0"},
        /*grpc_service=*/true);
  return addresses;
}

ServiceAddresses Portal::StartSmtpNotification(const std::string& name,
                                               const std::string& smtp_url) {
  ServiceAddresses addresses = NewAddresses(name);
  Start(name, "notification", {"--smtp_url=" + smtp_url}, /*grpc_service=*/true);
  return addresses;
}

pid_t Portal::Pid(const std::string& name) const {
  for (const auto& process : processes_) {
    if (process->name() == name) return process->pid();
  }
  return -1;
}

std::string Portal::OperatorToken() const {
  std::string token = ReadFile(dir_.Path("identity") + "/operator-token");
  absl::StripAsciiWhitespace(&token);
  return token;
}

std::string Portal::Logs() const {
  std::string logs;
  for (const auto& process : processes_) {
    std::string text = ReadFile(process->log());
    size_t tail = text.size() > 2000 ? text.size() - 2000 : 0;
    absl::StrAppend(&logs, "--- ", process->name(), "\n", text.substr(tail));
  }
  return logs;
}

int64_t ResidentBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kilobytes = 0;
    if (fields >> kilobytes) return kilobytes * 1024;
  }
  return -1;
}

}  // namespace pp::bench
