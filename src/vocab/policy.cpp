// Policies are data: a spec string of '+'-joined terms (built-in names, class
// names, code points and ranges). The built-in policies are themselves specs,
// so adding one is adding a row to kBuiltins.
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>

#include "common/utf8.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {
namespace {

const std::vector<BuiltinPolicy> kBuiltins = {
    {"ascii", "U+0009+U+000A+U+000D+U+0020-U+007E", "printable ASCII plus tab, newline and carriage return"},
    // Latin-1 Supplement without the invisible soft hyphen (U+00AD), the
    // dashes, curly quotes, bullet and ellipsis of typeset English, the euro
    // and trade mark signs.
    {"latin", "ascii+U+00A0-U+00AC+U+00AE-U+00FF+U+2013-U+2014+U+2018-U+2019+U+201C-U+201D+U+2022+U+2026+U+20AC+U+2122",
     "ascii plus Latin-1 letters and signs (U+00A0-U+00FF but U+00AD), – — ‘ ’ “ ” • … € ™"},
};

bool never_allowed(TokenClass c) {
  return c == TokenClass::kSpecial || c == TokenClass::kUnused || c == TokenClass::kPartialUtf8;
}

std::string accepted_terms() {
  std::string names;
  for (const auto& b : kBuiltins) names += std::string(b.name) + ", ";
  return names + "a class name (emoji, greek, ascii_letters, ...) or a code point U+XXXX / range U+XXXX-U+YYYY";
}

class SpecParser {
 public:
  SpecParser(std::string_view whole, std::vector<CodePointRange>& ranges, std::array<bool, kClassCount>& classes)
      : whole_(whole), ranges_(ranges), classes_(classes) {}

  void parse(std::string_view spec, int depth) {
    if (spec.empty()) fail("empty policy");
    std::size_t i = 0;
    while (true) {
      if (i >= spec.size() || spec[i] == '+') fail("empty term");
      if (starts_code_point(spec, i)) {
        char32_t first = read_code_point(spec, i);
        char32_t last = first;
        if (i < spec.size() && spec[i] == '-') {
          ++i;
          if (!starts_code_point(spec, i)) fail("range needs U+XXXX after '-'");
          last = read_code_point(spec, i);
          if (last < first) fail("range ends before it starts");
        }
        ranges_.push_back({first, last});
      } else {
        std::size_t end = spec.find('+', i);
        if (end == std::string_view::npos) end = spec.size();
        add_name(spec.substr(i, end - i), depth);
        i = end;
      }
      if (i == spec.size()) return;
      if (spec[i] != '+') fail("expected '+' at \"" + std::string(spec.substr(i)) + "\"");
      ++i;
    }
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    // The spec is what the user typed (a request, a file): one line still.
    throw Error(one_line("vocab policy \"" + std::string(whole_) + "\": " + why) +
                " (accepted terms: " + accepted_terms() + ")");
  }

  static bool starts_code_point(std::string_view s, std::size_t i) {
    return i + 2 < s.size() && (s[i] == 'U' || s[i] == 'u') && s[i + 1] == '+' &&
           std::isxdigit(static_cast<unsigned char>(s[i + 2]));
  }

  char32_t read_code_point(std::string_view s, std::size_t& i) const {
    i += 2;
    std::size_t start = i;
    unsigned long value = 0;
    while (i < s.size() && std::isxdigit(static_cast<unsigned char>(s[i])) && i - start < 7) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      value = value * 16 + static_cast<unsigned long>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++i;
    }
    if (i - start > 6 || value > 0x10FFFF)
      fail("code point U+" + std::string(s.substr(start, i - start)) + " is above U+10FFFF");
    return static_cast<char32_t>(value);
  }

  void add_name(std::string_view name, int depth) {
    for (const auto& b : kBuiltins) {
      if (b.name != name) continue;
      if (depth > 8) fail("built-in policies nest too deeply");
      parse(b.spec, depth + 1);
      return;
    }
    if (auto c = class_from_name(name)) {
      if (never_allowed(*c)) fail("class " + std::string(name) + " can never be allowed");
      classes_[static_cast<int>(*c)] = true;
      return;
    }
    fail("unknown term \"" + std::string(name) + "\"");
  }

  std::string_view whole_;
  std::vector<CodePointRange>& ranges_;
  std::array<bool, kClassCount>& classes_;
};

}  // namespace

const std::vector<BuiltinPolicy>& builtin_policies() { return kBuiltins; }

Policy Policy::parse(std::string_view spec) {
  Policy policy;
  policy.spec_ = std::string(spec);
  SpecParser(spec, policy.ranges_, policy.classes_).parse(spec, 0);
  // Sort and merge so that allows_code_point is one binary search.
  auto& r = policy.ranges_;
  std::sort(r.begin(), r.end(), [](auto a, auto b) { return a.first < b.first; });
  std::vector<CodePointRange> merged;
  for (auto range : r) {
    if (!merged.empty() && range.first <= merged.back().last + 1)
      merged.back().last = std::max(merged.back().last, range.last);
    else
      merged.push_back(range);
  }
  r = std::move(merged);
  return policy;
}

bool Policy::allows_code_point(char32_t cp) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), cp,
                             [](char32_t v, const CodePointRange& r) { return v < r.first; });
  return it != ranges_.begin() && cp <= std::prev(it)->last;
}

bool Policy::allows_token(TokenClass c, std::string_view bytes) const {
  if (never_allowed(c)) return false;
  if (allows_class(c)) return true;
  if (bytes.empty() || !is_valid_utf8(bytes)) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  int32_t i = 0, n = static_cast<int32_t>(bytes.size());
  while (i < n) {
    UChar32 cp;
    U8_NEXT(p, i, n, cp);
    if (cp < 0 || !allows_code_point(static_cast<char32_t>(cp))) return false;
  }
  return true;
}

}  // namespace qwen3::vocab
