#pragma once
// UTF-8 helpers shared by the libraries (validation itself is public: qwen3/utf8.h).
#include "qwen3/utf8.h"

namespace qwen3 {

// Number of bytes a sequence starting with lead byte `b` should have (1-4),
// or 0 for a byte that cannot start a sequence.
int utf8_sequence_length(unsigned char b);

}  // namespace qwen3
