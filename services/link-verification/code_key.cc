#include "code_key.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "files/files.h"

namespace pp::link {

absl::StatusOr<std::string> LoadOrCreateCodeKey(const std::string& data_dir) {
  const std::string path = (std::filesystem::path(data_dir) / "code-key").string();
  // Several processes may start at once; exactly one creates the file.
  absl::Status created = CreateFileAtomically(path, crypto::RandomToken(32) + "\n", 0600);
  if (!created.ok() && created.code() != absl::StatusCode::kAlreadyExists) return created;

  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return absl::InternalError(absl::StrCat("cannot read the code key file ", path));
  std::string key(absl::StripAsciiWhitespace(text.str()));
  absl::StatusOr<std::string> decoded = crypto::Base64UrlDecode(key);
  if (!decoded.ok() || decoded->size() < 32) {
    return absl::InternalError(
        absl::StrCat("the code key file ", path,
                     " does not hold a base64url key of 32 bytes; remove it to make a new one "
                     "(codes already sent stop working)"));
  }
  return *decoded;
}

}  // namespace pp::link
