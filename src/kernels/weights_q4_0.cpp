// Q4_0 weights: blocks of 32 four-bit values (offset 8) and an f16 scale,
// multiplied with Q8_0 activations: sum((q - 8) x) = sum(q x) - 8 sum(x),
// with sum(x) kept by the activation quantizer.
#include <algorithm>
#include <cmath>

#include "kernels/quant.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product: the same integer block sums.
float dot_q4_0(const BlockQ4_0* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  const std::int32_t* xs = x.sum(b);
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    std::int32_t s = 0;
    for (int j = 0; j < 16; ++j)
      s += (row[k].qs[j] & 0x0F) * xq[32 * k + j] + (row[k].qs[j] >> 4) * xq[32 * k + 16 + j];
    for (int l = 0; l < 8; ++l) s -= 8 * xs[8 * k + l];
    sum += half_to_f32(row[k].d) * xd[k] * static_cast<float>(s);
  }
  return sum;
}
#endif

// R rows x J vectors at once (dot_rows_tiled). Each element: the unsigned
// nibbles times x by vpdpbusd, less 8 times x's sum over each lane's four
// values (the offset), gives each lane's sum of (q - 8) x exactly; then one
// 8-lane accumulator over the blocks in order and the fixed horizontal sum:
// ggml's arithmetic (ggml_vec_dot_q4_0_q8_0), whatever the tile.
// With an even R, two rows share each 512-bit vector, the same operations
// per lane.
struct TileQ4_0 {
  template <int R, int J>
  void operator()(const BlockQ4_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
#if defined(QWEN3_QUANT_VNNI)
    if constexpr (R % 2 == 0) {
      pairs<R, J>(rows, blocks, x, b, out);
    } else {  // one row per 256-bit vector: the last row of an odd count
      const std::int8_t* xq[J];
      const float* xd[J];
      const std::int32_t* xs[J];
      for (int j = 0; j < J; ++j) {
        xq[j] = x.q(b + j);
        xd[j] = x.scale(b + j);
        xs[j] = x.sum(b + j);
      }
      const __m128i low = _mm_set1_epi8(0x0F);
      __m256 acc[R][J];
      for (int r = 0; r < R; ++r)
        for (int j = 0; j < J; ++j) acc[r][j] = _mm256_setzero_ps();
      for (std::int64_t k = 0; k < blocks; ++k) {
        prefetch_next_tile<R>(rows, blocks, k);
        __m256i wv[R];
        float dw[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[r][k].qs));
          wv[r] = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low), _mm_and_si128(q, low));
          dw[r] = half_to_f32(rows[r][k].d);
        }
#pragma GCC unroll 4
        for (int j = 0; j < J; ++j) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[j] + 32 * k));
          const __m256i offset =
              _mm256_slli_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(xs[j] + 8 * k)), 3);
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), wv[r], xv), offset);
            acc[r][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw[r] * xd[j][k]), _mm256_cvtepi32_ps(p), acc[r][j]);
          }
        }
      }
      for (int r = 0; r < R; ++r)
        for (int j = 0; j < J; ++j) out[r * J + j] = hsum(acc[r][j]);
    }
#else
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < J; ++j) out[r * J + j] = dot_q4_0(rows[r], blocks, x, b + j);
#endif
  }

#if defined(QWEN3_QUANT_VNNI)
  template <int R, int J>
  static void pairs(const BlockQ4_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) {
    constexpr int P = R / 2;
    __m512 acc[P][J];
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < J; ++j) acc[p][j] = _mm512_setzero_ps();
    const __m512i zero = _mm512_setzero_si512(), low = _mm512_set1_epi8(0x0F);
    for (std::int64_t k = 0; k < blocks; ++k) {
      prefetch_next_tile<R>(rows, blocks, k);
      __m512i wv[P];
      __m512 dw[P];
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        const BlockQ4_0 &first = rows[2 * p][k], &second = rows[2 * p + 1][k];
        const __m256i both =
            _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(first.qs))),
                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(second.qs)), 1);
        // [first, second, first >> 4, second >> 4] -> [first, first >> 4, second, second >> 4]:
        // each row's low nibbles (values 0-15), then its high ones (16-31).
        const __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(both), _mm256_srli_epi16(both, 4), 1);
        wv[p] = _mm512_and_si512(_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)), low);
        dw[p] = pair_scales(first.d, second.d);
      }
#pragma GCC unroll 4
      for (int j = 0; j < J; ++j) {
        const __m512i xv =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q(b + j) + 32 * k)));
        const __m512i offset = _mm512_slli_epi32(
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.sum(b + j) + 8 * k))), 3);
        const __m512 dx = _mm512_set1_ps(x.scale(b + j)[k]);
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) {
          const __m512i dot = _mm512_sub_epi32(_mm512_dpbusd_epi32(zero, wv[p], xv), offset);
          acc[p][j] = _mm512_fmadd_ps(_mm512_mul_ps(dw[p], dx), _mm512_cvtepi32_ps(dot), acc[p][j]);
        }
      }
    }
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < J; ++j) {
        out[2 * p * J + j] = hsum_low(acc[p][j]);
        out[(2 * p + 1) * J + j] = hsum_high(acc[p][j]);
      }
  }
#endif
};

}  // namespace

void dot_rows_q4_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_tiled<BlockQ4_0, 32>(w, sel, begin, end, x, b0, nb, y, y_stride, TileQ4_0{});
}

// quantize_row_q4_0_ref: d = (the value of largest magnitude) / -8, stored as
// f16; each value times 1 / d (the f32 d), plus 8.5, truncated, at most 15.
void quantize_q4_0(const float* x, std::int64_t n, void* out) {
  auto* blocks = static_cast<BlockQ4_0*>(out);
  for (std::int64_t k = 0; k < n / 32; ++k) {
    const float* xb = x + k * 32;
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < 32; ++j)
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[k].d = f32_to_f16(d);
    for (int j = 0; j < 16; ++j) {
      const int lo = std::min(15, static_cast<int>(static_cast<std::int8_t>(xb[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<std::int8_t>(xb[16 + j] * id + 8.5f)));
      blocks[k].qs[j] = static_cast<std::uint8_t>(lo | (hi << 4));
    }
  }
}

void dequantize_q4_0(const void* src, std::int64_t n, float* out) {
  const auto* blocks = static_cast<const BlockQ4_0*>(src);
  for (std::int64_t k = 0; k < n / 32; ++k) {
    const float d = f16_to_f32(blocks[k].d);
    for (int j = 0; j < 16; ++j) {
      out[k * 32 + j] = static_cast<float>((blocks[k].qs[j] & 0x0F) - 8) * d;
      out[k * 32 + j + 16] = static_cast<float>((blocks[k].qs[j] >> 4) - 8) * d;
    }
  }
}

}  // namespace qwen3::kernels::detail
