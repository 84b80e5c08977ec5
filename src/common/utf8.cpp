#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3 {

int utf8_sequence_length(unsigned char b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}

std::size_t utf8_valid_prefix(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char b = p[i];
    if (b < 0x80) {
      ++i;
      continue;
    }
    int len = utf8_sequence_length(b);
    if (len == 0 || i + len > n) return i;
    unsigned char b1 = p[i + 1];
    // Second-byte ranges exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4).
    unsigned char lo = 0x80, hi = 0xBF;
    if (b == 0xE0)
      lo = 0xA0;
    else if (b == 0xED)
      hi = 0x9F;
    else if (b == 0xF0)
      lo = 0x90;
    else if (b == 0xF4)
      hi = 0x8F;
    if (b1 < lo || b1 > hi) return i;
    for (int k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return i;
    i += len;
  }
  return i;
}

}  // namespace qwen3

namespace qwen3 {

std::string one_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto hex = [&](unsigned char b) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    out += "\\x";
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  };
  while (!text.empty()) {
    const std::string_view valid = text.substr(0, utf8_valid_prefix(text));
    // Runs of printable text are copied whole (messages are mostly that).
    std::size_t i = 0;
    while (i < valid.size()) {
      std::size_t j = i;
      while (j < valid.size() && static_cast<unsigned char>(valid[j]) >= 0x20 && valid[j] != 0x7F) ++j;
      out.append(valid.data() + i, j - i);
      if (j == valid.size()) break;
      const unsigned char c = static_cast<unsigned char>(valid[j]);
      if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else
        hex(c);
      i = j + 1;
    }
    text.remove_prefix(valid.size());
    if (!text.empty()) {
      hex(static_cast<unsigned char>(text[0]));
      text.remove_prefix(1);
    }
  }
  return out;
}

Error::Error(const std::string& message) : std::runtime_error(one_line(message)) {}
Error::Error(const char* message) : std::runtime_error(one_line(message)) {}

}  // namespace qwen3
