// Checking text for valid UTF-8 before it goes into a protobuf string field,
// which libprotobuf requires to be UTF-8.
#ifndef PP_TEXT_UTF8_H_
#define PP_TEXT_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace pp::text {

// Returns the offset of the first byte of `text` that is not part of a valid
// UTF-8 character, or std::string_view::npos when all of `text` is valid.
// Overlong forms, surrogates and code points above U+10FFFF are invalid, as
// ICU's U8_NEXT decides.
size_t FindInvalidUtf8(std::string_view text);

// Returns the longest start of `text` that has at most `max_bytes` bytes and
// does not cut a character in two, for quoting valid UTF-8 in a message.
std::string TruncateUtf8(std::string_view text, size_t max_bytes);

}  // namespace pp::text

#endif  // PP_TEXT_UTF8_H_
