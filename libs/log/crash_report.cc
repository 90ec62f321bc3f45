#include "absl/debugging/failure_signal_handler.h"
#include "absl/debugging/symbolize.h"
#include "log/log.h"

namespace pp::log {

void ReportCrashes(const char* program_path) {
  absl::InitializeSymbolizer(program_path);
  absl::FailureSignalHandlerOptions options;
  // After the report the default action ends the process with the same
  // signal, so the exit status still shows the cause.
  options.call_previous_handler = false;
  absl::InstallFailureSignalHandler(options);
}

}  // namespace pp::log
