#include "operator_token.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "crypto/crypto.h"
#include "files/files.h"

namespace pp::identity {
namespace {

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InternalError(absl::StrCat("cannot read the operator token file ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the operator token file ", path, " is empty: delete it to have a new token created"));
  }
  return token;
}

}  // namespace

absl::StatusOr<OperatorToken> LoadOrCreateOperatorToken(const std::string& path) {
  std::string token = crypto::RandomToken();
  absl::Status created = CreateFileAtomically(path, token + "\n", 0600);
  if (created.ok()) return OperatorToken{token, true};
  if (!absl::IsAlreadyExists(created)) return created;

  absl::StatusOr<std::string> existing = ReadToken(path);
  if (!existing.ok()) return existing.status();
  return OperatorToken{*existing, false};
}

}  // namespace pp::identity
