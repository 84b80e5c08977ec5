// The Qwen3 forward pass (transformers' modeling_qwen3.py, Qwen3ForCausalLM),
// for one chunk of tokens at the session's position. Activations are f32 rows
// [tokens][features]; every matrix product is one kernels::matmul over the
// whole chunk (matrix-matrix for a prompt, matrix-vector for one token).
//
//   x = embed_tokens[ids]
//   per layer:
//     h = rmsnorm(x) ; q, k, v = h Wq, h Wk, h Wv
//     q, k = rmsnorm per head (q_norm, k_norm), then RoPE (rotate-half)
//     append k, v to the cache; a = causal softmax(q k^T / sqrt(head_dim)) v,
//     each query head reading its group's key/value head (GQA)
//     x += a Wo
//     h = rmsnorm(x) ; x += (silu(h Wgate) * h Wup) Wdown
//   logits = rmsnorm(x) W_lm_head   (the embedding table when tied)
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/kernels.h"
#include "model/attention.h"
#include "model/rope.h"
#include "model/weights.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace model {

void attention(const float* q, const float* keys, const float* values, std::size_t head_stride, int first_pos, int T,
               int n_heads, int group, int head_dim, float* out) {
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
#pragma omp parallel num_threads(kernels::num_threads())
  {
    std::vector<float> scores(first_pos + T);
#pragma omp for collapse(2) schedule(dynamic, 1)
    for (int t = 0; t < T; ++t) {
      for (int h = 0; h < n_heads; ++h) {
        const int n = first_pos + t + 1;  // positions visible to this query
        const float* K = keys + (h / group) * head_stride;
        const float* V = values + (h / group) * head_stride;
        const float* qh = q + (static_cast<std::size_t>(t) * n_heads + h) * head_dim;
        for (int j = 0; j < n; ++j)
          scores[j] = kernels::dot(qh, K + static_cast<std::size_t>(j) * head_dim, head_dim) * scale;
        kernels::softmax(scores.data(), n);
        float* o = out + (static_cast<std::size_t>(t) * n_heads + h) * head_dim;
        std::fill(o, o + head_dim, 0.0f);
        for (int j = 0; j < n; ++j) kernels::axpy(o, scores[j], V + static_cast<std::size_t>(j) * head_dim, head_dim);
      }
    }
  }
}

}  // namespace model

void Model::run_chunk(std::span<const TokenId> tokens, Session& session, float* logits, Logits which,
                      const std::vector<std::int32_t>* allowed_rows) const {
  // OpenMP's thread count belongs to the calling thread: set it for this one.
  kernels::set_num_threads(options_.threads);
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
  for (int t = 0; t < T; ++t) model::rope_cos_sin(rope, p0 + t, &cos_sin[t * D]);

  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    const detail::LayerWeights& L = w.layers[l];
    // Self-attention block.
    kernels::rmsnorm(h.data(), x.data(), L.input_layernorm.data(), H, T, eps);
    kernels::matmul(L.q_proj, h.data(), T, q.data());
    kernels::matmul(L.k_proj, h.data(), T, k.data());
    kernels::matmul(L.v_proj, h.data(), T, v.data());
    kernels::rmsnorm(q.data(), q.data(), L.q_norm.data(), D, T * NQ, eps);  // QK-norm, per head
    kernels::rmsnorm(k.data(), k.data(), L.k_norm.data(), D, T * NKV, eps);
    for (int t = 0; t < T; ++t) {
      for (int hq = 0; hq < NQ; ++hq) model::apply_rope(&q[(t * NQ + hq) * D], D, &cos_sin[t * D]);
      for (int hk = 0; hk < NKV; ++hk) {
        model::apply_rope(&k[(t * NKV + hk) * D], D, &cos_sin[t * D]);
        const std::size_t at = static_cast<std::size_t>(p0 + t) * D;
        std::copy_n(&k[(t * NKV + hk) * D], D, session.keys(l, hk) + at);
        std::copy_n(&v[(t * NKV + hk) * D], D, session.values(l, hk) + at);
      }
    }
    const std::size_t head_stride = static_cast<std::size_t>(session.capacity()) * D;
    model::attention(q.data(), session.keys(l, 0), session.values(l, 0), head_stride, p0, T, NQ, NQ / NKV, D, a.data());
    kernels::matmul(L.o_proj, a.data(), T, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
    // MLP block.
    kernels::rmsnorm(h.data(), x.data(), L.post_attention_layernorm.data(), H, T, eps);
    kernels::matmul(L.gate_proj, h.data(), T, gate.data());
    kernels::matmul(L.up_proj, h.data(), T, up.data());
    kernels::swiglu(gate.data(), gate.data(), up.data(), static_cast<std::int64_t>(rows) * I);
    kernels::matmul(L.down_proj, gate.data(), T, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
  }
  session.position_ = p0 + T;

  if (which == Logits::All) {
    kernels::rmsnorm(h.data(), x.data(), w.norm.data(), H, T, eps);
    kernels::matmul(w.lm_head, h.data(), T, logits);
  } else if (which == Logits::Last) {
    kernels::rmsnorm(h.data(), &x[(T - 1) * H], w.norm.data(), H, 1, eps);
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
