// Files that readers must see whole or not at all: the contents go to a
// temporary file in the same folder, are flushed to disk, and only then
// take the final name.
#ifndef PP_FILES_FILES_H_
#define PP_FILES_FILES_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace pp {

// Writes `contents` to `path` with permissions `mode`, replacing any file
// already there. The folder must exist. Fails with Internal, naming the
// path and the system error, when any step fails, and leaves no temporary file.
absl::Status WriteFileAtomically(const std::string& path, std::string_view contents,
                                 mode_t mode = 0600);

// Like WriteFileAtomically, but fails with AlreadyExists, leaving the file
// untouched, when `path` exists. Safe when several processes race: exactly
// one of them creates the file.
absl::Status CreateFileAtomically(const std::string& path, std::string_view contents,
                                  mode_t mode = 0600);

}  // namespace pp

#endif  // PP_FILES_FILES_H_
