// Q6_K weights: super-blocks of 256 six-bit values (offset 32) in 16 groups
// of 16, each with an int8 scale, under an f16 super-scale d:
//   w = d * scale_g * (q - 32).
// Multiplied with Q8_K activations: sum(w x) = d dx (sum_g scale_g sum(q x)
// - 32 sum_g scale_g sum_g(x)), the last from the activations' group sums.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant_panels.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product (the VNNI one is the tile, below).
float dot_q6_k(const BlockQ6_K* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  const std::int32_t* bsums = x.sum(b);
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    const BlockQ6_K& B = row[k];
    const std::int8_t* q8 = xq + 256 * k;
    const std::int32_t* bs = bsums + 16 * k;
    std::int32_t offset = 0;
    for (int g = 0; g < 16; ++g) offset += B.scales[g] * bs[g];
    std::int32_t sumi = 0;
    for (int h = 0; h < 2; ++h) {
      const std::uint8_t* ql = B.ql + 64 * h;
      const std::uint8_t* qh = B.qh + 32 * h;
      const std::int8_t* sc = B.scales + 8 * h;
      const std::int8_t* x8 = q8 + 128 * h;
      std::int32_t g[8] = {};
      for (int l = 0; l < 32; ++l) {
        const int q1 = (ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4);
        const int q2 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
        const int q3 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
        const int q4 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
        g[l / 16] += q1 * x8[l];
        g[2 + l / 16] += q2 * x8[l + 32];
        g[4 + l / 16] += q3 * x8[l + 64];
        g[6 + l / 16] += q4 * x8[l + 96];
      }
      for (int j = 0; j < 8; ++j) sumi += sc[j] * g[j];
    }
    sum += xd[k] * half_to_f32(B.d) * static_cast<float>(sumi - 32 * offset);
  }
  return sum;
}
#endif

#if defined(QWEN3_QUANT_VNNI)
// A super-block's 256 levels (0..63) in the activations' order as four
// 64-byte vectors. Vector 2h / 2h + 1: levels 128h .. + 63 / 128h + 64 .. +
// 127: ql[64h ..]'s low / high nibbles, with two high bits from qh[32h ..]
// (both halves).
struct UnpackQ6_K {
  const __m512i low = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
  // qh's two bits for levels 0-31 / 32-63 (shifted up 4 / 2) and 64-95 / 96-127 (0 / down 2).
  const __m512i up = _mm512_setr_epi64(4, 4, 4, 4, 2, 2, 2, 2), down = _mm512_setr_epi64(0, 0, 0, 0, 2, 2, 2, 2);
  void operator()(const BlockQ6_K& B, __m512i q[4]) const {
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(B.ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(B.qh + 32 * h)));
      q[2 * h] = _mm512_ternarylogic_epi32(ql, low, _mm512_and_si512(_mm512_sllv_epi64(qh, up), bits45), 0xEA);
      q[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(ql, 4), low,
                                               _mm512_and_si512(_mm512_srlv_epi64(qh, down), bits45), 0xEA);
    }
  }
};

// Q6_K panels (quant_panels.h). Per super-block: 64 vectors of levels, 16
// of group scales (int32 lanes), 8 of scale pairs (int16: groups 2i, 2i +
// 1), d (f32). Per element and super-block, as TileQ6_K: sumi = sum_g
// scale_g (q . x over group g), offset = sum_g scale_g sum_g(x) (from
// QuantizedActs::sub_sums), sum + (dx d) (sumi - 32 offset).
struct PanelQ6_K {
  static constexpr int kVectors = 64 + 16 + 8 + 1;
  static constexpr int kTokens = 8;

  void pack(const BlockQ6_K* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    alignas(64) std::uint8_t levels[16][256];
    alignas(64) std::int32_t scales[16][16], pairs[8][16];
    alignas(64) float d[16];
    std::memset(levels, 0, sizeof levels);
    std::memset(scales, 0, sizeof scales);
    std::memset(pairs, 0, sizeof pairs);
    std::memset(d, 0, sizeof d);
    const UnpackQ6_K unpack;
    for (std::int64_t k = 0; k < blocks; ++k, out += kVectors) {
      for (int r = 0; r < n; ++r) {
        const BlockQ6_K& B = rows[r][k];
        __m512i q[4];
        unpack(B, q);
        for (int j = 0; j < 4; ++j) _mm512_store_si512(levels[r] + 64 * j, q[j]);
        for (int g = 0; g < 16; ++g) scales[g][r] = B.scales[g];
        for (int i = 0; i < 8; ++i) pairs[i][r] = int16_pair(B.scales[2 * i], B.scales[2 * i + 1]);
        d[r] = half_to_f32(B.d);
      }
      panel_levels(levels, out);
      for (int g = 0; g < 16; ++g) out[64 + g] = _mm512_load_si512(scales[g]);
      for (int i = 0; i < 8; ++i) out[80 + i] = _mm512_load_si512(pairs[i]);
      out[88] = _mm512_castps_si512(_mm512_load_ps(d));
    }
  }

  template <int T>
  void run(const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y, std::int64_t y_stride,
           __mmask16 mask) const {
    __m512 sum[T];
    for (int t = 0; t < T; ++t) sum[t] = _mm512_setzero_ps();
    for (std::int64_t k = 0; k < blocks; ++k, panel += kVectors) {
      __m512i sumi[T];
      panel_scaled_sums<T, 16>(panel, x, b, k, sumi);
      const __m512 d = _mm512_castsi512_ps(_mm512_load_si512(panel + 88));
      for (int t = 0; t < T; ++t) {
        const std::int32_t* pairs = x.sub_sum(b + t) + QuantizedActs::kSubSumWords * k + 4;
        __m512i offset = _mm512_setzero_si512();
        for (int i = 0; i < 8; ++i)
          offset = _mm512_dpwssd_epi32(offset, _mm512_load_si512(panel + 80 + i), _mm512_set1_epi32(pairs[i]));
        const __m512i total = _mm512_sub_epi32(sumi[t], _mm512_slli_epi32(offset, 5));
        const __m512 dxd = _mm512_mul_ps(_mm512_set1_ps(x.scale(b + t)[k]), d);
        sum[t] = _mm512_add_ps(sum[t], _mm512_mul_ps(dxd, _mm512_cvtepi32_ps(total)));
      }
    }
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + t * y_stride, mask, sum[t]);
  }
};

// Q6_K panels at the file's density, for matrices packed at load (3,360
// bytes per 16 rows and super-block, as in rows). Level vector v (0-63) of a
// super-block: lane r, byte c holds row r's level of value 4v + c. Per
// super-block, 52 vectors:
//  0-47   in 16 triples, the order decode reads them: triple u (u < 16)
//         is the low four bits of level vectors u and u + 32 (low and high
//         nibbles), of u + 16 and u + 48, then their top two bits (bits
//         2i .. 2i + 1: level vector u + 16i);
//  48-51  group scales (int8), byte 16g + r: group g's of row r.
// Super-blocks in pairs, each pair led by one vector of both blocks' d (f16,
// 16 rows each); an odd last block is a pair of its own (53 vectors).
// Per element and super-block, the integers are those of TileQ6_K, summed as
// sum_g scale_g (q . x over g - 32 sum_g(x)) (the same integer modulo 2^32
// as sumi - 32 offset), and the float operations its own: sum + (dx d) total.
struct PackedQ6_K {
  static constexpr int kBlockVectors = 52;
  int prefetch_ahead = 0;  // decode (quant_panels.h)

  static constexpr std::int64_t vectors(std::int64_t blocks) {
    return blocks / 2 * (2 * kBlockVectors + 1) + blocks % 2 * (kBlockVectors + 1);
  }
  static constexpr std::int64_t block_at(std::int64_t k) {
    return k / 2 * (2 * kBlockVectors + 1) + 1 + k % 2 * kBlockVectors;
  }

  void pack(const BlockQ6_K* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    const UnpackQ6_K unpack;
    for (std::int64_t k = 0; k < blocks; ++k) {
      auto* bytes = reinterpret_cast<std::uint8_t*>(out + block_at(k));
      auto* halves = reinterpret_cast<std::uint16_t*>(out + block_at(k) - 1 - k % 2 * kBlockVectors) + 16 * (k % 2);
      std::memset(bytes, 0, kBlockVectors * 64);
      std::memset(halves, 0, k % 2 == 0 ? 64 : 32);
      for (int r = 0; r < n; ++r) {
        const BlockQ6_K& B = rows[r][k];
        alignas(64) std::uint8_t levels[256];
        __m512i q[4];
        unpack(B, q);
        for (int j = 0; j < 4; ++j) _mm512_store_si512(levels + 64 * j, q[j]);
        for (int v = 0; v < 64; ++v)
          for (int c = 0; c < 4; ++c) {
            const std::uint8_t l = levels[4 * v + c];
            bytes[64 * low_vector(v) + 4 * r + c] |= static_cast<std::uint8_t>((l & 0x0F) << (4 * (v / 32)));
            bytes[64 * top_vector(v) + 4 * r + c] |= static_cast<std::uint8_t>((l >> 4) << (2 * (v / 16)));
          }
        for (int g = 0; g < 16; ++g) bytes[48 * 64 + 16 * g + r] = static_cast<std::uint8_t>(B.scales[g]);
        halves[r] = B.d;
      }
    }
  }

  // The vectors holding level vector v's low four bits and its top two.
  static constexpr int low_vector(int v) { return 3 * (v % 16) + v % 32 / 16; }
  static constexpr int top_vector(int v) { return 3 * (v % 16) + 2; }

  // Level vector v of the super-block at p (the top bits shifted to bits 4-5).
  static __m512i level(const __m512i* p, int v) {
    const __m512i low = _mm512_set1_epi8(0x0F), top = _mm512_set1_epi8(0x30);
    const __m512i n = _mm512_load_si512(p + low_vector(v)), h = _mm512_load_si512(p + top_vector(v));
    const __m512i nib = v < 32 ? n : _mm512_srli_epi16(n, 4);
    const int shift = 4 - 2 * (v / 16);
    const __m512i hi = shift > 0 ? _mm512_slli_epi16(h, shift) : shift < 0 ? _mm512_srli_epi16(h, -shift) : h;
    return _mm512_ternarylogic_epi32(nib, low, _mm512_and_si512(hi, top), 0xEA);  // (nib & low) | hi
  }
  static __m512i group_scales(const __m512i* p, int g) {
    return _mm512_cvtepi8_epi32(
        _mm_load_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const std::uint8_t*>(p + 48) + 16 * g)));
  }
  static const std::uint8_t* halves(const __m512i* panel, std::int64_t k) {
    return reinterpret_cast<const std::uint8_t*>(panel + block_at(k) - 1 - k % 2 * kBlockVectors) + 32 * (k % 2);
  }

  // Batches (quant_panels.h: Expanded): the panel widened once per call into
  // PanelQ6_K's layout (levels as bytes), which every token then reads.
  using Expanded = PanelQ6_K;
  void expand(const __m512i* panel, std::int64_t blocks, __m512i* out) const {
    for (std::int64_t k = 0; k < blocks; ++k, out += PanelQ6_K::kVectors) {
      const __m512i* p = panel + block_at(k);
      for (int v = 0; v < 64; ++v) _mm512_store_si512(out + v, level(p, v));
      for (int g = 0; g < 16; ++g) _mm512_store_si512(out + 64 + g, group_scales(p, g));
      for (int i = 0; i < 8; ++i)  // (scale 2i, scale 2i + 1) as int16 pairs
        _mm512_store_si512(out + 80 + i, _mm512_ternarylogic_epi32(out[64 + 2 * i], _mm512_set1_epi32(0xFFFF),
                                                                   _mm512_slli_epi32(out[64 + 2 * i + 1], 16), 0xEA));
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(halves(panel, k))));
      _mm512_store_si512(out + 88, _mm512_castps_si512(d));
    }
  }

  // Super-block k of S panels for tokens b .. b + T - 1 (S > 1: one
  // token): sum[s * T + t] += its part. Group by group; the S panels' loads
  // interleave, so that they stream from memory side by side.
  template <int T, int S = 1>
  void step(const __m512i* const* panels, std::int64_t k, const QuantizedActs& x, int b, __m512* sum) const {
    const __m512i* p[S];
    for (int s = 0; s < S; ++s) p[s] = panels[s] + block_at(k);
    // Decode: each quarter of the block's 53 lines (with a d vector) ahead.
    const auto prefetch = [&](int q) {
      if (T == 1 && prefetch_ahead > 0)
        for (int s = 0; s < S; ++s)
          for (int l = 14 * q; l < std::min(14 * q + 14, kBlockVectors + 1); ++l)
            _mm_prefetch(reinterpret_cast<const char*>(p[s]) + prefetch_ahead + 64 * l, _MM_HINT_T0);
    };
    // Triples 4q .. 4q + 3 hold groups q, q + 4, q + 8 and q + 12 (level
    // vector v is group v / 4's): four groups at a time, in memory order.
    __m512i sumi[S][T];
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      prefetch(q);
      __m512i acc[4][S][T];
      for (int i = 0; i < 4; ++i)
        for (int t = 0; t < T; ++t) {
          const __m512i offset = _mm512_set1_epi32(-32 * x.sum(b + t)[16 * k + q + 4 * i]);
          for (int s = 0; s < S; ++s) acc[i][s][t] = offset;
        }
#pragma GCC unroll 4
      for (int u = 4 * q; u < 4 * q + 4; ++u)
        for (int s = 0; s < S; ++s)
#pragma GCC unroll 4
          for (int i = 0; i < 4; ++i) {
            const int v = u + 16 * i;
            const __m512i levels = level(p[s], v);
#pragma GCC unroll 8
            for (int t = 0; t < T; ++t)
              acc[i][s][t] = _mm512_dpbusd_epi32(acc[i][s][t], levels, broadcast4(x.q(b + t) + 256 * k + 4 * v));
          }
      for (int i = 0; i < 4; ++i)
        for (int s = 0; s < S; ++s) {
          const __m512i scale = group_scales(p[s], q + 4 * i);
          for (int t = 0; t < T; ++t) {
            const __m512i m = _mm512_mullo_epi32(acc[i][s][t], scale);
            sumi[s][t] = q == 0 && i == 0 ? m : _mm512_add_epi32(sumi[s][t], m);
          }
        }
    }
    for (int s = 0; s < S; ++s) {
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(halves(panels[s], k))));
      for (int t = 0; t < T; ++t) {
        const __m512 dxd = _mm512_mul_ps(_mm512_set1_ps(x.scale(b + t)[k]), d);
        sum[s * T + t] = _mm512_add_ps(sum[s * T + t], _mm512_mul_ps(dxd, _mm512_cvtepi32_ps(sumi[s][t])));
      }
    }
  }
};

// R rows x J vectors (dot_rows_tiled): each row's super-block unpacked and its
// scales widened once for the tile's J vectors. Per element, in integers
// (exact, whatever the lane order): vpmaddubsw pairs levels x values (at most
// 63 x 127 x 2: no saturation), vpdpwssd multiplies the pairs by their
// group's scale and accumulates: sumi = sum_g scale_g (q . x over group g);
// vpmaddwd pairs the scales with the group sums: offset = sum_g scale_g
// sum_g(x). The elements are reduced four at a time (reduce_halves4); each
// element's float sum takes the portable product's operations: sum + (dx d)
// (sumi - 32 offset), super-blocks in order.
struct TileQ6_K {
  template <int R, int J>
  void operator()(const BlockQ6_K* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
    constexpr int N = R * J, G = (N + 3) / 4;
    const UnpackQ6_K unpack;
    // Vector i's int16 lane l (levels 2l, 2l + 1 of its 64) takes group 4i + l / 8's scale.
    const auto lanes = [](long long v) { return v * 0x0001000100010001ll; };  // v in four int16 lanes
    __m512i scale_index[4];
    for (int i = 0; i < 4; ++i)
      scale_index[i] = _mm512_setr_epi64(lanes(4 * i), lanes(4 * i), lanes(4 * i + 1), lanes(4 * i + 1),
                                         lanes(4 * i + 2), lanes(4 * i + 2), lanes(4 * i + 3), lanes(4 * i + 3));
    __m128 sum[G];
    for (int g = 0; g < G; ++g) sum[g] = _mm_setzero_ps();
    for (std::int64_t k = 0; k < blocks; ++k) {
      prefetch_next_tile<R>(rows, blocks, k);
      const KActs<J> xs(x, b, k);
      // Element i = r J + t: lanes 0-7 sum to its sumi, lanes 8-15 to its offset.
      __m512i v[4 * G];
      float d[R];
      for (int r = 0; r < R; ++r) {
        const BlockQ6_K& B = rows[r][k];
        __m512i q[4], s[4];
        unpack(B, q);
        const __m256i scales = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(B.scales)));
        for (int i = 0; i < 4; ++i) s[i] = _mm512_permutexvar_epi16(scale_index[i], _mm512_castsi256_si512(scales));
        d[r] = half_to_f32(B.d);
        for (int t = 0; t < J; ++t)
          v[r * J + t] = k_dot(q, s, x.q(b + t) + 256 * k, _mm256_madd_epi16(scales, xs.bsums[t]));
      }
      for (int i = N; i < 4 * G; ++i) v[i] = _mm512_setzero_si512();
      for (int g = 0; g < G; ++g) {
        __m128i sumi, offset;
        reduce_halves4(v + 4 * g, sumi, offset);
        const __m128i total = _mm_sub_epi32(sumi, _mm_slli_epi32(offset, 5));
        sum[g] = _mm_add_ps(sum[g], _mm_mul_ps(element_scales<R, J>(xs.dx, d, g), _mm_cvtepi32_ps(total)));
      }
    }
    for (int i = 0; i < N; ++i) out[i] = sum[i / 4][i % 4];
  }
};
#endif

}  // namespace

namespace {

void dot_rows_q6_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
#if defined(QWEN3_QUANT_VNNI)
  dot_rows_tiled<BlockQ6_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, TileQ6_K{});
#else
  dot_rows_quant<BlockQ6_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, dot_q6_k);
#endif
}

#if defined(QWEN3_QUANT_VNNI)
void panel_rows_q6_k(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_panels<BlockQ6_K, 256>(w, sel, begin, end, x, b0, nb, y, y_stride, PanelQ6_K{});
}

void packed_rows_q6_k(const Matrix& w, RowSelection, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                      int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_packed<256>(w, begin, end, x, b0, nb, y, y_stride, PackedQ6_K{});
}

std::int64_t packed_bytes_q6_k(const Matrix& w) { return panel_bytes<BlockQ6_K, 256, PackedQ6_K>(w); }

void repack_q6_k(const Matrix& w, void* out) { repack_rows<BlockQ6_K, 256>(w, out, PackedQ6_K{}); }
#endif

}  // namespace

const QuantKernels kQuantQ6_K {
  .rows = dot_rows_q6_k,
#if defined(QWEN3_QUANT_VNNI)
  .panels = panel_rows_q6_k, .packed = packed_rows_q6_k, .packed_bytes = packed_bytes_q6_k, .repack = repack_q6_k,
#endif
};

namespace {

// One group of 16 values as levels l in [-32, 31] (stored l + 32) of w = scale * l,
// fitted as ggml's make_qx_quants fits it (nmax 32, squared error weighted
// by x^2): the scale from the value of largest magnitude, then 18 nudged
// inverse scales, each with its weighted least-squares scale, the best kept.
float fit_group(const float* x, std::int8_t* levels) {
  constexpr int n = 16, nmax = 32;
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      max = x[i];
    }
  if (amax < 1e-15f) {
    std::memset(levels, 0, n);
    return 0.0f;
  }
  // Sums of w x l and w l^2 at inverse scale iscale; levels written when `store`.
  const auto sums = [&](float iscale, float& sumlx, float& suml2, bool store) {
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      const int l = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      if (store) levels[i] = static_cast<std::int8_t>(l + nmax);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
  };
  float sumlx, suml2;
  sums(-nmax / max, sumlx, suml2, true);
  float scale = suml2 != 0 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    const float iscale = -(nmax + 0.1f * step) / max;
    sums(iscale, sumlx, suml2, false);
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      sums(iscale, sumlx, suml2, true);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

}  // namespace

// quantize_row_q6_K_ref: each group of 16 fitted, the 16 scales stored as
// int8 against d = (scale of largest magnitude) / -128 (f16), then every
// value re-levelled against its stored scale; an all-zero super-block is
// stored as zeros.
void quantize_q6_k(const float* x, std::int64_t n, void* out) {
  auto* blocks = static_cast<BlockQ6_K*>(out);
  for (std::int64_t k = 0; k < n / 256; ++k, x += 256) {
    BlockQ6_K& B = blocks[k];
    std::int8_t levels[256];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int g = 0; g < 16; ++g) {
      scales[g] = fit_group(x + 16 * g, levels + 16 * g);
      if (std::fabs(scales[g]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[g]);
        max_scale = scales[g];
      }
    }
    std::memset(&B, 0, sizeof B);
    if (max_abs_scale < 1e-15f) continue;
    const float iscale = -128.f / max_scale;
    B.d = f32_to_f16(1 / iscale);
    for (int g = 0; g < 16; ++g) B.scales[g] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[g])));
    for (int g = 0; g < 16; ++g) {
      const float d = f16_to_f32(B.d) * B.scales[g];
      if (d == 0.0f) continue;
      for (int i = 0; i < 16; ++i)
        levels[16 * g + i] = static_cast<std::int8_t>(std::clamp(nearest_int(x[16 * g + i] / d), -32, 31) + 32);
    }
    for (int half = 0; half < 2; ++half) {
      const std::int8_t* L = levels + 128 * half;
      std::uint8_t* ql = B.ql + 64 * half;
      std::uint8_t* qh = B.qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<std::uint8_t>((L[l] & 0xF) | ((L[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<std::uint8_t>((L[l + 32] & 0xF) | ((L[l + 96] & 0xF) << 4));
        qh[l] = static_cast<std::uint8_t>((L[l] >> 4) | ((L[l + 32] >> 4) << 2) | ((L[l + 64] >> 4) << 4) |
                                          ((L[l + 96] >> 4) << 6));
      }
    }
  }
}

void dequantize_q6_k(const void* src, std::int64_t n, float* out) {
  const auto* blocks = static_cast<const BlockQ6_K*>(src);
  for (std::int64_t k = 0; k < n / 256; ++k) {
    const BlockQ6_K& B = blocks[k];
    const float d = f16_to_f32(B.d);
    const std::uint8_t* ql = B.ql;
    const std::uint8_t* qh = B.qh;
    const std::int8_t* sc = B.scales;
    float* y = out + k * 256;
    for (int n128 = 0; n128 < 2; ++n128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = static_cast<std::int8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = static_cast<std::int8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = static_cast<std::int8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = static_cast<std::int8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l + 0] = d * sc[is + 0] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

}  // namespace qwen3::kernels::detail
