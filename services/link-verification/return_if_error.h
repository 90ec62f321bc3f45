// Debian's Abseil (20220623) has no status macros, so the service keeps one.
#ifndef PP_LINK_RETURN_IF_ERROR_H_
#define PP_LINK_RETURN_IF_ERROR_H_

#include "absl/status/status.h"

// Evaluates `expr`, an absl::Status, and returns it from the calling function
// when it is not OK.
#define LINK_RETURN_IF_ERROR(expr)                         \
  do {                                                     \
    absl::Status link_step_status_ = (expr);               \
    if (!link_step_status_.ok()) return link_step_status_; \
  } while (false)

#endif  // PP_LINK_RETURN_IF_ERROR_H_
