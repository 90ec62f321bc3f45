#include "log/log.h"

#include <iostream>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace pp::log {
namespace {

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string FormatValue(std::string_view value) {
  if (!NeedsQuotes(value)) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      quoted += ' ';
    } else {
      quoted += c;
    }
  }
  quoted += '"';
  return quoted;
}

Line::Line(Level level, std::string_view event) {
  text_ << "ts=" << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())
        << " level=" << LevelName(level) << " event=" << FormatValue(event);
}

Line::~Line() {
  static std::mutex* output_mutex = new std::mutex;
  text_ << '\n';
  std::lock_guard<std::mutex> lock(*output_mutex);
  std::cerr << text_.str() << std::flush;
}

Line& Line::Field(std::string_view key, std::string_view value) {
  text_ << ' ' << key << '=' << FormatValue(value);
  return *this;
}

Line& Line::Field(std::string_view key, int64_t value) {
  text_ << ' ' << key << '=' << value;
  return *this;
}

Line& Line::Field(std::string_view key, double value) {
  text_ << ' ' << key << '=' << value;
  return *this;
}

}  // namespace pp::log
