#pragma once
// Byte strings -> valid UTF-8 the way Rust's String::from_utf8_lossy does it
// (which is what Hugging Face's decoders return): each maximal subpart of an
// ill-formed sequence becomes one U+FFFD (Unicode "substitution of maximal
// subparts").
#include <cstddef>
#include <string>
#include <string_view>

namespace qwen3::tokenizer {

// Appends `bytes` to `out`, replacing ill-formed subsequences by U+FFFD.
void append_utf8_lossy(std::string& out, std::string_view bytes);

// Length of the trailing bytes of `bytes` that form a proper, still-completable
// prefix of a well-formed sequence (0-3): what a streaming decoder must hold back.
std::size_t incomplete_utf8_tail(std::string_view bytes);

}  // namespace qwen3::tokenizer
