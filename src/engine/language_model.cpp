#include <string>

#include "qwen3/engine.h"
#include "qwen3/error.h"

namespace qwen3 {

void LanguageModel::truncate(int n) {
  if (n < 0 || n > position())
    throw Error("cannot keep " + std::to_string(n) + " tokens of a cache holding " + std::to_string(position()));
  drop_after(n);
  tokens_.resize(static_cast<std::size_t>(n));
}

void LanguageModel::forward(std::span<const TokenId> tokens, float* logits,
                            const std::vector<std::int32_t>* allowed_rows) {
  run(tokens, logits, allowed_rows);  // throws, leaving the cache as it was, when they don't fit
  tokens_.insert(tokens_.end(), tokens.begin(), tokens.end());
}

ModelRunner::ModelRunner(const Model& model) : model_(&model), session_(model.new_session()) {}

int ModelRunner::logit_rows() const { return static_cast<int>(model_->config().vocab_size); }
int ModelRunner::context_length() const { return session_.capacity(); }

void ModelRunner::run(std::span<const TokenId> tokens, float* logits, const std::vector<std::int32_t>* allowed_rows) {
  model_->forward(tokens, session_, logits, allowed_rows);
}

void ModelRunner::drop_after(int n) { session_.truncate(n); }

}  // namespace qwen3
