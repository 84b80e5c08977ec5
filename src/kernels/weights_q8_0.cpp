// Q8_0 weights: blocks of 32 int8 values and an f16 scale; the activations
// are Q8_0 blocks too, so each block's product is one integer dot product.
#include <algorithm>
#include <cmath>

#include "kernels/quant_panels.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product, in the order of the vector ones (and of ggml's, so
// that a portable build keeps llama.cpp's bits too): 8 lanes, lane l the
// integer sum of values 4l .. 4l + 3 of each block, fused into its f32
// accumulator block by block (std::fma: one rounding, as vfmadd), then the
// fixed horizontal sum.
float dot_q8_0(const BlockQ8_0* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  float lane[8] = {};
  for (std::int64_t k = 0; k < blocks; ++k) {
    const float d = half_to_f32(row[k].d) * xd[k];
    for (int l = 0; l < 8; ++l) {
      std::int32_t s = 0;
      for (int c = 4 * l; c < 4 * l + 4; ++c) s += row[k].qs[c] * xq[32 * k + c];
      lane[l] = std::fma(d, static_cast<float>(s), lane[l]);
    }
  }
  return ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]));
}
#endif

// R rows x J vectors at once (dot_rows_tiled). Each element: vpdpbusd
// multiplies unsigned by signed bytes, so |w| times x with w's sign; one
// accumulator of 8 lanes (lane l: the block's values 4l .. 4l + 3), blocks
// in order, then the fixed horizontal sum: ggml's own order
// (ggml_vec_dot_q8_0_q8_0 and llamafile's tinyBLAS_Q0_AVX), so the products
// have llama.cpp's bits whatever the tile.
// With an even R, two rows share each 512-bit vector (the sign taken by a
// mask: AVX-512 has no vpsignb), the same operations per lane.
struct TileQ8_0 {
  template <int R, int J>
  void operator()(const BlockQ8_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
#if defined(QWEN3_QUANT_VNNI)
    if constexpr (R % 2 == 0) {
      pairs<R, J>(rows, blocks, x, b, out);
    } else {  // one row per 256-bit vector: the last row of an odd count
      const std::int8_t* xq[J];
      const float* xd[J];
      for (int j = 0; j < J; ++j) {
        xq[j] = x.q(b + j);
        xd[j] = x.scale(b + j);
      }
      __m256 acc[R][J];
      for (int r = 0; r < R; ++r)
        for (int j = 0; j < J; ++j) acc[r][j] = _mm256_setzero_ps();
      for (std::int64_t k = 0; k < blocks; ++k) {
        prefetch_next_tile<R>(rows, blocks, k);
        __m256i wv[R], wabs[R];
        float dw[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          wv[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[r][k].qs));
          wabs[r] = _mm256_sign_epi8(wv[r], wv[r]);
          dw[r] = half_to_f32(rows[r][k].d);
        }
#pragma GCC unroll 4
        for (int j = 0; j < J; ++j) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[j] + 32 * k));
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), wabs[r], _mm256_sign_epi8(xv, wv[r]));
            acc[r][j] = _mm256_fmadd_ps(_mm256_set1_ps(dw[r] * xd[j][k]), _mm256_cvtepi32_ps(p), acc[r][j]);
          }
        }
      }
      for (int r = 0; r < R; ++r)
        for (int j = 0; j < J; ++j) out[r * J + j] = hsum(acc[r][j]);
    }
#else
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < J; ++j) out[r * J + j] = dot_q8_0(rows[r], blocks, x, b + j);
#endif
  }

#if defined(QWEN3_QUANT_VNNI)
  template <int R, int J>
  static void pairs(const BlockQ8_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) {
    constexpr int P = R / 2;
    __m512 acc[P][J];
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < J; ++j) acc[p][j] = _mm512_setzero_ps();
    const __m512i zero = _mm512_setzero_si512();
    for (std::int64_t k = 0; k < blocks; ++k) {
      prefetch_next_tile<R>(rows, blocks, k);
      __m512i wabs[P];
      __mmask64 negative[P];
      __m512 dw[P];
#pragma GCC unroll 4
      for (int p = 0; p < P; ++p) {
        const BlockQ8_0 &first = rows[2 * p][k], &second = rows[2 * p + 1][k];
        const __m512i w =
            _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(first.qs))),
                               _mm256_loadu_si256(reinterpret_cast<const __m256i*>(second.qs)), 1);
        wabs[p] = _mm512_abs_epi8(w);
        negative[p] = _mm512_movepi8_mask(w);
        dw[p] = pair_scales(first.d, second.d);
      }
#pragma GCC unroll 4
      for (int j = 0; j < J; ++j) {
        const __m512i xv =
            _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q(b + j) + 32 * k)));
        const __m512 dx = _mm512_set1_ps(x.scale(b + j)[k]);
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) {
          const __m512i signed_x = _mm512_mask_sub_epi8(xv, negative[p], zero, xv);
          const __m512i dot = _mm512_dpbusd_epi32(zero, wabs[p], signed_x);
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

#if defined(QWEN3_QUANT_VNNI)
// Q8_0 panels (quant_panels.h). Per block: 8 vectors of values plus 128
// (unsigned: vector l, lane r holds row r's values 4l .. 4l + 3), and the
// rows' scales (f32). vpdpbusd from the activations' lane offset (-128 times
// their 4 values' sum, QuantizedActs::lane_offsets) gives exactly the
// tile's lane sum of w x. Per element, as TileQ8_0: 8 accumulators (one per
// lane l of ggml's), each fma((dw dx), its sum, acc) block by block, then
// ggml's horizontal sum ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)).
struct PanelQ8_0 {
  static constexpr int kVectors = 8 + 1;
  static constexpr int kTokens = 3;

  void pack(const BlockQ8_0* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    alignas(64) std::uint32_t values[8][16];
    alignas(64) float d[16];
    std::memset(values, 0, sizeof values);
    std::memset(d, 0, sizeof d);
    for (std::int64_t k = 0; k < blocks; ++k, out += kVectors) {
      for (int r = 0; r < n; ++r) {
        for (int l = 0; l < 8; ++l) {
          std::uint32_t v;
          std::memcpy(&v, rows[r][k].qs + 4 * l, 4);
          values[l][r] = v ^ 0x80808080u;  // each byte plus 128
        }
        d[r] = half_to_f32(rows[r][k].d);
      }
      for (int l = 0; l < 8; ++l) out[l] = _mm512_load_si512(values[l]);
      out[8] = _mm512_castps_si512(_mm512_load_ps(d));
    }
  }

  template <int T>
  void run(const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y, std::int64_t y_stride,
           __mmask16 mask) const {
    __m512 acc[T][8];
    for (int t = 0; t < T; ++t)
      for (int l = 0; l < 8; ++l) acc[t][l] = _mm512_setzero_ps();
    for (std::int64_t k = 0; k < blocks; ++k, panel += kVectors) {
      const __m512 dw = _mm512_castsi512_ps(_mm512_load_si512(panel + 8));
#pragma GCC unroll 4
      for (int t = 0; t < T; ++t) {
        const __m512 dwdx = _mm512_mul_ps(dw, _mm512_set1_ps(x.scale(b + t)[k]));
        const std::int8_t* xq = x.q(b + t) + 32 * k;
        const std::int32_t* offset = x.lane_offset(b + t) + 8 * k;
#pragma GCC unroll 8
        for (int l = 0; l < 8; ++l) {
          const __m512i dot =
              _mm512_dpbusd_epi32(_mm512_set1_epi32(offset[l]), _mm512_load_si512(panel + l), broadcast4(xq + 4 * l));
          acc[t][l] = _mm512_fmadd_ps(dwdx, _mm512_cvtepi32_ps(dot), acc[t][l]);
        }
      }
    }
    for (int t = 0; t < T; ++t) {
      const __m512 low = _mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][4]), _mm512_add_ps(acc[t][2], acc[t][6]));
      const __m512 high = _mm512_add_ps(_mm512_add_ps(acc[t][1], acc[t][5]), _mm512_add_ps(acc[t][3], acc[t][7]));
      _mm512_mask_storeu_ps(y + t * y_stride, mask, _mm512_add_ps(low, high));
    }
  }
};
#endif

}  // namespace

namespace {

void dot_rows_q8_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_tiled<BlockQ8_0, 32>(w, sel, begin, end, x, b0, nb, y, y_stride, TileQ8_0{});
}

#if defined(QWEN3_QUANT_VNNI)
void panel_rows_q8_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_panels<BlockQ8_0, 32>(w, sel, begin, end, x, b0, nb, y, y_stride, PanelQ8_0{});
}
#endif

}  // namespace

const QuantKernels kQuantQ8_0 {
  .rows = dot_rows_q8_0,
#if defined(QWEN3_QUANT_VNNI)
  .panels = panel_rows_q8_0,
#endif
};

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
