// Q8_0 weights: blocks of 32 int8 values and an f16 scale; the activations
// are Q8_0 blocks too, so each block's product is one integer dot product.
#include <algorithm>
#include <cmath>

#include "kernels/quant.h"

namespace qwen3::kernels::detail {
namespace {

float dot_q8_0(const BlockQ8_0* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
#if defined(QWEN3_QUANT_VNNI)
  // vpdpbusd multiplies unsigned by signed bytes: |w| times x with w's sign.
  // One accumulator of 8 lanes (lane j: the block's values 4j .. 4j + 3),
  // blocks in order, then the fixed horizontal sum: ggml's own order
  // (ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS_Q0_AVX), so the
  // products have llama.cpp's bits.
  __m256 acc = _mm256_setzero_ps();
  for (std::int64_t k = 0; k < blocks; ++k) {
    const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row[k].qs));
    const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + 32 * k));
    const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half_to_f32(row[k].d) * xd[k]), _mm256_cvtepi32_ps(p), acc);
  }
  return hsum(acc);
#else
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    std::int32_t s = 0;
    for (int j = 0; j < 32; ++j) s += row[k].qs[j] * xq[32 * k + j];
    sum += half_to_f32(row[k].d) * xd[k] * static_cast<float>(s);
  }
  return sum;
#endif
}

}  // namespace

void dot_rows_q8_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_quant<BlockQ8_0, 32>(w, sel, begin, end, x, b0, nb, y, y_stride, dot_q8_0);
}

// quantize_row_q8_0_ref: d = amax / 127 (stored as f16), each value times
// 1 / d (the f32 d, before its rounding to f16), rounded half away from zero.
void quantize_q8_0(const float* x, std::int64_t n, void* out) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (std::int64_t k = 0; k < n / 32; ++k) {
    const float* xb = x + k * 32;
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(xb[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[k].d = f32_to_f16(d);
    for (int j = 0; j < 32; ++j) blocks[k].qs[j] = static_cast<std::int8_t>(std::round(xb[j] * id));
  }
}

void dequantize_q8_0(const void* src, std::int64_t n, float* out) {
  const auto* blocks = static_cast<const BlockQ8_0*>(src);
  for (std::int64_t k = 0; k < n / 32; ++k) {
    const float d = f16_to_f32(blocks[k].d);
    for (int j = 0; j < 32; ++j) out[k * 32 + j] = static_cast<float>(blocks[k].qs[j]) * d;
  }
}

}  // namespace qwen3::kernels::detail
