// Checks on UTF-8 text from callers.
#ifndef PP_SERVICES_NOTIFICATION_UTF8_H_
#define PP_SERVICES_NOTIFICATION_UTF8_H_

#include <cstdint>
#include <string>

namespace pp::notification {

// Returns the number of characters in `text`, or -1 when it is not valid
// UTF-8 or contains a control character other than line breaks and tabs.
int64_t CountCharacters(const std::string& text);

// Returns true when `text` (valid UTF-8) contains a character of a
// right-to-left script: Hebrew, Arabic, Syriac, Thaana, N'Ko and their
// presentation forms.
bool HasRightToLeft(const std::string& text);

}  // namespace pp::notification

#endif  // PP_SERVICES_NOTIFICATION_UTF8_H_
