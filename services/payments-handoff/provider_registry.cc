#include "provider_registry.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace pp::payments {
namespace {

// The shortest callback secret accepted: 32 characters of a random token
// carry at least 128 bits.
constexpr size_t kMinSecretLength = 32;

bool IsProviderId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  });
}

bool IsSeedCode(const std::string& code) {
  return code.size() == 7 &&
         std::all_of(code.begin(), code.end(), [](char c) { return absl::ascii_isdigit(c); });
}

bool IsKnownService(const std::string& service) {
  for (const char* known : kServices) {
    if (service == known) return true;
  }
  return false;
}

// Plain http would expose the assertion on the network, so it is accepted
// only for a provider on this machine.
bool IsAllowedHandoffUrl(const std::string& url) {
  // A user name before '@' would make "http://127.0.0.1:1@host" leave this
  // machine.
  if (url.find_first_of("@ \t\r\n") != std::string::npos) return false;
  if (absl::StartsWith(url, "https://") && url.size() > 8) return true;
  return absl::StartsWith(url, "http://127.0.0.1:") || absl::StartsWith(url, "http://127.0.0.1/") ||
         absl::StartsWith(url, "http://localhost:") || absl::StartsWith(url, "http://localhost/");
}

absl::Status ValidateProvider(const api::ProviderConfig& provider) {
  std::string where = absl::StrCat("provider \"", provider.id(), "\": ");
  if (!IsProviderId(provider.id())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, "`id` must be 1 to 64 lower-case letters, digits and '-'"));
  }
  if (provider.display_name().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "`display_name` is missing"));
  }
  if (!IsAllowedHandoffUrl(provider.handoff_url())) {
    return absl::InvalidArgumentError(absl::StrCat(
        where, "`handoff_url` must be an https address, or http on 127.0.0.1 or localhost"));
  }
  if (provider.audience().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, "`audience` is missing"));
  }
  if (provider.callback_secret().size() < kMinSecretLength) {
    return absl::InvalidArgumentError(absl::StrCat(where, "`callback_secret` must be at least ",
                                                   kMinSecretLength, " characters"));
  }
  for (const std::string& school : provider.schools()) {
    if (!IsSeedCode(school)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "school \"", school, "\" is not a 7-digit SEED code"));
    }
  }
  for (const std::string& service : provider.services()) {
    if (!IsKnownService(service)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "service \"", service, "\" is not one of school-meals and trips"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProviderTable> ParseProviders(const std::string& json) {
  api::ProvidersFile file;
  auto parsed = google::protobuf::util::JsonStringToMessage(json, &file);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the providers file is not valid: ", parsed.ToString()));
  }

  ProviderTable table;
  for (const api::ProviderConfig& provider : file.providers()) {
    if (absl::Status status = ValidateProvider(provider); !status.ok()) return status;
    if (!table.by_id.emplace(provider.id(), provider).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("provider \"", provider.id(), "\" appears twice"));
    }
    for (const std::string& school : provider.schools()) {
      for (const std::string& service : provider.services()) {
        auto [it, added] =
            table.by_school_service.emplace(std::pair(school, service), provider.id());
        if (!added) {
          return absl::InvalidArgumentError(absl::StrCat("school ", school,
                                                         " has two providers for ", service, ": ",
                                                         it->second, " and ", provider.id()));
        }
      }
    }
  }
  return table;
}

absl::StatusOr<std::unique_ptr<ProviderRegistry>> ProviderRegistry::Load(const std::string& path) {
  auto registry = std::make_unique<ProviderRegistry>(ProviderTable{}, path);
  if (absl::Status status = registry->Reload(); !status.ok()) return status;
  return registry;
}

absl::Status ProviderRegistry::Reload() {
  std::ifstream file(path_);
  if (!file) {
    return absl::UnavailableError(absl::StrCat("cannot read the providers file ", path_));
  }
  std::stringstream text;
  text << file.rdbuf();
  absl::StatusOr<ProviderTable> table = ParseProviders(text.str());
  if (!table.ok()) {
    return absl::Status(table.status().code(),
                        absl::StrCat(path_, ": ", std::string(table.status().message())));
  }
  absl::MutexLock lock(&mutex_);
  table_ = std::move(*table);
  return absl::OkStatus();
}

std::optional<api::ProviderConfig> ProviderRegistry::ForSchool(const std::string& seed_code,
                                                               const std::string& service) const {
  absl::MutexLock lock(&mutex_);
  auto found = table_.by_school_service.find({seed_code, service});
  if (found == table_.by_school_service.end()) return std::nullopt;
  return table_.by_id.at(found->second);
}

std::optional<api::ProviderConfig> ProviderRegistry::ById(const std::string& id) const {
  absl::MutexLock lock(&mutex_);
  auto found = table_.by_id.find(id);
  if (found == table_.by_id.end()) return std::nullopt;
  return found->second;
}

}  // namespace pp::payments
