#pragma once
// The tensors of a Hugging Face Qwen3ForCausalLM checkpoint, by name and shape,
// as they follow from config.json. The loader checks checkpoints against this
// list and the dummy generator produces exactly it.
#include <cstdint>
#include <string>
#include <vector>

#include "qwen3/model_config.h"

namespace qwen3::model {

struct TensorSpec {
  std::string name;                 // e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<std::int64_t> shape;  // Hugging Face shape ([out, in] for Linear)
  std::int64_t elements() const;
};

// In the order of the forward pass; lm_head.weight only when not tied.
std::vector<TensorSpec> qwen3_tensor_specs(const ModelConfig& config);

// The tensor's kind: the second-to-last '.'-separated component of its name
// ("q_proj", "norm" for model.norm.weight, "lm_head").
std::string tensor_kind(const std::string& name);

std::string shape_string(const std::vector<std::int64_t>& shape);  // "[151936, 2560]"

}  // namespace qwen3::model
