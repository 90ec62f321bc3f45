// Structured logging: one line per event on stderr, as key=value fields.
//
//   pp::log::Info("listening").Field("address", address);
//
// writes
//
//   ts=2026-12-04T15:53:06.123Z level=info event=listening address=127.0.0.1:50051
//
// Values that contain spaces, quotes or '=' are quoted. Never pass a
// password, code, token or a child's details as a field.
#ifndef PP_LOG_LOG_H_
#define PP_LOG_LOG_H_

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace pp::log {

enum class Level { kInfo, kWarning, kError };

// One log line, written when the object is destroyed.
class Line {
 public:
  Line(Level level, std::string_view event);
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;
  ~Line();

  Line& Field(std::string_view key, std::string_view value);
  Line& Field(std::string_view key, const char* value) {
    return Field(key, std::string_view(value));
  }
  Line& Field(std::string_view key, const std::string& value) {
    return Field(key, std::string_view(value));
  }
  // Debian's Abseil has its own string_view type, which absl::Status uses.
  Line& Field(std::string_view key, absl::string_view value) {
    return Field(key, std::string_view(value.data(), value.size()));
  }
  Line& Field(std::string_view key, int64_t value);
  Line& Field(std::string_view key, int value) { return Field(key, int64_t{value}); }
  Line& Field(std::string_view key, double value);

 private:
  std::ostringstream text_;
};

// Start, stop and configuration.
inline Line Info(std::string_view event) { return Line(Level::kInfo, event); }
// Degraded but still serving.
inline Line Warning(std::string_view event) { return Line(Level::kWarning, event); }
// Our own faults.
inline Line Error(std::string_view event) { return Line(Level::kError, event); }

// Makes a crash (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE) write the signal
// and a symbolised stack trace to stderr, beside the log lines, before the
// process ends with that signal. `program_path` is argv[0]. Call it first in
// main, before any thread starts.
void ReportCrashes(const char* program_path);

// Returns `value` as it appears in a line: bare, or quoted with '"' and '\'
// escaped when it is empty or holds a space, quote, '=' or control character.
std::string FormatValue(std::string_view value);

}  // namespace pp::log

#endif  // PP_LOG_LOG_H_
