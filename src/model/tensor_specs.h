#pragma once
// THE table of the tensors of a Hugging Face Qwen3ForCausalLM checkpoint: each
// tensor's name, its shape as it follows from config.json, and where it lands
// in detail::Weights. Loading (checking a checkpoint against the config and
// placing its tensors), the dummy generator (Model::dummy) and the dummy
// checkpoint writer all walk this one table, in the style of gemma.cpp's
// ForEachTensor; nothing else binds names to fields.
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "qwen3/model_config.h"

namespace qwen3 {
namespace kernels {
struct Matrix;
}
namespace detail {
struct Weights;
}

namespace model {

struct TensorSpec {
  std::string name;                 // e.g. "model.layers.0.self_attn.q_proj.weight"
  std::vector<std::int64_t> shape;  // Hugging Face shape ([out, in] for Linear)
  std::int64_t elements() const;
};

// Where a tensor lands: a matrix (held in the model's weight dtype) or a norm
// weight (held in f32).
using TensorSlot = std::variant<kernels::Matrix*, std::vector<float>*>;

bool is_norm(TensorSlot slot);

// Calls visit(spec, slot) for every tensor, in the order of the forward pass,
// with its slot in `weights` (whose layers are first sized to the config).
// lm_head.weight is visited only when the embeddings are not tied; when tied,
// the model's lm_head is embed_tokens itself.
void for_each_tensor(const ModelConfig& config, detail::Weights& weights,
                     const std::function<void(const TensorSpec&, TensorSlot)>& visit);

// The table's names and shapes alone, in the same order.
std::vector<TensorSpec> qwen3_tensor_specs(const ModelConfig& config);

// The tensor's kind, the key of a qwen3-dummy-v1 manifest's draws: the
// second-to-last '.'-separated component of its name ("q_proj", "norm" for
// model.norm.weight, "lm_head").
std::string tensor_kind(const std::string& name);

std::string shape_string(const std::vector<std::int64_t>& shape);  // "[151936, 2560]"

}  // namespace model
}  // namespace qwen3
