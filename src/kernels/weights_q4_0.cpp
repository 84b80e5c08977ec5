// Q4_0 weights: blocks of 32 four-bit values (offset 8) and an f16 scale,
// multiplied with Q8_0 activations: sum((q - 8) x), exact in integers.
#include <algorithm>
#include <array>
#include <cmath>

#include "kernels/quant_panels.h"

namespace qwen3::kernels::detail {
namespace {

#if !defined(QWEN3_QUANT_VNNI)
// The portable product: the same integer block sums.
float dot_q4_0(const BlockQ4_0* row, std::int64_t blocks, const QuantizedActs& x, int b) {
  const std::int8_t* xq = x.q(b);
  const float* xd = x.scale(b);
  float sum = 0.f;
  for (std::int64_t k = 0; k < blocks; ++k) {
    std::int32_t s = 0;
    for (int j = 0; j < 16; ++j)
      s += ((row[k].qs[j] & 0x0F) - 8) * xq[32 * k + j] + ((row[k].qs[j] >> 4) - 8) * xq[32 * k + 16 + j];
    sum += half_to_f32(row[k].d) * xd[k] * static_cast<float>(s);
  }
  return sum;
}
#endif

#if defined(QWEN3_QUANT_VNNI)
// Byte i of a group of four blocks' levels (block i / 16, byte i % 16 of its
// qs) in the group's 72 bytes read as two vectors, at +0 and at +8: a
// vpermt2b index into their 128 bytes.
constexpr std::array<std::uint8_t, 64> group_qs_index() {
  std::array<std::uint8_t, 64> index{};
  for (int i = 0; i < 64; ++i) {
    const int at = 18 * (i / 16) + 2 + i % 16;
    index[i] = static_cast<std::uint8_t>(at < 64 ? at : 64 + at - 8);
  }
  return index;
}
alignas(64) constexpr std::array<std::uint8_t, 64> kGroupQs = group_qs_index();

// R rows x J vectors at once (dot_rows_tiled), four blocks of a row per
// 512-bit vector. A group's levels gathered (vpermt2b) and split into low
// nibbles (each block's values 0-15, 16 bytes a block) and high ones (16-31);
// the activations' matching bytes, offsets and scales laid out alike once
// per matmul (prepare_q4_0_groups). Per element and group: lane i (of block i / 4) holds, by
// two vpdpbusd from minus 8 times the lane's values (the offset), the exact
// integer sum(q - 8) x over the lane's 8 values; times that block's d dx
// (f32), added to the element's 16-lane accumulator; the lanes summed at the
// end. The same operations for an element whatever the tile, batch or
// thread split. The last blocks of a row that are not a whole group run
// the same operations on zero-masked reads (and zero-padded activations).
struct TileQ4_0 {
  template <int R, int J>
  void operator()(const BlockQ4_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
    __m512 acc[R][J];
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < J; ++t) acc[r][t] = _mm512_setzero_ps();
    std::int64_t k = 0;
    for (; k + 4 <= blocks; k += 4) group<R, J>(rows, blocks, k, 4, x, b, acc);
    if (k < blocks) group<R, J>(rows, blocks, k, static_cast<int>(blocks - k), x, b, acc);
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < J; ++t) out[r * J + t] = _mm512_reduce_add_ps(acc[r][t]);
  }

  // Blocks k .. k + n - 1 (n <= 4) of each row into acc.
  template <int R, int J>
  static void group(const BlockQ4_0* const* rows, std::int64_t blocks, std::int64_t k, int n, const QuantizedActs& x,
                    int b, __m512 (&acc)[R][J]) {
    const __m512i low = _mm512_set1_epi8(0x0F);
    const __m512i qs_index = _mm512_load_si512(kGroupQs.data());
    // d of block l / 4 (int16 lane 9 (l / 4) of the first vector) in int16 lane l.
    const __m512i d_index = _mm512_setr_epi32(0, 0, 9 * 0x10001, 9 * 0x10001, 18 * 0x10001, 18 * 0x10001, 27 * 0x10001,
                                              27 * 0x10001, 0, 0, 0, 0, 0, 0, 0, 0);
    const std::uint64_t bytes = n == 4 ? ~0ull : (1ull << (18 * n)) - 1;  // the group's bytes
    __m512i lo[R], hi[R];
    __m512 dw[R];
    for (int r = 0; r < R; ++r) {
      const auto* at = reinterpret_cast<const std::uint8_t*>(rows[r] + k);
      for (int l = 0; l < 72; l += 64)
        _mm_prefetch(reinterpret_cast<const char*>(rows[r] + blocks + k) + l, _MM_HINT_T0);
      const __m512i first = _mm512_maskz_loadu_epi8(bytes, at);
      const __m512i second = _mm512_maskz_loadu_epi8(n == 4 ? ~0ull : bytes >> 8, at + 8);
      const __m512i q = _mm512_permutex2var_epi8(first, qs_index, second);
      lo[r] = _mm512_and_si512(q, low);
      hi[r] = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
      dw[r] = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi16(d_index, first)));
    }
    for (int t = 0; t < J; ++t) {
      const std::int32_t* g = x.q4_group(b + t, k / 4);
      const __m512i xlo = _mm512_loadu_si512(g), xhi = _mm512_loadu_si512(g + 16);
      const __m512i offset = _mm512_loadu_si512(g + 32);
      const __m512 dx = _mm512_loadu_ps(g + 48);
      for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(offset, lo[r], xlo), hi[r], xhi);
        acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw[r], dx), acc[r][t]);
      }
    }
  }
};

// Q4_0 panels for matrices packed at load, in the file's own density. Per
// pair of blocks, 9 vectors: 0-3 the first block's levels (vector h, lane r,
// byte c: row r's value 4h + c in the low nibble, 16 + 4h + c in the high one,
// as qs holds them), 4-7 the second block's, 8 the rows' d (f16) of the first
// block, then of the second (a row of an odd number of blocks ends in a zero
// block). Each element sums its blocks in order as the portable product
// does: sum + (d dx) sum((q - 8) x), the integer sum by vpdpbusd from minus
// 8 times the block's values (QuantizedActs::block_offsets). So a packed
// matrix has the portable build's bits, not the tiles' (whose 16 lanes sum
// four blocks at a time); each is the same for any batch.
struct PanelQ4_0 {
  static constexpr int kTokens = 8;
  static constexpr std::int64_t vectors(std::int64_t blocks) { return (blocks + 1) / 2 * 9; }
  int prefetch_ahead = 0;  // decode (quant_panels.h)

  void pack(const BlockQ4_0* const* rows, int n, std::int64_t blocks, __m512i* out) const {
    for (std::int64_t k = 0; k < blocks; k += 2, out += 9) {
      auto* bytes = reinterpret_cast<std::uint8_t*>(out);
      std::memset(bytes, 0, 9 * 64);
      auto* halves = reinterpret_cast<std::uint16_t*>(bytes + 8 * 64);
      for (int e = 0; e < 2 && k + e < blocks; ++e)
        for (int r = 0; r < n; ++r) {
          const BlockQ4_0& B = rows[r][k + e];
          for (int h = 0; h < 4; ++h) std::memcpy(bytes + (4 * e + h) * 64 + 4 * r, B.qs + 4 * h, 4);
          halves[16 * e + r] = B.d;
        }
    }
  }

  template <int T>
  void run(const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y, std::int64_t y_stride,
           __mmask16 mask) const {
    run_steps<T>(*this, panel, blocks, x, b, y, y_stride, mask);
  }

  // Block k of S panels for tokens b .. b + T - 1 (S > 1: one token):
  // sum[s * T + t] += its part. The S panels' loads interleave, so that
  // they stream from memory side by side.
  template <int T, int S = 1>
  void step(const __m512i* const* panels, std::int64_t k, const QuantizedActs& x, int b, __m512* sum) const {
    constexpr int A = T * S >= 4 ? 1 : 2;  // few chains: two per block
    const __m512i low = _mm512_set1_epi8(0x0F);
    const __m512i* v[S];
    for (int s = 0; s < S; ++s) v[s] = panels[s] + k / 2 * 9 + 4 * (k % 2);
    if (T == 1 && k % 2 == 0 && prefetch_ahead > 0)  // decode: the panels (contiguous) stream from memory
      for (int s = 0; s < S; ++s)
        for (int l = 0; l < 9; ++l) _mm_prefetch(reinterpret_cast<const char*>(v[s] + l) + prefetch_ahead, _MM_HINT_T0);
    __m512i acc[A][S][T];
    for (int s = 0; s < S; ++s)
      for (int t = 0; t < T; ++t) {
        acc[0][s][t] = _mm512_set1_epi32(x.block_offset(b + t)[k]);
        if constexpr (A == 2) acc[1][s][t] = _mm512_setzero_si512();
      }
#pragma GCC unroll 4
    for (int h = 0; h < 4; ++h)
      for (int s = 0; s < S; ++s) {
        const __m512i z = _mm512_load_si512(v[s] + h);
        const __m512i lo = _mm512_and_si512(z, low), hi = _mm512_and_si512(_mm512_srli_epi16(z, 4), low);
#pragma GCC unroll 8
        for (int t = 0; t < T; ++t) {
          const std::int8_t* xq = x.q(b + t) + 32 * k + 4 * h;
          acc[0][s][t] = _mm512_dpbusd_epi32(acc[0][s][t], lo, broadcast4(xq));
          acc[A - 1][s][t] = _mm512_dpbusd_epi32(acc[A - 1][s][t], hi, broadcast4(xq + 16));
        }
      }
    for (int s = 0; s < S; ++s) {
      const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(
          reinterpret_cast<const std::uint8_t*>(panels[s] + k / 2 * 9 + 8) + 32 * (k % 2))));
      for (int t = 0; t < T; ++t) {
        const __m512i sumi = A == 2 ? _mm512_add_epi32(acc[0][s][t], acc[A - 1][s][t]) : acc[0][s][t];
        const __m512 ddx = _mm512_mul_ps(d, _mm512_set1_ps(x.scale(b + t)[k]));
        sum[s * T + t] = _mm512_add_ps(sum[s * T + t], _mm512_mul_ps(ddx, _mm512_cvtepi32_ps(sumi)));
      }
    }
  }
};
#else
struct TileQ4_0 {
  template <int R, int J>
  void operator()(const BlockQ4_0* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < J; ++j) out[r * J + j] = dot_q4_0(rows[r], blocks, x, b + j);
  }
};
#endif

}  // namespace

void prepare_q4_0_groups(QuantizedActs& a, int batch) {
#if defined(QWEN3_QUANT_VNNI)
  const std::int64_t groups = (a.blocks + 3) / 4;
  a.q4_groups.resize(static_cast<std::size_t>(batch * groups * 64));
  const __m512i eight = _mm512_set1_epi8(8);
  for (int b = 0; b < batch; ++b)
    for (std::int64_t g = 0; g < groups; ++g) {
      const int n = static_cast<int>(std::min<std::int64_t>(4, a.blocks - 4 * g));
      const std::int8_t* xq = a.q(b) + 128 * g;
      const __m512i x01 = _mm512_maskz_loadu_epi8(n >= 2 ? ~0ull : (1ull << (32 * n)) - 1, xq);
      const __m512i x23 = _mm512_maskz_loadu_epi8(n == 4 ? ~0ull : n == 3 ? (1ull << 32) - 1 : 0ull, xq + 64);
      // Values 0-15 of blocks 0-3, then values 16-31 (each block's 16 bytes in its four lanes).
      const __m512i xlo = _mm512_permutex2var_epi64(x01, _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13), x23);
      const __m512i xhi = _mm512_permutex2var_epi64(x01, _mm512_setr_epi64(2, 3, 6, 7, 10, 11, 14, 15), x23);
      const __m512i offset =
          _mm512_sub_epi32(_mm512_setzero_si512(),
                           _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, xlo), eight, xhi));
      const __m512 dx =
          _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3),
                                _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), a.scale(b) + 4 * g));
      std::int32_t* out = a.q4_groups.data() + (b * groups + g) * 64;
      _mm512_storeu_si512(out, xlo);
      _mm512_storeu_si512(out + 16, xhi);
      _mm512_storeu_si512(out + 32, offset);
      _mm512_storeu_ps(out + 48, dx);
    }
#else
  (void)a;
  (void)batch;
#endif
}

namespace {

void dot_rows_q4_0(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                   int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_tiled<BlockQ4_0, 32>(w, sel, begin, end, x, b0, nb, y, y_stride, TileQ4_0{});
}

#if defined(QWEN3_QUANT_VNNI)
void packed_rows_q4_0(const Matrix& w, RowSelection, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                      int b0, int nb, float* y, std::int64_t y_stride) {
  dot_rows_packed<32>(w, begin, end, x, b0, nb, y, y_stride, PanelQ4_0{});
}

std::int64_t packed_bytes_q4_0(const Matrix& w) { return panel_bytes<BlockQ4_0, 32, PanelQ4_0>(w); }

void repack_q4_0(const Matrix& w, void* out) { repack_rows<BlockQ4_0, 32>(w, out, PanelQ4_0{}); }
#endif

}  // namespace

const QuantKernels kQuantQ4_0 {
  .rows = dot_rows_q4_0,
#if defined(QWEN3_QUANT_VNNI)
  .packed = packed_rows_q4_0, .packed_bytes = packed_bytes_q4_0, .repack = repack_q4_0,
#endif
};

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
