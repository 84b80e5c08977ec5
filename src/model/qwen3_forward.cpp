// The Qwen3 forward pass (transformers' modeling_qwen3.py, Qwen3ForCausalLM),
// for one chunk of tokens at the session's position. Activations are f32 rows
// [tokens][features]; every matrix product is one kernels::matmul over the
// whole chunk (matrix-matrix for a prompt, matrix-vector for one token).
//
//   x = embed_tokens[ids]
//   per layer:
//     h = rmsnorm(x) ; q, k, v = h Wq, h Wk, h Wv (one parallel region)
//     q, k = rmsnorm per head (q_norm, k_norm), then RoPE (rotate-half)
//     append k, v to the cache (bf16 or f32); a = causal softmax(q k^T /
//     sqrt(head_dim)) v, each query head reading its group's key/value head
//     (GQA), in tiles with an online softmax (kernels::attention)
//     x += a Wo
//     h = rmsnorm(x) ; x += (silu(h Wgate) * h Wup) Wdown (gate, up: one region)
//   logits = rmsnorm(x) W_lm_head   (the embedding table when tied)
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/kernels.h"
#include "model/arithmetic.h"
#include "model/rope.h"
#include "model/weights.h"
#include "qwen3/model.h"

namespace qwen3 {
kernels::KvLayer Model::kv_layer(const Session& session, int layer) const {
  kernels::KvLayer c;
  c.keys = session.keys(layer);
  c.values = session.values(layer);
  c.type = session.kv_dtype() == KvDType::F32 ? kernels::KvType::F32 : kernels::KvType::BF16;
  c.kv_heads = config_.num_key_value_heads;
  c.head_dim = config_.head_dim;
  c.head_stride = session.head_stride_;
  return c;
}

void Model::run_chunk(std::span<const TokenId> tokens, Session& session, float* logits, Logits which,
                      const std::vector<std::int32_t>* allowed_rows) const {
  use_kernel_settings();
  const detail::Weights& w = *weights_;
  const int T = static_cast<int>(tokens.size());
  const int H = config_.hidden_size, I = config_.intermediate_size, D = config_.head_dim;
  const int NQ = config_.num_attention_heads, NKV = config_.num_key_value_heads;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  const int p0 = session.position();
  const std::size_t rows = T;

  std::vector<float> x(rows * H), h(rows * H), q(rows * NQ * D), k(rows * NKV * D), v(rows * NKV * D), a(rows * NQ * D),
      gate(rows * I), up(rows * I), cos_sin(rows * D);

  for (int t = 0; t < T; ++t) kernels::embedding_row(w.embed_tokens, tokens[t], &x[t * H]);
  const model::RopeParameters rope{inv_freq_, attention_scaling_};
  const model::Arithmetic ar(w.ggml_arithmetic, config_, rope);
  for (int t = 0; t < T; ++t) ar.rope_cos_sin(p0 + t, D, &cos_sin[t * D]);

  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    const detail::LayerWeights& L = w.layers[l];
    // Self-attention block.
    ar.rmsnorm(h.data(), x.data(), L.input_layernorm.data(), H, T, eps);
    const kernels::Matrix qkv[] = {L.q_proj, L.k_proj, L.v_proj};
    float* const qkv_out[] = {q.data(), k.data(), v.data()};
    kernels::matmul_many(qkv, 3, h.data(), T, qkv_out);
    ar.rmsnorm(q.data(), q.data(), L.q_norm.data(), D, T * NQ, eps);  // QK-norm, per head
    ar.rmsnorm(k.data(), k.data(), L.k_norm.data(), D, T * NKV, eps);
    for (int t = 0; t < T; ++t) {
      for (int hq = 0; hq < NQ; ++hq) ar.apply_rope(&q[(t * NQ + hq) * D], D, &cos_sin[t * D]);
      for (int hk = 0; hk < NKV; ++hk) ar.apply_rope(&k[(t * NKV + hk) * D], D, &cos_sin[t * D]);
    }
    const kernels::KvLayer cache = kv_layer(session, l);
    kernels::kv_store(cache, p0, T, k.data(), v.data());
    ar.attention(cache, q.data(), NQ, p0, T, a.data());
    kernels::matmul(L.o_proj, a.data(), T, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
    // MLP block.
    ar.rmsnorm(h.data(), x.data(), L.post_attention_layernorm.data(), H, T, eps);
    const kernels::Matrix gate_up[] = {L.gate_proj, L.up_proj};
    float* const gate_up_out[] = {gate.data(), up.data()};
    kernels::matmul_many(gate_up, 2, h.data(), T, gate_up_out);
    ar.swiglu(gate.data(), gate.data(), up.data(), static_cast<std::int64_t>(rows), I);
    kernels::matmul(L.down_proj, gate.data(), T, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
  }
  session.position_ = p0 + T;

  if (which == Logits::All) {
    ar.rmsnorm(h.data(), x.data(), w.norm.data(), H, T, eps);
    kernels::matmul(w.lm_head, h.data(), T, logits);
  } else if (which == Logits::Last) {
    ar.rmsnorm(h.data(), &x[(T - 1) * H], w.norm.data(), H, 1, eps);
    if (!allowed_rows) {
      kernels::matmul(w.lm_head, h.data(), 1, logits);
      return;
    }
    // Only the allowed rows of the output projection: the rest stay -inf.
    std::vector<float> some(allowed_rows->size());
    kernels::matmul_rows(w.lm_head, allowed_rows->data(), static_cast<int>(some.size()), h.data(), 1, some.data());
    std::fill(logits, logits + config_.vocab_size, -std::numeric_limits<float>::infinity());
    for (std::size_t i = 0; i < some.size(); ++i) logits[(*allowed_rows)[i]] = some[i];
  }
}

}  // namespace qwen3
