#include "utf8.h"

namespace pp::notification {
namespace {

// Returns the length of the UTF-8 sequence led by `lead`, or 0 when `lead`
// cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 0;
}

// Decodes the code point starting at `text[i]`; the sequence must be valid.
uint32_t DecodeAt(const std::string& text, size_t i, size_t length) {
  uint32_t lead = static_cast<unsigned char>(text[i]);
  uint32_t point = length == 1   ? lead
                   : length == 2 ? lead & 0x1F
                   : length == 3 ? lead & 0x0F
                                 : lead & 0x07;
  for (size_t k = 1; k < length; ++k) {
    point = (point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  }
  return point;
}

}  // namespace

int64_t CountCharacters(const std::string& text) {
  int64_t count = 0;
  size_t i = 0;
  while (i < text.size()) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = SequenceLength(lead);
    if (length == 0 || i + length > text.size()) return -1;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return -1;
    }
    if (length == 1 && (lead < ' ' || lead == 0x7f) && lead != '\n' && lead != '\r' &&
        lead != '\t') {
      return -1;
    }
    i += length;
    ++count;
  }
  return count;
}

bool HasRightToLeft(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t length = SequenceLength(static_cast<unsigned char>(text[i]));
    if (length == 0 || i + length > text.size()) return false;
    uint32_t point = DecodeAt(text, i, length);
    if ((point >= 0x0590 && point <= 0x08FF) || (point >= 0xFB1D && point <= 0xFDFF) ||
        (point >= 0xFE70 && point <= 0xFEFF)) {
      return true;
    }
    i += length;
  }
  return false;
}

}  // namespace pp::notification
