// Q4_K weights: super-blocks of 256 four-bit values in 8 sub-blocks of 32,
// each with a six-bit scale and min, under f16 super-scales d and dmin:
//   w = d * scale_j * q - dmin * min_j.
// Multiplied with Q8_K activations: sum(w x) = d dx sum_j scale_j sum(q x)
// - dmin dx sum_j min_j sum_j(x), the last from the activations' group sums.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant_panels.h"

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
// 32 bytes hold sub-block 2j in the low nibbles and 2j + 1 in the high ones:
// loaded into both halves of a vector, the high half shifted down 4 bits.
struct UnpackQ4_K {
  void operator()(const BlockQ4_K& B, __m512i q[4]) const {
    const __m512i low = _mm512_set1_epi8(0x0F), shift = _mm512_setr_epi64(0, 0, 0, 0, 4, 4, 4, 4);
    for (int j = 0; j < 4; ++j) {
      const __m512i v = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.qs + 32 * j)));
      q[j] = _mm512_and_si512(_mm512_srlv_epi64(v, shift), low);
    }
  }
};

// Q4_K panels at the file's density (what a matrix repacked at load keeps:
// 144 bytes per row and super-block, as in rows). Per super-block, 36
// vectors:
//  0-31   levels as nibbles: vector 4j + h, lane r, byte c holds row r's value
//         32j + 4h + c in its low nibble and 32j + 16 + 4h + c in its high one;
//  32     scales 0-3, byte 16j + r: sub-block j's of row r in bits 0-5, bits
//         4-5 of scale j + 4 in bits 6-7;
//  33     mins 0-3, bytes 32i + 2r and + 1: mins 2i and 2i + 1 of row r (int16
//         pairs once widened) in bits 0-5, bits 4-5 of mins 2i + 4 and
//         2i + 5 in bits 6-7;
//  34     low nibbles: bits 0-3 of scale j + 4 at byte 16j + r, bits 0-3 of
//         mins 2i + 4 and 2i + 5 at bytes 32i + 2r and + 1 (high nibbles);
//  35     d of the 16 rows (f16), then dmin.
// Per element and super-block the same integers and float operations as
// TileK4: sum + ((dx d) sumi - (dx dmin) summs).
struct PanelQ4_K {
  static constexpr int kVectors = 36;
  static constexpr int kTokens = 8;
  int prefetch_ahead = 0;  // decode (quant_panels.h)

  void pack(const BlockQ4_K* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    for (std::int64_t k = 0; k < blocks; ++k, out += kVectors) {
      auto* bytes = reinterpret_cast<std::uint8_t*>(out);
      std::memset(bytes, 0, kVectors * 64);
      auto* halves = reinterpret_cast<std::uint16_t*>(bytes + 35 * 64);
      for (int r = 0; r < n; ++r) {
        const BlockQ4_K& B = rows[r][k];
        alignas(64) std::uint8_t levels[256];
        __m512i q[4];
        UnpackQ4_K{}(B, q);
        for (int j = 0; j < 4; ++j) _mm512_store_si512(levels + 64 * j, q[j]);
        for (int j = 0; j < 8; ++j) {
          // Values 0-15 of sub-block j in the low nibbles, 16-31 in the high ones
          // (each level below 16: the 16-bit shift keeps it in its byte).
          const __m128i first = _mm_load_si128(reinterpret_cast<const __m128i*>(levels + 32 * j));
          const __m128i second = _mm_load_si128(reinterpret_cast<const __m128i*>(levels + 32 * j + 16));
          alignas(16) std::uint32_t words[4];
          _mm_store_si128(reinterpret_cast<__m128i*>(words), _mm_or_si128(first, _mm_slli_epi16(second, 4)));
          for (int h = 0; h < 4; ++h) std::memcpy(bytes + (4 * j + h) * 64 + 4 * r, &words[h], 4);
        }
        std::uint8_t sc[8], m[8];
        for (int j = 0; j < 8; ++j) scale_min_k4(j, B.scales, sc[j], m[j]);
        for (int j = 0; j < 4; ++j) {
          const int at = 16 * j + r, pair = 32 * (j / 2) + 2 * r + j % 2;
          bytes[32 * 64 + at] = static_cast<std::uint8_t>(sc[j] | (sc[j + 4] >> 4) << 6);
          bytes[33 * 64 + pair] = static_cast<std::uint8_t>(m[j] | (m[j + 4] >> 4) << 6);
          bytes[34 * 64 + at] |= static_cast<std::uint8_t>(sc[j + 4] & 0x0F);
          bytes[34 * 64 + pair] |= static_cast<std::uint8_t>((m[j + 4] & 0x0F) << 4);
        }
        halves[r] = B.d;
        halves[16 + r] = B.dmin;
      }
    }
  }

  template <int T>
  void run(const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y, std::int64_t y_stride,
           __mmask16 mask) const {
    run_steps<T>(*this, panel, blocks, x, b, y, y_stride, mask);
  }

  // Sub-block j's scales of the 16 rows (int32 lanes), from a block's bytes.
  static __m512i scales(const std::uint8_t* bytes, int j) {
    const auto widen = [&](int at) {
      return _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(bytes + at + 16 * (j % 4))));
    };
    if (j < 4) return _mm512_and_si512(widen(2048), _mm512_set1_epi32(0x3F));
    const __m512i top = _mm512_and_si512(_mm512_srli_epi32(widen(2048), 2), _mm512_set1_epi32(0x30));
    return _mm512_ternarylogic_epi32(widen(2176), _mm512_set1_epi32(0x0F), top, 0xEA);  // (low & 0x0F) | top
  }
  // Mins 2i and 2i + 1 of the 16 rows as int16 pairs.
  static __m512i min_pairs(const std::uint8_t* bytes, int i) {
    const auto widen = [&](int at) {
      return _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(bytes + at + 32 * (i % 2))));
    };
    if (i < 2) return _mm512_and_si512(widen(2112), _mm512_set1_epi16(0x3F));
    const __m512i top = _mm512_and_si512(_mm512_srli_epi16(widen(2112), 2), _mm512_set1_epi16(0x30));
    return _mm512_or_si512(_mm512_srli_epi16(widen(2176), 4), top);
  }

  // Super-block k of S panels for tokens b .. b + T - 1 (S > 1: one
  // token): sum[s * T + t] += its part. The S panels' loads interleave, so
  // that they stream from memory side by side.
  template <int T, int S = 1>
  void step(const __m512i* const* panels, std::int64_t k, const QuantizedActs& x, int b, __m512* sum) const {
    // Few chains: each sub-block's sums in two (low and high nibbles), so
    // that one token's dependent vpdpbusd do not wait on each other.
    constexpr int A = T * S >= 4 ? 1 : 2;
    const __m512i low = _mm512_set1_epi8(0x0F);
    const __m512i* p[S];
    const std::uint8_t* bytes[S];
    for (int s = 0; s < S; ++s) {
      p[s] = panels[s] + k * kVectors;
      bytes[s] = reinterpret_cast<const std::uint8_t*>(p[s]);
    }
    // Decode: the panels (contiguous) stream from memory, each prefetched
    // prefetch_ahead bytes ahead of its loads, spread over the sub-blocks.
    const auto prefetch = [&](int first, int lines) {
      if (T == 1 && prefetch_ahead > 0)
        for (int s = 0; s < S; ++s)
          for (int l = first; l < first + lines; ++l)
            _mm_prefetch(reinterpret_cast<const char*>(bytes[s]) + prefetch_ahead + 64 * l, _MM_HINT_T0);
    };
    __m512i sumi[S][T];
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      prefetch(4 * j, j == 7 ? 8 : 4);
      __m512i acc[A][S][T];
      for (int a = 0; a < A; ++a)
        for (int s = 0; s < S; ++s)
          for (int t = 0; t < T; ++t) acc[a][s][t] = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int h = 0; h < 4; ++h)
        for (int s = 0; s < S; ++s) {
          const __m512i z = _mm512_load_si512(p[s] + 4 * j + h);
          const __m512i lo = _mm512_and_si512(z, low), hi = _mm512_and_si512(_mm512_srli_epi16(z, 4), low);
#pragma GCC unroll 8
          for (int t = 0; t < T; ++t) {
            const std::int8_t* xq = x.q(b + t) + 256 * k + 32 * j + 4 * h;
            acc[0][s][t] = _mm512_dpbusd_epi32(acc[0][s][t], lo, broadcast4(xq));
            acc[A - 1][s][t] = _mm512_dpbusd_epi32(acc[A - 1][s][t], hi, broadcast4(xq + 16));
          }
        }
      for (int s = 0; s < S; ++s) {
        const __m512i scale = scales(bytes[s], j);
        for (int t = 0; t < T; ++t) {
          const __m512i dot = A == 2 ? _mm512_add_epi32(acc[0][s][t], acc[A - 1][s][t]) : acc[0][s][t];
          const __m512i m = _mm512_mullo_epi32(dot, scale);
          sumi[s][t] = j == 0 ? m : _mm512_add_epi32(sumi[s][t], m);
        }
      }
    }
    for (int s = 0; s < S; ++s) {
      __m512i mins[4];
      for (int i = 0; i < 4; ++i) mins[i] = min_pairs(bytes[s], i);
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[s] + 2240)));
      const __m512 dmin = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(bytes[s] + 2272)));
      for (int t = 0; t < T; ++t) {
        const std::int32_t* pairs = x.sub_sum(b + t) + QuantizedActs::kSubSumWords * k;
        __m512i summs = _mm512_setzero_si512();
        for (int i = 0; i < 4; ++i) summs = _mm512_dpwssd_epi32(summs, mins[i], _mm512_set1_epi32(pairs[i]));
        const __m512 dx = _mm512_set1_ps(x.scale(b + t)[k]);
        const __m512 a = _mm512_mul_ps(_mm512_mul_ps(dx, d), _mm512_cvtepi32_ps(sumi[s][t]));
        const __m512 c = _mm512_mul_ps(_mm512_mul_ps(dx, dmin), _mm512_cvtepi32_ps(summs));
        sum[s * T + t] = _mm512_add_ps(sum[s * T + t], _mm512_sub_ps(a, c));
      }
    }
  }
};
#endif

}  // namespace

namespace {

void dot_rows_q4_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
#if defined(QWEN3_QUANT_VNNI)
  dot_rows_tiled<BlockQ4_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, TileK4<BlockQ4_K, UnpackQ4_K>{});
#else
  dot_rows_quant<BlockQ4_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, dot_q4_k);
#endif
}

#if defined(QWEN3_QUANT_VNNI)
void panel_rows_q4_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_panels<BlockQ4_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, PanelQ4_K{});
}

void packed_rows_q4_k(const Matrix& w, RowSelection, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                      int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_packed<256>(w, begin, end, x, b0, nb, y, y_stride, PanelQ4_K{});
}

std::int64_t packed_bytes_q4_k(const Matrix& w) { return panel_bytes<BlockQ4_K, 256, PanelQ4_K>(w); }

void repack_q4_k(const Matrix& w, void* out) { repack_rows<BlockQ4_K, 256>(w, out, PanelQ4_K{}); }
#endif

}  // namespace

const QuantKernels kQuantQ4_K {
  .rows = dot_rows_q4_k,
#if defined(QWEN3_QUANT_VNNI)
  .panels = panel_rows_q4_k, .packed = packed_rows_q4_k, .packed_bytes = packed_bytes_q4_k, .repack = repack_q4_k,
#endif
};

namespace {

// One sub-block of 32 values as levels 0..15 of w = scale * l - min (min >= 0),
// fitted as ggml's make_qkx2_quants fits it (nmax 15, rmin -1, rdelta 0.1,
// 20 steps, squared error weighted by `weights`): the scale from max - min,
// then the weighted least-squares scale and min for each of 21 nudged
// inverse scales, the one with the smallest error kept. Returns the scale;
// the min (positive, subtracted) goes to *min_out.
float fit_sub_block(const float* x, const float* weights, std::uint8_t* levels, float* min_out) {
  constexpr int n = 32, nmax = 15, steps = 20;
  constexpr float rmin = -1.0f, rdelta = 0.1f;
  float lo = x[0], hi = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
    sum_w += weights[i];
    sum_x += weights[i] * x[i];
  }
  if (lo > 0) lo = 0;
  if (hi == lo) {
    std::memset(levels, 0, n);
    *min_out = -lo;
    return 0.0f;
  }
  float iscale = nmax / (hi - lo);
  float scale = 1 / iscale;
  float best = 0;
  for (int i = 0; i < n; ++i) {
    levels[i] = static_cast<std::uint8_t>(std::clamp(nearest_int(iscale * (x[i] - lo)), 0, nmax));
    const float diff = scale * levels[i] + lo - x[i];
    best += weights[i] * (diff * diff);
  }
  std::uint8_t trial[n];
  for (int step = 0; step <= steps; ++step) {
    iscale = (rmin + rdelta * step + nmax) / (hi - lo);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * (x[i] - lo)), 0, nmax);
      trial[i] = static_cast<std::uint8_t>(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (det <= 0) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0) {
      this_min = 0;
      this_scale = sum_xl / sum_l2;
    }
    float error = 0;
    for (int i = 0; i < n; ++i) {
      const float diff = this_scale * trial[i] + this_min - x[i];
      error += weights[i] * (diff * diff);
    }
    if (error < best) {
      std::memcpy(levels, trial, n);
      best = error;
      scale = this_scale;
      lo = this_min;
    }
  }
  *min_out = -lo;
  return scale;
}

}  // namespace

// quantize_row_q4_K_ref: each sub-block of 32 fitted (weights: the
// sub-block's RMS plus |x|), the eight scales and mins stored in six bits
// against d = max scale / 63 and dmin = max min / 63 (f16), then every value
// re-levelled against its stored scale and min.
void quantize_q4_k(const float* x, std::int64_t n, void* out) {
  auto* blocks = static_cast<BlockQ4_K*>(out);
  for (std::int64_t k = 0; k < n / 256; ++k, x += 256) {
    BlockQ4_K& B = blocks[k];
    std::uint8_t levels[256];
    float scales[8], mins[8], weights[32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 8; ++j) {
      const float* xs = x + 32 * j;
      float sum_x2 = 0;
      for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
      const float av_x = std::sqrt(sum_x2 / 32);
      for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
      scales[j] = fit_sub_block(xs, weights, levels + 32 * j, &mins[j]);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    std::memset(B.scales, 0, sizeof B.scales);
    for (int j = 0; j < 8; ++j) {
      const std::uint8_t ls = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j])));
      const std::uint8_t lm = std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(inv_min * mins[j])));
      if (j < 4) {
        B.scales[j] = ls;
        B.scales[j + 4] = lm;
      } else {
        B.scales[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
        B.scales[j - 4] |= static_cast<std::uint8_t>((ls >> 4) << 6);
        B.scales[j] |= static_cast<std::uint8_t>((lm >> 4) << 6);
      }
    }
    B.d = f32_to_f16(max_scale / 63.f);
    B.dmin = f32_to_f16(max_min / 63.f);
    for (int j = 0; j < 8; ++j) {
      std::uint8_t sc, m;
      scale_min_k4(j, B.scales, sc, m);
      const float d = f16_to_f32(B.d) * sc;
      if (d == 0.0f) continue;
      const float dm = f16_to_f32(B.dmin) * m;
      for (int i = 0; i < 32; ++i)
        levels[32 * j + i] = static_cast<std::uint8_t>(std::clamp(nearest_int((x[32 * j + i] + dm) / d), 0, 15));
    }
    for (int j = 0; j < 4; ++j)
      for (int l = 0; l < 32; ++l)
        B.qs[32 * j + l] = static_cast<std::uint8_t>(levels[64 * j + l] | (levels[64 * j + 32 + l] << 4));
  }
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
