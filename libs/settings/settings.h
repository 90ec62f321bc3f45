// Settings for a binary: each is a command-line flag (--data_dir=var/x or
// --data_dir var/x) with an environment fallback (PP_DATA_DIR). A flag wins
// over the environment, and the environment over the default. A flag may
// spell the name with hyphens (--data-dir).
#ifndef PP_SETTINGS_SETTINGS_H_
#define PP_SETTINGS_SETTINGS_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace pp {

class Settings {
 public:
  // Looks up an environment variable; returns nullopt when it is unset.
  using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

  Settings(std::string program, std::string summary);

  // Declares a setting. Names are snake_case; the environment variable is
  // PP_ followed by the name in upper case.
  void AddString(const std::string& name, const std::string& default_value,
                 const std::string& help);
  void AddInt(const std::string& name, int default_value, const std::string& help);

  // Reads `args` (without the program name) and then `env`. Returns
  // InvalidArgument for an unknown flag, a flag without a value or a value
  // that is not a number where one is expected. Arguments that are not
  // flags are kept, in order, in Positional().
  absl::Status Parse(const std::vector<std::string>& args, const EnvLookup& env);

  // Parses the process's arguments and environment. On --help prints the
  // settings and exits 0; on an error prints it with a hint and exits 2.
  void ParseOrExit(int argc, char** argv);

  // The value of a declared setting. Asking for an undeclared one is a
  // programming error and aborts.
  const std::string& GetString(const std::string& name) const;
  int GetInt(const std::string& name) const;
  // True when a flag or the environment gave the setting a value, even one
  // equal to its default.
  bool IsGiven(const std::string& name) const;
  const std::vector<std::string>& Positional() const { return positional_; }

  std::string Help() const;

 private:
  struct Entry {
    std::string value;
    std::string help;
    bool is_int = false;
    bool set_by_user = false;
  };
  absl::Status Set(const std::string& name, const std::string& value, const std::string& source);

  std::string program_;
  std::string summary_;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> positional_;
};

// Returns the environment variable's value, or nullopt when it is unset.
std::optional<std::string> ProcessEnv(const std::string& name);

}  // namespace pp

#endif  // PP_SETTINGS_SETTINGS_H_
