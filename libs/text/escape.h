// Control characters made visible, for one-line messages that quote values
// from files or requests.
#ifndef PP_TEXT_ESCAPE_H_
#define PP_TEXT_ESCAPE_H_

#include <string>
#include <string_view>

namespace pp {

// Returns `text` with each control character replaced by an escape: \n, \r
// and \t by name, other C0 controls and DEL as \xNN, and the C1 controls
// U+0080 to U+009F as \uNNNN. Every other byte, including the rest of UTF-8
// and invalid bytes, is kept, so the result stays on one line.
std::string EscapeControlCharacters(std::string_view text);

}  // namespace pp

#endif  // PP_TEXT_ESCAPE_H_
