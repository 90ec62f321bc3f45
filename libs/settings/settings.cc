#include "settings/settings.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace pp {

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Settings::Settings(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void Settings::AddString(const std::string& name, const std::string& default_value,
                         const std::string& help) {
  entries_[name] = Entry{default_value, help, false};
}

void Settings::AddInt(const std::string& name, int default_value, const std::string& help) {
  entries_[name] = Entry{std::to_string(default_value), help, true};
}

absl::Status Settings::Set(const std::string& name, const std::string& value,
                           const std::string& source) {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown setting ", source));
  }
  int number = 0;
  if (it->second.is_int && !absl::SimpleAtoi(value, &number)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid value \"", value, "\" for ", source,
                     ": expected a whole number from -2147483648 to 2147483647"));
  }
  it->second.value = value;
  it->second.set_by_user = true;
  return absl::OkStatus();
}

absl::Status Settings::Parse(const std::vector<std::string>& args, const EnvLookup& env) {
  // Flags are read first so that they win over the environment.
  std::set<std::string> from_flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    size_t equals = name.find('=');
    const bool inline_value = equals != std::string::npos;
    if (inline_value) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    // --category-map and --category_map name the same setting.
    std::string flag = "--" + name;
    std::replace(name.begin(), name.end(), '-', '_');
    if (!inline_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            entries_.count(name) == 0 ? "unknown setting " : "missing value for ", flag));
      }
      value = args[++i];
    }
    if (absl::Status status = Set(name, value, flag); !status.ok()) return status;
    from_flags.insert(name);
  }

  for (const auto& [name, entry] : entries_) {
    if (from_flags.count(name) > 0) continue;
    std::string variable = "PP_" + absl::AsciiStrToUpper(name);
    std::optional<std::string> value = env(variable);
    if (!value.has_value()) continue;
    if (absl::Status status = Set(name, *value, variable); !status.ok()) return status;
  }
  return absl::OkStatus();
}

void Settings::ParseOrExit(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::cout << Help();
      std::exit(0);
    }
  }
  if (absl::Status status = Parse(args, ProcessEnv); !status.ok()) {
    std::cerr << program_ << ": " << status.message() << "\nRun " << program_
              << " --help to list the settings.\n";
    std::exit(2);
  }
}

const std::string& Settings::GetString(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::cerr << "setting " << name << " was read but never declared\n";
    std::abort();
  }
  return it->second.value;
}

int Settings::GetInt(const std::string& name) const {
  int number = 0;
  if (!absl::SimpleAtoi(GetString(name), &number)) std::abort();
  return number;
}

bool Settings::IsGiven(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) std::abort();
  return it->second.set_by_user;
}

std::string Settings::Help() const {
  std::string text = absl::StrCat(program_, ": ", summary_,
                                  "\n\nSettings (flag, environment variable, default):\n");
  for (const auto& [name, entry] : entries_) {
    absl::StrAppend(&text, "  --", name, ", PP_", absl::AsciiStrToUpper(name), ", \"", entry.value,
                    "\"\n      ", entry.help, "\n");
  }
  return text;
}

}  // namespace pp
