#pragma once
// The Split pre-tokenizer's regex run by PCRE2 (JIT), for patterns other than
// Qwen2's (which qwen2_split.h scans by hand) and as the reference the scanner
// is tested against. tokenizer.json patterns are written for Oniguruma; the few
// constructs whose meaning differs in PCRE2 are rewritten (see
// translate_onig_pattern) and the ones that cannot be are rejected.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/qwen2_split.h"

namespace qwen3::tokenizer {

// Rewrites an Oniguruma pattern into a PCRE2 pattern with the same meaning:
//  - \s / \S become the White_Space property (Oniguruma's \s includes U+0085,
//    PCRE2's does not);
//  - (?i:...) folds ASCII letters only, as Oniguruma does for these patterns
//    (PCRE2 would also match U+017F for s and U+212A for k).
// Throws qwen3::Error for constructs it cannot carry over (\w, \b, \S inside a
// class, inline flags other than (?i:...)).
std::string translate_onig_pattern(std::string_view onig_pattern);

class RegexSplitter {
 public:
  // Compiles the (Oniguruma) pattern; throws qwen3::Error naming it if it fails.
  explicit RegexSplitter(std::string_view onig_pattern);
  ~RegexSplitter();
  RegexSplitter(RegexSplitter&&) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) noexcept;

  // Split with behavior "Isolated": every match is a piece and so is every
  // stretch of text between matches. Thread-safe.
  void split(std::string_view text, std::vector<Piece>& pieces) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qwen3::tokenizer
