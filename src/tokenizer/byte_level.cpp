#include "tokenizer/byte_level.h"

namespace qwen3::tokenizer {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else {  // the alphabet only needs code points below U+0800
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

ByteLevelAlphabet::ByteLevelAlphabet() {
  byte_of_.fill(-1);
  // Printable Latin-1 bytes stand for themselves; the other 68 (controls,
  // space, DEL, NBSP, soft hyphen...) are moved to U+0100 onwards in byte order.
  std::uint32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    std::uint32_t cp = printable ? static_cast<std::uint32_t>(b) : next++;
    append_utf8(chars_[b], cp);
    byte_of_[cp] = static_cast<std::int16_t>(b);
  }
}

std::optional<std::string> ByteLevelAlphabet::to_bytes(std::string_view token) const {
  std::string out;
  out.reserve(token.size());
  const auto* p = reinterpret_cast<const unsigned char*>(token.data());
  std::size_t i = 0, n = token.size();
  while (i < n) {
    std::uint32_t cp;
    if (p[i] < 0x80) {
      cp = p[i];
      i += 1;
    } else if ((p[i] & 0xE0) == 0xC0 && i + 1 < n && (p[i + 1] & 0xC0) == 0x80) {
      cp = ((p[i] & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
      i += 2;
    } else {
      return std::nullopt;  // three- and four-byte characters are never in the alphabet
    }
    if (cp >= byte_of_.size() || byte_of_[cp] < 0) return std::nullopt;
    out += static_cast<char>(byte_of_[cp]);
  }
  return out;
}

const ByteLevelAlphabet& byte_level_alphabet() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

}  // namespace qwen3::tokenizer
