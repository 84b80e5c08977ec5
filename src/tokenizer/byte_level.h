#pragma once
// GPT-2's byte-level alphabet, as the ByteLevel pre-tokenizer and decoder of
// Hugging Face tokenizers use it: every byte is written as one printable
// Unicode character, so BPE vocabularies can be stored as JSON strings.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace qwen3::tokenizer {

class ByteLevelAlphabet {
 public:
  ByteLevelAlphabet();

  // The UTF-8 encoding of the character standing for `byte`.
  const std::string& char_for(std::uint8_t byte) const { return chars_[byte]; }

  // Maps a token string written in the alphabet back to raw bytes; nullopt if
  // it contains a character outside the alphabet.
  std::optional<std::string> to_bytes(std::string_view token) const;

 private:
  std::array<std::string, 256> chars_;
  // Code point (< 324) -> byte, or -1 when the code point is not in the alphabet.
  std::array<std::int16_t, 324> byte_of_;
};

const ByteLevelAlphabet& byte_level_alphabet();

}  // namespace qwen3::tokenizer
