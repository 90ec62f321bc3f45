// Control characters made visible, for one-line messages that quote values
// from files or requests.
#ifndef PP_TEXT_ESCAPE_H_
#define PP_TEXT_ESCAPE_H_

#include <string>
#include <string_view>

namespace pp {

// Returns `text` with each control character replaced by an escape. \n, \r
// and \t are escaped by name, and other C0 controls and DEL as \xNN. The C1
// controls U+0080 to U+009F become \uNNNN, and so do the line and paragraph
// separators U+2028 and U+2029 and the bidirectional formatting characters
// (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), which would
// reorder the text after them on a terminal. Every other byte, including the
// rest of UTF-8 and invalid bytes, is kept. So the result stays on one line
// and reads in its own order.
std::string EscapeControlCharacters(std::string_view text);

}  // namespace pp

#endif  // PP_TEXT_ESCAPE_H_
