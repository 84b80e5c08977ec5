// The Tokenizer-facing entry points, kept apart so that the classifier and the
// policies build and test on plain bytes alone.
#include <algorithm>

#include "qwen3/vocab.h"

namespace qwen3::vocab {

VocabTable VocabTable::classify(const Tokenizer& tokenizer) {
  std::vector<std::string> bytes(static_cast<std::size_t>(tokenizer.vocab_size()));
  for (TokenId id = 0; id < tokenizer.vocab_size(); ++id) bytes[id] = tokenizer.token_bytes(id);
  std::vector<TokenId> added;
  for (const auto& a : tokenizer.added_tokens()) added.push_back(a.id);
  return classify(std::move(bytes), added, std::max(Tokenizer::kEmbeddingRows, tokenizer.vocab_size()));
}

TokenMask make_mask(const Tokenizer& tokenizer, std::string_view policy_spec, const MaskOptions& options) {
  Policy policy = Policy::parse(policy_spec);  // before the classification: a typo fails at once
  return build_mask(VocabTable::classify(tokenizer), policy, options);
}

std::vector<TokenId> allowed_ids(const Tokenizer& tokenizer, std::string_view policy_spec, bool allow_tool_calls) {
  MaskOptions options;
  options.allow_tool_calls = allow_tool_calls;
  return make_mask(tokenizer, policy_spec, options).ids();
}

}  // namespace qwen3::vocab
