#pragma once
// A hand-written scanner equal to the Qwen2 pre-tokenizer regex
//   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// under Oniguruma's semantics (what Hugging Face tokenizers runs): \p{L} and
// \p{N} are general categories, \s is the White_Space property (includes
// U+0085), and (?i:...) folds ASCII only ('ſ is not a contraction). It is
// several times faster than running the regex; tests/tokenizer prove it equal
// to the regex compiled by PCRE2 (regex_split.h) on random text.
#include <cstddef>
#include <string_view>
#include <vector>

namespace qwen3::tokenizer {

// The pattern string exactly as tokenizer.json writes it (after JSON unescaping).
inline constexpr std::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Piece {
  std::size_t begin, end;  // byte offsets
};

// Appends the matches of the pattern in valid UTF-8 `text`, in order; they
// cover the text without gaps (every character matches some alternative).
void qwen2_split(std::string_view text, std::vector<Piece>& pieces);

}  // namespace qwen3::tokenizer
