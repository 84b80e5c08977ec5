#include "tokenizer/utf8_lossy.h"

#include "common/utf8.h"

namespace qwen3::tokenizer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Allowed range of the byte after `lead` (excludes overlongs, surrogates and
// code points above U+10FFFF); later continuation bytes are always 80..BF.
bool second_byte_ok(unsigned char lead, unsigned char b) {
  unsigned char lo = 0x80, hi = 0xBF;
  if (lead == 0xE0)
    lo = 0xA0;
  else if (lead == 0xED)
    hi = 0x9F;
  else if (lead == 0xF0)
    lo = 0x90;
  else if (lead == 0xF4)
    hi = 0x8F;
  return b >= lo && b <= hi;
}

// How many bytes from p[0] (at most n) form a prefix of a well-formed sequence.
std::size_t valid_prefix_of_sequence(const unsigned char* p, std::size_t n, int len) {
  std::size_t k = 1;
  if (k < n && static_cast<int>(k) < len && second_byte_ok(p[0], p[1])) {
    ++k;
    while (k < n && static_cast<int>(k) < len && (p[k] & 0xC0) == 0x80) ++k;
  }
  return k;
}

}  // namespace

void append_utf8_lossy(std::string& out, std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size(), i = 0, run = 0;  // [run, i) is valid, not yet copied
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    int len = utf8_sequence_length(p[i]);
    std::size_t have = len ? valid_prefix_of_sequence(p + i, n - i, len) : 1;
    if (len && static_cast<int>(have) == len) {
      i += have;
      continue;
    }
    out.append(bytes.data() + run, i - run);
    out += kReplacement;
    i += have;
    run = i;
  }
  out.append(bytes.data() + run, n - run);
}

std::size_t incomplete_utf8_tail(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  for (std::size_t t = 1; t <= 3 && t <= n; ++t) {
    const unsigned char* s = p + (n - t);
    int len = utf8_sequence_length(*s);
    if (len == 0) continue;  // a continuation byte: look further back
    if (len > static_cast<int>(t) && valid_prefix_of_sequence(s, t, len) == t) return t;
    return 0;  // a lead byte whose sequence is complete or already broken
  }
  return 0;
}

}  // namespace qwen3::tokenizer
