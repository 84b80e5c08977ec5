#pragma once
// Causal grouped-query attention, shared by the forward pass of one sequence
// (qwen3_forward.cpp) and the batched step over several (batch_forward.cpp).
#include <cstddef>

namespace qwen3::model {

// Causal grouped-query attention of a chunk's T queries over the cache, which
// already holds the chunk's own keys and values. q, out: [T][n_heads][head_dim];
// keys, values: this layer's cache, one block of `head_stride` floats per
// key/value head (positions contiguous, so each head reads one block). Each
// query's result depends only on it and the cache (not on T).
void attention(const float* q, const float* keys, const float* values, std::size_t head_stride, int first_pos, int T,
               int n_heads, int group, int head_dim, float* out);

}  // namespace qwen3::model
