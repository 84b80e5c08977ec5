#pragma once
// Finds added tokens (<|im_start|>, <think>, ...) in raw text the way Hugging
// Face's AddedVocabulary does for tokens with normalized=false, lstrip=rstrip=
// single_word=false: leftmost-longest matching over all their contents, before
// normalization and pre-tokenization see the text.
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/tokenizer.h"

namespace qwen3::tokenizer {

class AddedTokenMatcher {
 public:
  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<AddedToken>& tokens);

  // Calls on_text(segment) for each stretch of ordinary text and
  // on_token(id) for each added token, in order. Empty stretches are skipped.
  // With `allowed(begin, end)`, a match is taken only where it returns true.
  template <class OnText, class OnToken>
  void split(std::string_view text, OnText&& on_text, OnToken&& on_token) const {
    split(text, on_text, on_token, [](std::size_t, std::size_t) { return true; });
  }
  template <class OnText, class OnToken, class Allowed>
  void split(std::string_view text, OnText&& on_text, OnToken&& on_token, Allowed&& allowed) const {
    std::size_t start = 0, i = 0;
    while (i < text.size()) {
      unsigned char b = static_cast<unsigned char>(text[i]);
      if (by_first_byte_[b].empty()) {
        ++i;
        continue;
      }
      const Candidate* hit = nullptr;
      for (const Candidate& c : by_first_byte_[b])  // longest first
        if (text.compare(i, c.content.size(), c.content) == 0 && allowed(i, i + c.content.size())) {
          hit = &c;
          break;
        }
      if (!hit) {
        ++i;
        continue;
      }
      if (i > start) on_text(text.substr(start, i - start));
      on_token(hit->id);
      i += hit->content.size();
      start = i;
    }
    if (start < text.size()) on_text(text.substr(start));
  }

 private:
  struct Candidate {
    std::string content;
    TokenId id;
  };
  std::array<std::vector<Candidate>, 256> by_first_byte_;
};

}  // namespace qwen3::tokenizer
