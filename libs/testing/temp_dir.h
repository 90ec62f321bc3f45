// A folder for one test's files, deleted with everything in it at the end of
// the test.
#ifndef PP_TESTING_TEMP_DIR_H_
#define PP_TESTING_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace pp {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Returns the path of `name` inside the folder.
  std::string Path(std::string_view name) const;
  void WriteFile(std::string_view name, std::string_view contents) const;

 private:
  std::string path_;
};

// Returns the whole contents of a file, or an empty string if it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace pp

#endif  // PP_TESTING_TEMP_DIR_H_
