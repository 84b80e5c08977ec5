#pragma once
// The float arithmetic of ggml's CPU backend (llama.cpp, x86 with AVX-512),
// operation by operation, for models read from GGUF files: with quantized
// weights every activation is rounded to int8 before a product, and a
// last-bit difference just before such a rounding can move it by a whole
// step, so an engine that wants llama.cpp's logits must reach the same bits
// in the float parts too. What each function reproduces:
//  - rmsnorm: the squares rounded to f32 and summed in order in f64, the mean
//    rounded to f32, scale = 1 / sqrtf(mean + eps), y = (x * scale) * w;
//  - swiglu: silu(g) = g / (1 + e^-g) with ggml's vectorised e^x (a degree-5
//    polynomial and a scaling by 2^n, 16 lanes at a time, libm's expf for a
//    row's tail), times u;
//  - rope (NeoX halves): theta_i = pos * base^(-2/d) ^ i as an f32 product
//    repeated i times, cosf / sinf of it, and the rotation with the first
//    product fused (x0 cos - x1 sin as fma(x0, cos, -(x1 sin)));
//  - attention: scores = q . k as ggml_vec_dot_f32 (4 x 16 lanes, then a
//    fixed tree), scaled, softmax with the same e^x over 16 lanes and the
//    lane sums added in f64, and sum_j p_j v_j as llamafile's f32 tinyBLAS
//    (16 lanes over the positions, then the same tree). llama.cpp's one-token
//    decode uses ggml_vec_dot_f32 for that last product instead; we keep one
//    order so that a query's result does not depend on its batch.
// These are slower than the engine's own kernels in places (full score rows,
// scalar exp tails) and are used only where the weights come from a GGUF file.
#include <cstdint>

#include "kernels/kernels.h"

namespace qwen3::kernels::ggml {

// ggml's e^x (ggml_v_expf, AVX-512 form) for one value.
float expf(float x);

// out[b] = rmsnorm(x[b]) * w for batch vectors of n values (out may be x).
void rmsnorm(float* out, const float* x, const float* w, int n, int batch, float eps);

// out = silu(gate) * up, row by row (rows of cols values; out may be gate).
void swiglu(float* out, const float* gate, const float* up, std::int64_t rows, std::int64_t cols);

// cos_sin[0 .. d/2) = cos(theta_i), [d/2 .. d) = sin(theta_i) at position pos.
void rope_cos_sin(float base, int head_dim, int pos, float* cos_sin);
// Rotates one head (NeoX halves) by the angles of rope_cos_sin.
void rope(float* x, int head_dim, const float* cos_sin);

// As kernels::attention (same cache, layout and result shape).
void attention(const KvLayer& kv, const float* q, int n_heads, int first_pos, int T, float* out);

}  // namespace qwen3::kernels::ggml

namespace qwen3::kernels {
// n positions from pos of one key/value head as f32 rows: out[n][head_dim].
void kv_gather(const KvLayer& kv, bool value, int kv_head, int pos, int n, float* out);
}  // namespace qwen3::kernels
