#pragma once
// UTF-8 validation, as every input path (CLI, server, tokenizer) applies it.
#include <cstddef>
#include <string_view>

namespace qwen3 {

// Length of the longest prefix of `s` that is well-formed UTF-8 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_valid_prefix(std::string_view s);

inline bool is_valid_utf8(std::string_view s) { return utf8_valid_prefix(s) == s.size(); }

}  // namespace qwen3
