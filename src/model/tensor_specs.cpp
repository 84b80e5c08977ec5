#include "model/tensor_specs.h"

namespace qwen3::model {

std::int64_t TensorSpec::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

std::vector<TensorSpec> qwen3_tensor_specs(const ModelConfig& c) {
  const std::int64_t h = c.hidden_size, i = c.intermediate_size, d = c.head_dim;
  const std::int64_t q = c.num_attention_heads * d, kv = c.num_key_value_heads * d;
  std::vector<TensorSpec> specs;
  specs.push_back({"model.embed_tokens.weight", {c.vocab_size, h}});
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    specs.push_back({p + "input_layernorm.weight", {h}});
    specs.push_back({p + "self_attn.q_proj.weight", {q, h}});
    specs.push_back({p + "self_attn.k_proj.weight", {kv, h}});
    specs.push_back({p + "self_attn.v_proj.weight", {kv, h}});
    specs.push_back({p + "self_attn.q_norm.weight", {d}});
    specs.push_back({p + "self_attn.k_norm.weight", {d}});
    specs.push_back({p + "self_attn.o_proj.weight", {h, q}});
    specs.push_back({p + "post_attention_layernorm.weight", {h}});
    specs.push_back({p + "mlp.gate_proj.weight", {i, h}});
    specs.push_back({p + "mlp.up_proj.weight", {i, h}});
    specs.push_back({p + "mlp.down_proj.weight", {h, i}});
  }
  specs.push_back({"model.norm.weight", {h}});
  if (!c.tie_word_embeddings) specs.push_back({"lm_head.weight", {c.vocab_size, h}});
  return specs;
}

std::string tensor_kind(const std::string& name) {
  const auto last = name.rfind('.');
  if (last == std::string::npos) return name;
  const auto prev = name.rfind('.', last - 1);
  return name.substr(prev == std::string::npos ? 0 : prev + 1, last - (prev == std::string::npos ? 0 : prev + 1));
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (k) s += ", ";
    s += std::to_string(shape[k]);
  }
  return s + "]";
}

}  // namespace qwen3::model
