#include "model/tensor_specs.h"

#include "model/weights.h"

namespace qwen3::model {

std::int64_t TensorSpec::elements() const {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  return n;
}

bool is_norm(TensorSlot slot) { return std::holds_alternative<std::vector<float>*>(slot); }

void for_each_tensor(const ModelConfig& c, detail::Weights& w,
                     const std::function<void(const TensorSpec&, TensorSlot)>& visit) {
  const std::int64_t h = c.hidden_size, i = c.intermediate_size, d = c.head_dim;
  const std::int64_t q = c.num_attention_heads * d, kv = c.num_key_value_heads * d;
  w.layers.resize(c.num_hidden_layers);
  visit({"model.embed_tokens.weight", {c.vocab_size, h}}, &w.embed_tokens);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    detail::LayerWeights& L = w.layers[l];
    visit({p + "input_layernorm.weight", {h}}, &L.input_layernorm);
    visit({p + "self_attn.q_proj.weight", {q, h}}, &L.q_proj);
    visit({p + "self_attn.k_proj.weight", {kv, h}}, &L.k_proj);
    visit({p + "self_attn.v_proj.weight", {kv, h}}, &L.v_proj);
    visit({p + "self_attn.q_norm.weight", {d}}, &L.q_norm);
    visit({p + "self_attn.k_norm.weight", {d}}, &L.k_norm);
    visit({p + "self_attn.o_proj.weight", {h, q}}, &L.o_proj);
    visit({p + "post_attention_layernorm.weight", {h}}, &L.post_attention_layernorm);
    visit({p + "mlp.gate_proj.weight", {i, h}}, &L.gate_proj);
    visit({p + "mlp.up_proj.weight", {i, h}}, &L.up_proj);
    visit({p + "mlp.down_proj.weight", {h, i}}, &L.down_proj);
  }
  visit({"model.norm.weight", {h}}, &w.norm);
  if (!c.tie_word_embeddings) visit({"lm_head.weight", {c.vocab_size, h}}, &w.lm_head);
}

std::vector<TensorSpec> qwen3_tensor_specs(const ModelConfig& c) {
  detail::Weights scratch;  // only for the slots; nothing is stored in it
  std::vector<TensorSpec> specs;
  for_each_tensor(c, scratch, [&](const TensorSpec& spec, TensorSlot) { specs.push_back(spec); });
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
