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

// Q5_K panels (quant_panels.h), packed per call for a batch. Per super-block: 64 vectors of levels (vector 8j + g:
// values 32j + 4g .. + 3 of each row, unsigned), 8 of sub-block scales
// (int32 lanes), 4 of min pairs (int16: min 2i, min 2i + 1), d and dmin (f32).
// Per element and super-block, as TileK4: sumi = sum_j scale_j (q . x over
// sub-block j), summs = sum_j min_j sum_j(x) (from QuantizedActs::sub_sums),
// sum + ((dx d) sumi - (dx dmin) summs).
struct PanelQ5_K {
  static constexpr int kVectors = 64 + 8 + 4 + 2;
  static constexpr int kTokens = 8;

  void pack(const BlockQ5_K* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    alignas(64) std::uint8_t levels[16][256];
    alignas(64) std::int32_t scales[8][16], mins[4][16];
    alignas(64) float d[16], dmin[16];
    std::memset(levels, 0, sizeof levels);
    std::memset(scales, 0, sizeof scales);
    std::memset(mins, 0, sizeof mins);
    std::memset(d, 0, sizeof d);
    std::memset(dmin, 0, sizeof dmin);
    for (std::int64_t k = 0; k < blocks; ++k, out += kVectors) {
      for (int r = 0; r < n; ++r) {
        const BlockQ5_K& B = rows[r][k];
        __m512i q[4];
        UnpackQ5_K{}(B, q);
        for (int j = 0; j < 4; ++j) _mm512_store_si512(levels[r] + 64 * j, q[j]);
        std::uint8_t sc[8], m[8];
        for (int j = 0; j < 8; ++j) scale_min_k4(j, B.scales, sc[j], m[j]);
        for (int j = 0; j < 8; ++j) scales[j][r] = sc[j];
        for (int i = 0; i < 4; ++i) mins[i][r] = int16_pair(m[2 * i], m[2 * i + 1]);
        d[r] = half_to_f32(B.d);
        dmin[r] = half_to_f32(B.dmin);
      }
      panel_levels(levels, out);
      for (int j = 0; j < 8; ++j) out[64 + j] = _mm512_load_si512(scales[j]);
      for (int i = 0; i < 4; ++i) out[72 + i] = _mm512_load_si512(mins[i]);
      out[76] = _mm512_castps_si512(_mm512_load_ps(d));
      out[77] = _mm512_castps_si512(_mm512_load_ps(dmin));
    }
  }

  template <int T>
  void run(const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y, std::int64_t y_stride,
           __mmask16 mask) const {
    __m512 sum[T];
    for (int t = 0; t < T; ++t) sum[t] = _mm512_setzero_ps();
    for (std::int64_t k = 0; k < blocks; ++k, panel += kVectors) {
      __m512i sumi[T];
      panel_scaled_sums<T, 8>(panel, x, b, k, sumi);
      const __m512 d = _mm512_castsi512_ps(_mm512_load_si512(panel + 76));
      const __m512 dmin = _mm512_castsi512_ps(_mm512_load_si512(panel + 77));
      for (int t = 0; t < T; ++t) {
        const std::int32_t* pairs = x.sub_sum(b + t) + QuantizedActs::kSubSumWords * k;
        __m512i summs = _mm512_setzero_si512();
        for (int i = 0; i < 4; ++i)
          summs = _mm512_dpwssd_epi32(summs, _mm512_load_si512(panel + 72 + i), _mm512_set1_epi32(pairs[i]));
        const __m512 dx = _mm512_set1_ps(x.scale(b + t)[k]);
        const __m512 a = _mm512_mul_ps(_mm512_mul_ps(dx, d), _mm512_cvtepi32_ps(sumi[t]));
        const __m512 c = _mm512_mul_ps(_mm512_mul_ps(dx, dmin), _mm512_cvtepi32_ps(summs));
        sum[t] = _mm512_add_ps(sum[t], _mm512_sub_ps(a, c));
      }
    }
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + t * y_stride, mask, sum[t]);
  }
};
#endif

}  // namespace

namespace {

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
  dot_rows_panels<BlockQ5_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, PanelQ5_K{});
}
#endif

}  // namespace

const QuantKernels kQuantQ5_K {
  .rows = dot_rows_q5_k,
#if defined(QWEN3_QUANT_VNNI)
  .panels = panel_rows_q5_k,
#endif
};

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
