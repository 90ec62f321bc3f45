// The one mapping from a service's status code to the HTTP status of the
// page the gateway returns.
#ifndef PP_GATEWAY_HTTP_STATUS_H_
#define PP_GATEWAY_HTTP_STATUS_H_

#include <httplib.h>

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace pp::gateway {

// Returns the HTTP status for a page that reports `code`. Form errors
// (INVALID_ARGUMENT, OUT_OF_RANGE) are 422 because the form is shown again
// with the message. A service that is down or slow is 503.
int HttpStatusFor(absl::StatusCode code);

// Returns true for the codes a service uses to reject what the parent typed
// (INVALID_ARGUMENT, OUT_OF_RANGE, ALREADY_EXISTS, FAILED_PRECONDITION,
// PERMISSION_DENIED, RESOURCE_EXHAUSTED): the form is shown again with the
// service's message.
bool IsFormError(absl::StatusCode code);

// Returns a Retry-After header's value for `wait`: whole seconds, rounded
// up, at least 1.
std::string RetryAfterValue(absl::Duration wait);

// Sets the Retry-After header when `status` is RESOURCE_EXHAUSTED and the
// service gave a retry delay (WithRetryDelay), such as a locked account's.
void SetRetryAfter(const absl::Status& status, httplib::Response& response);

}  // namespace pp::gateway

#endif  // PP_GATEWAY_HTTP_STATUS_H_
