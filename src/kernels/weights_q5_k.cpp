// Q5_K weights: Q4_K's layout plus a fifth bit per value (qh):
//   w = d * scale_j * q - dmin * min_j, q in 0..31.
#include "kernels/quant_panels.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product (the VNNI one is the tile, below).
float dot_q5_k(const BlockQ5_K* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  const std::int32_t* bsums = x.sum(b);
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    const BlockQ5_K& B = row[k];
    const std::int8_t* q8 = xq + 256 * k;
    const std::int32_t* bs = bsums + 16 * k;
    std::uint8_t sc[8];
    const std::int32_t summs = k4_scales(B.scales, bs, sc);
    std::int32_t sumi = 0;
    for (int j = 0; j < 4; ++j) {
      std::int32_t lo = 0, hi = 0;
      for (int l = 0; l < 32; ++l) {
        const int h0 = (B.qh[l] >> (2 * j)) & 1, h1 = (B.qh[l] >> (2 * j + 1)) & 1;
        lo += ((B.qs[32 * j + l] & 0x0F) + 16 * h0) * q8[64 * j + l];
        hi += ((B.qs[32 * j + l] >> 4) + 16 * h1) * q8[64 * j + 32 + l];
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
// Q4_K's nibbles plus the fifth bit of each value from qh (bits 2j and 2j + 1).
struct UnpackQ5_K {
  void operator()(const BlockQ5_K& B, __m512i q[4]) const {
    const __m256i low = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.qh));
    for (int j = 0; j < 4; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.qs + 32 * j));
      const __m128i s0 = _mm_cvtsi32_si128(2 * j), s1 = _mm_cvtsi32_si128(2 * j + 1);
      const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(qh, s0), one), 4);
      const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srl_epi16(qh, s1), one), 4);
      q[j] = _mm512_inserti64x4(_mm512_zextsi256_si512(_mm256_or_si256(_mm256_and_si256(v, low), h0)),
                                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low), h1), 1);
    }
  }
};
#endif

}  // namespace

void dot_rows_q5_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
#if defined(QWEN3_QUANT_VNNI)
  dot_rows_tiled<BlockQ5_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, TileK4<BlockQ5_K, UnpackQ5_K>{});
#else
  dot_rows_quant<BlockQ5_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, dot_q5_k);
#endif
}

#if defined(QWEN3_QUANT_VNNI)
void panel_rows_q5_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_panels<BlockQ5_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, PanelK4<BlockQ5_K, UnpackQ5_K>{});
}
#endif

void dequantize_q5_k(const void* src, std::int64_t n, float* out) {
  const auto* blocks = static_cast<const BlockQ5_K*>(src);
  for (std::int64_t k = 0; k < n / 256; ++k) {
    const BlockQ5_K& B = blocks[k];
    const float d = f16_to_f32(B.d), min = f16_to_f32(B.dmin);
    const std::uint8_t* ql = B.qs;
    float* y = out + k * 256;
    std::uint8_t u1 = 1, u2 = 2;
    for (int j = 0; j < 4; ++j) {
      std::uint8_t sc, m;
      scale_min_k4(2 * j, B.scales, sc, m);
      const float d1 = d * sc, m1 = min * m;
      scale_min_k4(2 * j + 1, B.scales, sc, m);
      const float d2 = d * sc, m2 = min * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (B.qh[l] & u1 ? 16 : 0)) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (B.qh[l] & u2 ? 16 : 0)) - m2;
      ql += 32;
      u1 <<= 2;
      u2 <<= 2;
    }
  }
}

}  // namespace qwen3::kernels::detail
