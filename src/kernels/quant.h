#pragma once
// Quantized weights: ggml's block formats, the activations quantized the way
// llama.cpp's CPU backend quantizes them before a product (its vec_dot_type:
// Q8_0 blocks of 32 for Q8_0/Q4_0 weights, Q8_K blocks of 256 for the
// K-quants), and the integer dot products over them.
//
// Each weight type has its own file (weights_<type>.cpp) with its exact
// dequantization (ggml's to_float, bit for bit) and its dot kernel: an AVX-512
// VNNI one (vpdpbusd: u8 x s8 -> s32) where the compiler targets it, and a
// portable scalar one with the same integer sums. quant_matmul.cpp splits the
// rows across threads and tiles the batch; quant_acts.cpp quantizes x.
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "kernels/matmul_internal.h"

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__) && defined(__F16C__)
#include <immintrin.h>
#define QWEN3_QUANT_VNNI 1
#endif

namespace qwen3::kernels::detail {

// ggml's blocks (ggml-common.h); the scales are IEEE half floats.
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[32];
};
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[16];  // element j: low nibble of qs[j]; element j + 16: high nibble; value - 8
};
struct BlockQ4_K {
  std::uint16_t d, dmin;
  std::uint8_t scales[12];  // 8 six-bit scales and 8 six-bit mins, packed
  std::uint8_t qs[128];
};
struct BlockQ5_K {
  std::uint16_t d, dmin;
  std::uint8_t scales[12];
  std::uint8_t qh[32];  // the fifth bit
  std::uint8_t qs[128];
};
struct BlockQ6_K {
  std::uint8_t ql[128];  // low four bits
  std::uint8_t qh[64];   // high two bits
  std::int8_t scales[16];
  std::uint16_t d;
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Q4_K / Q5_K: scale and min of sub-block j (0..7), six bits each.
inline void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& d, std::uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q4_K / Q5_K: the eight sub-block scales of a super-block into sc, and
// sum_j min_j * sum(x over sub-block j) from the activations' group sums.
inline std::int32_t k4_scales(const std::uint8_t* packed, const std::int32_t* bsums, std::uint8_t sc[8]) {
  std::int32_t summs = 0;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t m;
    scale_min_k4(j, packed, sc[j], m);
    summs += m * (bsums[2 * j] + bsums[2 * j + 1]);
  }
  return summs;
}

// An IEEE half as f32 (the hardware conversion where there is one).
inline float half_to_f32(std::uint16_t h) {
#if defined(QWEN3_QUANT_VNNI)
  return _cvtsh_ss(h);
#else
  return f16_to_f32(h);
#endif
}

// Activations quantized for one matmul: `batch` vectors of `blocks` blocks.
//  Q8_0 (block 32): d = fp16(amax / 127) as f32, qs = round-half-even(x * 127 / amax),
//    sums[b][k] = sum of block k's qs (what Q4_0's offset of 8 needs).
//  Q8_K (block 256): d = 1 / (-127 / max) (max: the value of largest magnitude),
//    qs = round-half-even(x * -127 / max), sums[b][k * 16 + s] = sum of the
//    16 qs of group s (ggml's bsums).
struct QuantizedActs {
  int block = 32;
  std::int64_t blocks = 0;  // per vector
  std::vector<std::int8_t> qs;
  std::vector<float> d;
  std::vector<std::int32_t> sums;

  int sums_per_block() const { return block == 32 ? 1 : 16; }
  const std::int8_t* q(int b) const { return qs.data() + static_cast<std::int64_t>(b) * blocks * block; }
  const float* scale(int b) const { return d.data() + static_cast<std::int64_t>(b) * blocks; }
  const std::int32_t* sum(int b) const {
    return sums.data() + static_cast<std::int64_t>(b) * blocks * sums_per_block();
  }
};

void quantize_acts_q8_0(const float* x, int batch, std::int64_t cols, QuantizedActs& out);
void quantize_acts_q8_k(const float* x, int batch, std::int64_t cols, QuantizedActs& out);

// The block size of the activations a weight type multiplies with (32 or 256).
int act_block(WeightType t);

// For i in [begin, end) and b in [b0, b0 + nb): y[b * y_stride + i] = W[sel(i)] . x[b].
using QuantDotFn = void (*)(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end,
                            const QuantizedActs& x, int b0, int nb, float* y, std::int64_t y_stride);
void dot_rows_q8_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride);
void dot_rows_q4_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride);
void dot_rows_q4_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride);
void dot_rows_q5_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride);
void dot_rows_q6_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride);

// ggml's reference quantizers (llama-quantize's, with no importance matrix)
// for n elements (a multiple of the block: 32, or 256 for the K-quants) into
// blocks at out.
void quantize_q8_0(const float* x, std::int64_t n, void* out);
void quantize_q4_0(const float* x, std::int64_t n, void* out);
void quantize_q4_k(const float* x, std::int64_t n, void* out);
void quantize_q6_k(const float* x, std::int64_t n, void* out);

// ggml's nearest_int: round half to even through the float adder (|f| below 2^22).
inline int nearest_int(float f) {
  const float shifted = f + 12582912.f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// ggml's to_float for n elements (a multiple of the block) starting at a block.
void dequantize_q8_0(const void* src, std::int64_t n, float* out);
void dequantize_q4_0(const void* src, std::int64_t n, float* out);
void dequantize_q4_k(const void* src, std::int64_t n, float* out);
void dequantize_q5_k(const void* src, std::int64_t n, float* out);
void dequantize_q6_k(const void* src, std::int64_t n, float* out);

// The loop every weight type's dot_rows shares: row by row, each row dotted
// with the nb activation vectors while it is in L1. dot(row, blocks, x, b)
// is the type's one-row, one-vector product.
template <class Block, int kBlock, class Dot>
void dot_rows_quant(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                    int b0, int nb, float* y, std::int64_t y_stride, Dot dot) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
  for (std::int64_t i = begin; i < end; ++i) {
    const Block* row = base + sel(i) * blocks;
    for (int b = b0; b < b0 + nb; ++b) y[b * y_stride + i] = dot(row, blocks, x, b);
  }
}

#if defined(QWEN3_QUANT_VNNI)
// Q4_K / Q5_K: acc += (q . x) * scale for the 64 values of sub-blocks 2j
// (q's low 256 bits) and 2j + 1 (high), q unsigned, x signed.
inline __m512i k4_accumulate(__m512i acc, __m512i q, const std::int8_t* x, std::uint8_t lo, std::uint8_t hi) {
  const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512(x));
  const __m512i s = _mm512_mask_blend_epi32(0xFF00, _mm512_set1_epi32(lo), _mm512_set1_epi32(hi));
  return _mm512_add_epi32(acc, _mm512_mullo_epi32(p, s));
}

inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}
#endif

// The one of those for `type`.
void dequantize(const void* src, WeightType type, std::int64_t n, float* out);

// y[b][i] = W[sel(i)] . x[b] for a quantized W (matmul.cpp's entry).
void quantized_matmul(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch, float* y);

}  // namespace qwen3::kernels::detail
