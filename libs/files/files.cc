#include "files/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace pp {
namespace {

absl::Status SystemError(std::string_view step, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(std::string(step), " ", path, " failed: ", std::strerror(errno)));
}

// Returns the folder of `path`, "." when it has none.
std::string FolderOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes `contents` to a new temporary file beside `path` and flushes it.
// Stores the temporary file's name in `temporary`.
absl::Status WriteTemporary(const std::string& path, std::string_view contents, mode_t mode,
                            std::string& temporary) {
  temporary = absl::StrCat(path, ".tmp-XXXXXX");
  int fd = mkstemp(temporary.data());
  if (fd < 0) return SystemError("creating a temporary file for", path);

  absl::Status status = absl::OkStatus();
  if (fchmod(fd, mode) != 0) status = SystemError("setting the mode of", temporary);
  size_t written = 0;
  while (status.ok() && written < contents.size()) {
    ssize_t n = write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) status = SystemError("writing", temporary);
    if (n > 0) written += static_cast<size_t>(n);
  }
  if (status.ok() && fsync(fd) != 0) status = SystemError("flushing", temporary);
  if (close(fd) != 0 && status.ok()) status = SystemError("closing", temporary);
  if (!status.ok()) unlink(temporary.c_str());
  return status;
}

// Flushes the folder entry so that the new name survives a power cut.
void SyncFolder(const std::string& path) {
  int fd = open(FolderOf(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  std::string temporary;
  if (absl::Status status = WriteTemporary(path, contents, mode, temporary); !status.ok()) {
    return status;
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    absl::Status status = SystemError("renaming a temporary file to", path);
    unlink(temporary.c_str());
    return status;
  }
  SyncFolder(path);
  return absl::OkStatus();
}

absl::Status CreateFileAtomically(const std::string& path, std::string_view contents, mode_t mode) {
  std::string temporary;
  if (absl::Status status = WriteTemporary(path, contents, mode, temporary); !status.ok()) {
    return status;
  }
  // link() fails when the name exists, unlike rename(), so that a file
  // another process created first is never replaced.
  int result = link(temporary.c_str(), path.c_str());
  int link_errno = errno;
  unlink(temporary.c_str());
  if (result != 0) {
    errno = link_errno;
    if (link_errno == EEXIST) return absl::AlreadyExistsError(absl::StrCat(path, " exists"));
    return SystemError("linking a temporary file to", path);
  }
  SyncFolder(path);
  return absl::OkStatus();
}

}  // namespace pp
