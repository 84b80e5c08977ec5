#pragma once
// A LanguageModel whose logits a test controls: `next(history)` names the
// token that gets a high logit after the tokens in the cache; every other
// real token gets 0 (so sampling presets still pick it with probability ~1).
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "common/test_paths.h"
#include "qwen3/engine.h"
#include "qwen3/tokenizer.h"

namespace qwen3::test {

class ScriptedModel final : public LanguageModel {
 public:
  using Rule = std::function<TokenId(std::span<const TokenId> history)>;
  ScriptedModel(Rule next, int context = 4096) : next_(std::move(next)), context_(context) {}

  int logit_rows() const override { return Tokenizer::kEmbeddingRows; }
  int context_length() const override { return context_; }

  // Tokens run through the model in total (shows cache reuse).
  int tokens_run = 0;
  // Optional second preference, with a lower logit.
  Rule runner_up;
  // Rows requested by the last call (English-only decoding).
  const std::vector<std::int32_t>* last_rows = nullptr;

 protected:
  void run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) override {
    tokens_run += static_cast<int>(tokens.size());
    last_rows = allowed_rows;
    history_.assign(this->tokens().begin(), this->tokens().end());
    history_.insert(history_.end(), tokens.begin(), tokens.end());
    std::vector<float> all(static_cast<std::size_t>(logit_rows()), 0.0f);
    all[static_cast<std::size_t>(next_(history_))] = 100.0f;
    if (runner_up) all[static_cast<std::size_t>(runner_up(history_))] = 50.0f;
    if (!allowed_rows) {
      std::copy(all.begin(), all.end(), logits);
      return;
    }
    std::fill(logits, logits + logit_rows(), -std::numeric_limits<float>::infinity());
    for (auto row : *allowed_rows) logits[row] = all[static_cast<std::size_t>(row)];
  }
  void drop_after(int) override {}

 private:
  Rule next_;
  int context_;
  std::vector<TokenId> history_;
};

// Greedy decoding of at most max_new_tokens: what the scripted tests run.
inline GenerationOptions greedy(int max_new_tokens = 64) {
  GenerationOptions o;
  o.sampling.temperature = 0;
  o.sampling.max_new_tokens = max_new_tokens;
  return o;
}

// The real Qwen3 tokenizer, loaded once per test binary.
inline const Tokenizer& tok() {
  static const Tokenizer t = Tokenizer::load(tokenizer_dir());
  return t;
}

// A one-turn chat prompt, ready for the assistant's reply.
inline std::vector<TokenId> prompt(const std::string& text = "Hi") {
  return tok().encode("<|im_start|>user\n" + text + "<|im_end|>\n<|im_start|>assistant\n");
}

}  // namespace qwen3::test
