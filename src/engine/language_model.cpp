#include <map>
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

void ModelRunner::fill_synthetic(std::span<const TokenId> tokens) {
  model_->fill_synthetic(tokens, session_);
  record(tokens);
}

void forward_batch(std::span<const ModelStep> steps) {
  // The ModelRunners of each Model together; any other model alone.
  std::map<const Model*, std::vector<const ModelStep*>> by_model;
  for (const ModelStep& step : steps) {
    if (step.tokens.empty()) continue;
    if (auto* runner = dynamic_cast<ModelRunner*>(step.model)) {
      by_model[runner->model_].push_back(&step);
      continue;
    }
    std::vector<float> scratch;
    float* logits = step.logits;
    if (!logits) {
      scratch.resize(static_cast<std::size_t>(step.model->logit_rows()));
      logits = scratch.data();
    }
    step.model->forward(step.tokens, logits, step.allowed_rows);
  }
  for (const auto& [model, group] : by_model) {
    std::vector<BatchEntry> entries;
    for (const ModelStep* step : group)
      entries.push_back(
          {step->tokens, &static_cast<ModelRunner*>(step->model)->session_, step->logits, step->allowed_rows});
    model->forward_batch(entries);  // throws with every session unchanged
    for (const ModelStep* step : group) {
      auto& tokens = step->model->tokens_;
      tokens.insert(tokens.end(), step->tokens.begin(), step->tokens.end());
    }
  }
}

}  // namespace qwen3
