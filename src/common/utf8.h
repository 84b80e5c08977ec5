#pragma once
// UTF-8 helpers shared by the libraries (validation itself is public: qwen3/utf8.h).
#include <string>
#include <string_view>

#include "qwen3/utf8.h"

namespace qwen3 {

// Number of bytes a sequence starting with lead byte `b` should have (1-4),
// or 0 for a byte that cannot start a sequence.
int utf8_sequence_length(unsigned char b);

}  // namespace qwen3

namespace qwen3 {

// `text` fit for a one-line error message: line breaks, tabs and other
// control characters as \n, \r, \t or \xNN, bytes that are not UTF-8 as
// \xNN; other text as it is. For file contents, keys and values quoted in
// messages (the error contract: one line).
std::string one_line(std::string_view text);

}  // namespace qwen3
