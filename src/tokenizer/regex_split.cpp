#include "tokenizer/regex_split.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/utf8.h"
#include "qwen3/error.h"

namespace qwen3::tokenizer {
namespace {

// Unicode White_Space, the meaning of \s in Oniguruma.
constexpr std::string_view kWhiteSpaceItems =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string translate_onig_pattern(std::string_view pat) {
  auto fail = [&](const std::string& what) {
    throw Error("split pattern " + one_line(pat) + ": " + what + " is not supported");
  };
  std::string out;
  bool in_class = false;
  std::vector<bool> group_caseless;  // one entry per open group
  auto caseless = [&] {
    for (bool b : group_caseless)
      if (b) return true;
    return false;
  };
  for (std::size_t i = 0; i < pat.size(); ++i) {
    char c = pat[i];
    if (c == '\\') {
      if (i + 1 >= pat.size()) fail("a trailing backslash");
      char e = pat[i + 1];
      if (e == 's') {
        out += in_class ? std::string(kWhiteSpaceItems) : "[" + std::string(kWhiteSpaceItems) + "]";
        ++i;
      } else if (e == 'S') {
        if (in_class) fail("\\S inside a character class");
        out += "[^" + std::string(kWhiteSpaceItems) + "]";
        ++i;
      } else if (e == 'w' || e == 'W' || e == 'b' || e == 'B' || e == 'h' || e == 'H') {
        fail(std::string("\\") + e);
      } else if ((e == 'p' || e == 'P') && i + 2 < pat.size() && pat[i + 2] == '{') {
        std::size_t close = pat.find('}', i + 2);
        if (close == std::string_view::npos) fail("an unterminated \\p{");
        out.append(pat.substr(i, close - i + 1));
        i = close;
      } else {
        out += c;
        out += e;
        ++i;
      }
      continue;
    }
    if (in_class) {
      if (c == ']')
        in_class = false;
      else if (caseless() && ascii_letter(c))
        fail("a letter in a class inside (?i:...)");
      else if (c == '[')
        fail("a nested character class");
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < pat.size() && pat[i + 1] == '^') {
        out += '^';
        ++i;
      }
      if (i + 1 < pat.size() && pat[i + 1] == ']') {
        out += "\\]";
        ++i;
      }
      continue;
    }
    if (c == '(') {
      if (pat.substr(i, 4) == "(?i:") {
        group_caseless.push_back(true);
        out += "(?:";
        i += 3;
      } else if (pat.substr(i, 2) == "(?" &&
                 !(pat.substr(i, 3) == "(?:" || pat.substr(i, 3) == "(?=" || pat.substr(i, 3) == "(?!" ||
                   pat.substr(i, 4) == "(?<=" || pat.substr(i, 4) == "(?<!")) {
        fail("the group syntax at offset " + std::to_string(i));
      } else {
        group_caseless.push_back(false);
        out += c;
      }
      continue;
    }
    if (c == ')') {
      if (group_caseless.empty()) fail("an unbalanced ')'");
      group_caseless.pop_back();
      out += c;
      continue;
    }
    if (caseless() && ascii_letter(c)) {
      char lo = static_cast<char>(c | 0x20), up = static_cast<char>(lo - 32);
      out += '[';
      out += up;
      out += lo;
      out += ']';
      continue;
    }
    out += c;
  }
  if (in_class) fail("an unterminated character class");
  if (!group_caseless.empty()) fail("an unclosed group");
  return out;
}

struct RegexSplitter::Impl {
  pcre2_code* code = nullptr;
  ~Impl() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(std::string_view onig_pattern) : impl_(std::make_unique<Impl>()) {
  std::string pattern = translate_onig_pattern(onig_pattern);
  int err = 0;
  PCRE2_SIZE offset = 0;
  impl_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                              PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &offset, nullptr);
  if (!impl_->code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw Error("split pattern " + one_line(onig_pattern) + ": cannot compile at offset " + std::to_string(offset) +
                ": " + reinterpret_cast<const char*>(msg));
  }
  pcre2_jit_compile(impl_->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;

void RegexSplitter::split(std::string_view text, std::vector<Piece>& pieces) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(impl_->code, nullptr);
  auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  std::size_t pos = 0, gap = 0;
  while (pos <= text.size()) {
    int rc = pcre2_match(impl_->code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(rc, message, sizeof message);
      throw Error(std::string("tokenizer.json: the pre_tokenizer Split pattern failed on the input: ") +
                  reinterpret_cast<const char*>(message));
    }
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    std::size_t b = ov[0], e = ov[1];
    if (e == b) {  // empty match: not a piece; move on by one character
      if (b >= text.size()) break;
      pos = b + 1;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (b > gap) pieces.push_back({gap, b});
    pieces.push_back({b, e});
    pos = gap = e;
  }
  if (gap < text.size()) pieces.push_back({gap, text.size()});
  pcre2_match_data_free(md);
}

}  // namespace qwen3::tokenizer
