#include "files/files.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "testing/temp_dir.h"

namespace {

mode_t ModeOf(const std::string& path) {
  struct stat info;
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

size_t FilesIn(const std::string& folder) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    (void)entry;
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("atomic write replaces a file and sets its mode") {
  pp::TempDir dir;
  std::string path = dir.Path("token");
  REQUIRE(pp::WriteFileAtomically(path, "first", 0600).ok());
  REQUIRE(pp::WriteFileAtomically(path, "second", 0640).ok());
  CHECK(pp::ReadFile(path) == "second");
  CHECK(ModeOf(path) == 0640);
  CHECK(FilesIn(dir.path()) == 1);
}

TEST_CASE("atomic write into a missing folder fails") {
  pp::TempDir dir;
  absl::Status status = pp::WriteFileAtomically(dir.Path("missing/token"), "x");
  CHECK(status.code() == absl::StatusCode::kInternal);
}

TEST_CASE("atomic create keeps an existing file") {
  pp::TempDir dir;
  std::string path = dir.Path("token");
  REQUIRE(pp::CreateFileAtomically(path, "first").ok());
  CHECK(ModeOf(path) == 0600);
  absl::Status second = pp::CreateFileAtomically(path, "second");
  CHECK(second.code() == absl::StatusCode::kAlreadyExists);
  CHECK(pp::ReadFile(path) == "first");
  CHECK(FilesIn(dir.path()) == 1);
}
