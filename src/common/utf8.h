#pragma once
// UTF-8 validation shared by every input path (CLI, server, tokenizer).
#include <cstddef>
#include <string_view>

namespace qwen3 {

// Length of the longest prefix of `s` that is well-formed UTF-8 (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_valid_prefix(std::string_view s);

inline bool is_valid_utf8(std::string_view s) { return utf8_valid_prefix(s) == s.size(); }

// Number of bytes a sequence starting with lead byte `b` should have (1-4),
// or 0 for a byte that cannot start a sequence.
int utf8_sequence_length(unsigned char b);

}  // namespace qwen3
