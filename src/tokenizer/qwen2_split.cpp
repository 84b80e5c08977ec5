#include "tokenizer/qwen2_split.h"

#include <unicode/uchar.h>

#include <array>
#include <cstdint>

namespace qwen3::tokenizer {
namespace {

enum : std::uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kNewline = 8 };

struct Char {
  std::uint8_t len;  // bytes
  std::uint8_t cls;  // kLetter | kNumber | kSpace | kNewline
};

std::uint8_t classify(UChar32 cp) {
  std::uint8_t cls = 0;
  switch (u_charType(cp)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      cls |= kLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      cls |= kNumber;
      break;
    default:
      break;
  }
  if (u_isUWhiteSpace(cp)) cls |= kSpace;
  if (cp == '\r' || cp == '\n') cls |= kNewline;
  return cls;
}

const std::array<std::uint8_t, 128>& ascii_classes() {
  static const std::array<std::uint8_t, 128> table = [] {
    std::array<std::uint8_t, 128> t{};
    for (int c = 0; c < 128; ++c) t[c] = classify(c);
    return t;
  }();
  return table;
}

class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), n_(text.size()), ascii_(ascii_classes()) {}

  Char at(std::size_t i) const {
    unsigned char b = p_[i];
    if (b < 0x80) return {1, ascii_[b]};
    UChar32 cp;
    std::uint8_t len;
    if (b < 0xE0) {
      cp = ((b & 0x1F) << 6) | (p_[i + 1] & 0x3F);
      len = 2;
    } else if (b < 0xF0) {
      cp = ((b & 0x0F) << 12) | ((p_[i + 1] & 0x3F) << 6) | (p_[i + 2] & 0x3F);
      len = 3;
    } else {
      cp = ((b & 0x07) << 18) | ((p_[i + 1] & 0x3F) << 12) | ((p_[i + 2] & 0x3F) << 6) | (p_[i + 3] & 0x3F);
      len = 4;
    }
    return {len, classify(cp)};
  }

  static bool punct(Char c) { return (c.cls & (kLetter | kNumber | kSpace)) == 0; }

  // End of the run of characters starting at i for which pred holds.
  template <class Pred>
  std::size_t run_end(std::size_t i, Pred pred) const {
    while (i < n_) {
      Char c = at(i);
      if (!pred(c)) break;
      i += c.len;
    }
    return i;
  }

  // End of the match starting at i (i < n), trying the alternatives in order.
  std::size_t match(std::size_t i) const {
    Char c = at(i);
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (p_[i] == '\'' && i + 1 < n_) {
      unsigned char a = lower(p_[i + 1]);
      if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
      if (i + 2 < n_) {
        unsigned char b = lower(p_[i + 2]);
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
      }
    }
    auto letter = [](Char x) { return (x.cls & kLetter) != 0; };
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c.cls & kLetter) return run_end(i + c.len, letter);
    if (!(c.cls & (kNumber | kNewline)) && i + c.len < n_ && letter(at(i + c.len))) return run_end(i + c.len, letter);
    // \p{N}
    if (c.cls & kNumber) return i + c.len;
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    std::size_t j = i;
    if (p_[i] == ' ' && i + 1 < n_ && punct(at(i + 1))) j = i + 1;
    if (j != i || punct(c)) {
      j = run_end(j, punct);
      while (j < n_ && (p_[j] == '\r' || p_[j] == '\n')) ++j;
      return j;
    }
    // Here c is white space. The run of white space [i, end):
    std::size_t end = i, last_start = i, after_newline = 0;
    while (end < n_) {
      Char w = at(end);
      if (!(w.cls & kSpace)) break;
      if (w.cls & kNewline) after_newline = end + 1;
      last_start = end;
      end += w.len;
    }
    // \s*[\r\n]+ : backtracking \s* stops at the run's last CR/LF.
    if (after_newline) return after_newline;
    // \s+(?!\S) : the whole run at the end of the text, else all but its last
    // character (which is followed by white space) if that leaves anything.
    if (end == n_) return end;
    if (last_start > i) return last_start;
    // \s+
    return end;
  }

 private:
  static unsigned char lower(unsigned char b) { return (b >= 'A' && b <= 'Z') ? b + 32 : b; }

  const unsigned char* p_;
  std::size_t n_;
  const std::array<std::uint8_t, 128>& ascii_;
};

}  // namespace

void qwen2_split(std::string_view text, std::vector<Piece>& pieces) {
  Scanner scanner(text);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = scanner.match(i);
    pieces.push_back({i, end});
    i = end;
  }
}

}  // namespace qwen3::tokenizer
