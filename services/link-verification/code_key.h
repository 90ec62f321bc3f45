// The secret that keys the stored HMACs of security codes. It lives in its
// own file beside the database, so that a copy of the database alone does
// not let anyone test codes against it.
#ifndef PP_LINK_CODE_KEY_H_
#define PP_LINK_CODE_KEY_H_

#include <string>

#include "absl/status/statusor.h"

namespace pp::link {

// Returns the key in `<data_dir>/code-key`, creating it (32 random bytes,
// mode 0600) on first use. Fails with Internal when the file cannot be
// read or written, or holds something other than a key.
absl::StatusOr<std::string> LoadOrCreateCodeKey(const std::string& data_dir);

}  // namespace pp::link

#endif  // PP_LINK_CODE_KEY_H_
