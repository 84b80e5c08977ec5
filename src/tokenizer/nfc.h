#pragma once
// NFC as Hugging Face tokenizers computes it: the Rust crate
// unicode-normalization-alignments uses Unicode 9.0 tables. ICU (Unicode 15)
// restricted to the characters assigned by Unicode 9.0 gives exactly that:
// characters assigned later have no decomposition, no composition and combining
// class 0 in the 9.0 tables, and a filtered normalizer leaves them untouched and
// lets them end a normalization segment, which is what a class-0 character
// without compositions does.
#include <memory>
#include <string>
#include <string_view>

namespace qwen3::tokenizer {

class Nfc {
 public:
  Nfc();
  ~Nfc();
  Nfc(Nfc&&) noexcept;
  Nfc& operator=(Nfc&&) noexcept;

  // Appends the NFC form of valid UTF-8 `text` to `out`.
  void append_normalized(std::string& out, std::string_view text) const;
  // True when `text` is already in NFC (cheap; no allocation).
  bool is_normalized(std::string_view text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qwen3::tokenizer
