// Q4_K weights: super-blocks of 256 four-bit values in 8 sub-blocks of 32,
// each with a six-bit scale and min, under f16 super-scales d and dmin:
//   w = d * scale_j * q - dmin * min_j.
// Multiplied with Q8_K activations: sum(w x) = d dx sum_j scale_j sum(q x)
// - dmin dx sum_j min_j sum_j(x), the last from the activations' group sums.
#include "kernels/quant.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product (the VNNI one is the tile, below).
float dot_q4_k(const BlockQ4_K* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  const std::int32_t* bsums = x.sum(b);
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    const BlockQ4_K& B = row[k];
    const std::int8_t* q8 = xq + 256 * k;
    const std::int32_t* bs = bsums + 16 * k;
    std::uint8_t sc[8];
    const std::int32_t summs = k4_scales(B.scales, bs, sc);
    std::int32_t sumi = 0;
    for (int j = 0; j < 4; ++j) {
      std::int32_t lo = 0, hi = 0;
      for (int l = 0; l < 32; ++l) {
        lo += (B.qs[32 * j + l] & 0x0F) * q8[64 * j + l];
        hi += (B.qs[32 * j + l] >> 4) * q8[64 * j + 32 + l];
      }
      sumi += sc[2 * j] * lo + sc[2 * j + 1] * hi;
    }
    sum +=
        xd[k] * half_to_f32(B.d) * static_cast<float>(sumi) - xd[k] * half_to_f32(B.dmin) * static_cast<float>(summs);
  }
  return sum;
}
#endif

#if defined(QWEN3_QUANT_VNNI)
// 32 bytes hold sub-block 2j in the low nibbles and 2j + 1 in the high ones.
struct UnpackQ4_K {
  void operator()(const BlockQ4_K& B, __m512i q[4]) const {
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int j = 0; j < 4; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.qs + 32 * j));
      q[j] = _mm512_inserti64x4(_mm512_zextsi256_si512(_mm256_and_si256(v, low)),
                                _mm256_and_si256(_mm256_srli_epi16(v, 4), low), 1);
    }
  }
};
#endif

}  // namespace

void dot_rows_q4_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
#if defined(QWEN3_QUANT_VNNI)
  dot_rows_tiled<BlockQ4_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, TileK4<BlockQ4_K, UnpackQ4_K>{});
#else
  dot_rows_quant<BlockQ4_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, dot_q4_k);
#endif
}

void dequantize_q4_k(const void* src, std::int64_t n, float* out) {
  const auto* blocks = static_cast<const BlockQ4_K*>(src);
  for (std::int64_t k = 0; k < n / 256; ++k) {
    const BlockQ4_K& B = blocks[k];
    const float d = f16_to_f32(B.d), min = f16_to_f32(B.dmin);
    const std::uint8_t* q = B.qs;
    float* y = out + k * 256;
    for (int j = 0; j < 4; ++j) {
      std::uint8_t sc, m;
      scale_min_k4(2 * j, B.scales, sc, m);
      const float d1 = d * sc, m1 = min * m;
      scale_min_k4(2 * j + 1, B.scales, sc, m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
    }
  }
}

}  // namespace qwen3::kernels::detail
