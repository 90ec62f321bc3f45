// Message templates, one file per message kind in a folder:
// <kind>.tmpl (one_time_password.tmpl, link_approved.tmpl, ...). A file is
//
//   subject: Your Parents Portal account
//   --- text
//   Hello {{parent_name}}, ...
//   --- html
//   <p>Hello {{parent_name}}, ...</p>
//   --- sms
//   Parents Portal: ...
//
// and {{name}} placeholders take values from the Send request's template
// data. Values are UTF-8 in any script. In the HTML part they are escaped
// and names are isolated with <bdi>; in text, a value with right-to-left
// characters is wrapped in Unicode isolates (U+2068, U+2069) so it cannot
// reorder the words around it. A value under a key ending in "_at" is an
// RFC 3339 time and is shown in Europe/London time.
#ifndef PP_SERVICES_NOTIFICATION_TEMPLATES_H_
#define PP_SERVICES_NOTIFICATION_TEMPLATES_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "notification_store.h"

namespace pp::notification {

struct RenderedMessage {
  std::string subject;
  std::string text;
  std::string html;
  std::string sms;
};

class Templates {
 public:
  // Reads every kind's template from `dir`. Fails with FailedPrecondition
  // naming the file when one is missing or malformed. `london` is the time
  // zone of times in messages.
  static absl::StatusOr<Templates> Load(const std::string& dir, absl::TimeZone london);

  // Renders `kind`'s template with `data`. InvalidArgument when a
  // placeholder has no value, or a value is not one line of UTF-8 text of
  // at most 200 characters, or an "_at" value is not an RFC 3339 time.
  absl::StatusOr<RenderedMessage> Render(MessageKind kind,
                                         const std::map<std::string, std::string>& data) const;

 private:
  struct Template {
    std::string subject;
    std::string text;
    std::string html;
    std::string sms;
  };

  Templates() = default;

  std::map<MessageKind, Template> templates_;
  absl::TimeZone london_;
};

// Returns `when` as a parent reads it in `zone`: "Friday 4 December 2026,
// 16:00".
std::string FormatLocalTime(absl::Time when, absl::TimeZone zone);

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_TEMPLATES_H_
