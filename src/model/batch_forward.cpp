// The batched step: the Qwen3 forward pass (as qwen3_forward.cpp computes it
// for one sequence) over the rows of several sequences at once. Every matrix
// product covers all rows, with the batch-invariant kernels, so the weights
// are streamed once per step for every sequence and each row gets exactly the
// arithmetic it would get alone; attention runs per sequence on its own cache.
#include <algorithm>
#include <limits>
#include <set>
#include <vector>

#include "kernels/kernels.h"
#include "model/arithmetic.h"
#include "model/rope.h"
#include "model/weights.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {

void Model::forward_batch(std::span<const BatchEntry> entries) const {
  std::set<const Session*> sessions;
  for (const BatchEntry& e : entries) {
    if (!e.session) throw Error("forward_batch: an entry has no session");
    if (!sessions.insert(e.session).second) throw Error("forward_batch: two entries share one session");
    check_tokens(e.tokens, *e.session);
    check_allowed_rows(e.allowed_rows);
  }
  if (entries.empty()) return;

  use_kernel_settings();
  const detail::Weights& w = *weights_;
  const int H = config_.hidden_size, I = config_.intermediate_size, D = config_.head_dim;
  const int NQ = config_.num_attention_heads, NKV = config_.num_key_value_heads;
  const float eps = static_cast<float>(config_.rms_norm_eps);

  // Rows of all entries, in order; first[e] is entry e's first row.
  std::vector<int> first(entries.size() + 1, 0);
  for (std::size_t e = 0; e < entries.size(); ++e) first[e + 1] = first[e] + static_cast<int>(entries[e].tokens.size());
  const int R = first.back();
  const std::size_t rows = R;

  std::vector<float> x(rows * H), h(rows * H), q(rows * NQ * D), k(rows * NKV * D), v(rows * NKV * D), a(rows * NQ * D),
      gate(rows * I), up(rows * I), cos_sin(rows * D);
  const model::RopeParameters rope{inv_freq_, attention_scaling_};
  const model::Arithmetic ar(w.ggml_arithmetic, config_, rope);
  for (std::size_t e = 0; e < entries.size(); ++e)
    for (int t = 0; t < static_cast<int>(entries[e].tokens.size()); ++t) {
      const int r = first[e] + t;
      kernels::embedding_row(w.embed_tokens, entries[e].tokens[t], &x[static_cast<std::size_t>(r) * H]);
      ar.rope_cos_sin(entries[e].session->position() + t, D, &cos_sin[static_cast<std::size_t>(r) * D]);
    }

  for (int l = 0; l < config_.num_hidden_layers; ++l) {
    const detail::LayerWeights& L = w.layers[l];
    ar.rmsnorm(h.data(), x.data(), L.input_layernorm.data(), H, R, eps);
    kernels::matmul(L.q_proj, h.data(), R, q.data());
    kernels::matmul(L.k_proj, h.data(), R, k.data());
    kernels::matmul(L.v_proj, h.data(), R, v.data());
    ar.rmsnorm(q.data(), q.data(), L.q_norm.data(), D, R * NQ, eps);
    ar.rmsnorm(k.data(), k.data(), L.k_norm.data(), D, R * NKV, eps);
    for (std::size_t e = 0; e < entries.size(); ++e) {
      Session& s = *entries[e].session;
      const int T = static_cast<int>(entries[e].tokens.size());
      for (int t = 0; t < T; ++t) {
        const std::size_t r = static_cast<std::size_t>(first[e] + t);
        for (int hq = 0; hq < NQ; ++hq) ar.apply_rope(&q[(r * NQ + hq) * D], D, &cos_sin[r * D]);
        for (int hk = 0; hk < NKV; ++hk) ar.apply_rope(&k[(r * NKV + hk) * D], D, &cos_sin[r * D]);
      }
      // The same cache writes and attention as the one-sequence forward pass.
      const std::size_t r0 = static_cast<std::size_t>(first[e]);
      const kernels::KvLayer cache = kv_layer(s, l);
      kernels::kv_store(cache, s.position(), T, &k[r0 * NKV * D], &v[r0 * NKV * D]);
      ar.attention(cache, &q[r0 * NQ * D], NQ, s.position(), T, &a[r0 * NQ * D]);
    }
    kernels::matmul(L.o_proj, a.data(), R, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
    ar.rmsnorm(h.data(), x.data(), L.post_attention_layernorm.data(), H, R, eps);
    kernels::matmul(L.gate_proj, h.data(), R, gate.data());
    kernels::matmul(L.up_proj, h.data(), R, up.data());
    ar.swiglu(gate.data(), gate.data(), up.data(), static_cast<std::int64_t>(rows), I);
    kernels::matmul(L.down_proj, gate.data(), R, h.data());
    kernels::add_inplace(x.data(), h.data(), static_cast<std::int64_t>(rows) * H);
  }
  for (const BatchEntry& e : entries) e.session->position_ += static_cast<int>(e.tokens.size());

  // The output projection for the entries that want logits, one product per
  // set of allowed rows (usually one: every sequence with the same mask).
  std::vector<bool> done(entries.size(), false);
  for (std::size_t e0 = 0; e0 < entries.size(); ++e0) {
    if (done[e0] || !entries[e0].logits) continue;
    const std::vector<std::int32_t>* allowed = entries[e0].allowed_rows;
    std::vector<std::size_t> group;
    for (std::size_t e = e0; e < entries.size(); ++e)
      if (!done[e] && entries[e].logits && entries[e].allowed_rows == allowed) {
        group.push_back(e);
        done[e] = true;
      }
    const int n = static_cast<int>(group.size());
    for (int g = 0; g < n; ++g)
      ar.rmsnorm(&h[static_cast<std::size_t>(g) * H], &x[static_cast<std::size_t>(first[group[g] + 1] - 1) * H],
                 w.norm.data(), H, 1, eps);
    if (!allowed) {
      std::vector<float> out(static_cast<std::size_t>(n) * config_.vocab_size);
      kernels::matmul(w.lm_head, h.data(), n, out.data());
      for (int g = 0; g < n; ++g)
        std::copy_n(&out[static_cast<std::size_t>(g) * config_.vocab_size], config_.vocab_size,
                    entries[group[g]].logits);
      continue;
    }
    const std::size_t m = allowed->size();
    std::vector<float> some(static_cast<std::size_t>(n) * m);
    if (m > 0) kernels::matmul_rows(w.lm_head, allowed->data(), static_cast<int>(m), h.data(), n, some.data());
    for (int g = 0; g < n; ++g) {
      float* logits = entries[group[g]].logits;
      std::fill(logits, logits + config_.vocab_size, -std::numeric_limits<float>::infinity());
      for (std::size_t i = 0; i < m; ++i) logits[(*allowed)[i]] = some[static_cast<std::size_t>(g) * m + i];
    }
  }
}

}  // namespace qwen3
