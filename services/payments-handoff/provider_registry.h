// The payment providers and the schools that use them, read from a JSON
// file (the ProvidersFile message of payments.proto) and replaced whole on
// reload.
#ifndef PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_REGISTRY_H_
#define PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_REGISTRY_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "parentsportal/payments.pb.h"

namespace pp::payments {

namespace api = parentsportal::payments::v1;

// The services a parent can pay for.
inline constexpr const char* kServices[] = {"school-meals", "trips"};

// One validated configuration: providers by id, and which provider takes
// each (school, service).
struct ProviderTable {
  std::map<std::string, api::ProviderConfig> by_id;
  std::map<std::pair<std::string, std::string>, std::string> by_school_service;
};

// Parses and validates a providers file's text. InvalidArgument names the
// provider and field at fault: an id that is not lower-case letters,
// digits and '-', a repeated id, a hand-off address that is neither https
// nor http on loopback, a missing audience or display name, a callback
// secret under 32 characters, a school that is not 7 digits, an unknown
// service, or a school and service that two providers claim.
absl::StatusOr<ProviderTable> ParseProviders(const std::string& json);

class ProviderRegistry {
 public:
  // Reads `path`. Fails as ParseProviders does, or with Unavailable when
  // the file cannot be read.
  static absl::StatusOr<std::unique_ptr<ProviderRegistry>> Load(const std::string& path);

  explicit ProviderRegistry(ProviderTable table, std::string path = "")
      : path_(std::move(path)), table_(std::move(table)) {}

  // Reads the file again and replaces the table. On failure the table in
  // use stays and the error is returned.
  absl::Status Reload();

  // Returns the provider that takes `service` at `seed_code`, or nullopt.
  std::optional<api::ProviderConfig> ForSchool(const std::string& seed_code,
                                               const std::string& service) const;
  // Returns the provider with `id`, or nullopt.
  std::optional<api::ProviderConfig> ById(const std::string& id) const;

 private:
  const std::string path_;
  mutable absl::Mutex mutex_;
  ProviderTable table_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace pp::payments

#endif  // PP_SERVICES_PAYMENTS_HANDOFF_PROVIDER_REGISTRY_H_
