#pragma once
// Prefill on quantized weights in panels: 16 rows repacked so that lane r of
// each 512-bit vector is row r. vpdpbusd then multiplies 16 rows by 4 values
// of one token (broadcast from memory) into 16 independent sums, with no
// horizontal reduction and no per-token unpacking: a row's blocks are
// unpacked once per panel and reused by every token of the batch. A panel is
// a few KiB per block of 256 values, so it stays in L2 while the whole batch
// passes over it.
//
// Each element is computed with the same integers and the same float
// operations, in the same order, as the type's tile (quant.h), so a token's
// result has the same bits in a panel as alone in a decode step.
#include "kernels/quant.h"

namespace qwen3::kernels::detail {

// Batches of at least this many tokens take the panels.
constexpr int kPanelTokens = 16;

#if defined(QWEN3_QUANT_VNNI)

// Panel<Block> interface:
//   static constexpr int kVectors: 512-bit vectors per block of the panel
//     (or static vectors(blocks): per panel of that many blocks);
//   static constexpr int kTokens: tokens per pass (the rest one by one);
//   pack(rows, n, blocks, out): rows[0 .. n) (n <= 16) into out, lanes past n zero;
//   run<T>(panel, blocks, x, b, y, y_stride, mask): tokens b .. b + T - 1,
//     y[t * y_stride + r] for the lanes r in mask.

// 512-bit vectors of one panel of `blocks` blocks.
template <class Panel>
constexpr std::int64_t panel_vectors(std::int64_t blocks) {
  if constexpr (requires { Panel::vectors(blocks); })
    return Panel::vectors(blocks);
  else
    return blocks * Panel::kVectors;
}

// Tokens b0 .. b0 + nb - 1 over one packed panel, kTokens at a time.
template <class Panel>
void panel_tokens(const Panel& panel, const __m512i* packed, std::int64_t blocks, const QuantizedActs& x, int b0,
                  int nb, float* y, std::int64_t y_stride, __mmask16 mask) {
  constexpr int T = Panel::kTokens;
  int b = b0;
  for (; b + T <= b0 + nb; b += T) panel.template run<T>(packed, blocks, x, b, y + b * y_stride, y_stride, mask);
  for (; b < b0 + nb; ++b) panel.template run<1>(packed, blocks, x, b, y + b * y_stride, y_stride, mask);
}

inline __mmask16 lanes_mask(std::int64_t n) {
  return static_cast<__mmask16>((1u << std::min<std::int64_t>(16, n)) - 1);
}

// Rows [begin, end) of the selection, packed here 16 at a time.
template <class Block, int kBlock, class Panel>
void dot_rows_panels(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride, Panel panel) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
  struct alignas(64) Line {
    std::int32_t words[16];
  };
  thread_local std::vector<Line> lines;
  lines.resize(static_cast<std::size_t>(panel_vectors<Panel>(blocks)));
  auto* buffer = reinterpret_cast<__m512i*>(lines.data());
  for (std::int64_t i = begin; i < end; i += 16) {
    const int n = static_cast<int>(std::min<std::int64_t>(16, end - i));
    const Block* rows[16];
    for (int r = 0; r < n; ++r) rows[r] = base + sel(i + r) * blocks;
    panel.pack(rows, n, blocks, buffer);
    panel_tokens(panel, buffer, blocks, x, b0, nb, y + i, y_stride, lanes_mask(n));
  }
}

// Rows [begin, end) of a matrix packed at load (repack_rows; begin a
// multiple of 16): the panels are contiguous, one stream from memory.
template <int kBlock, class Panel>
void dot_rows_packed(const Matrix& w, std::int64_t begin, std::int64_t end, const QuantizedActs& x, int b0, int nb,
                     float* y, std::int64_t y_stride, Panel panel) {
  const std::int64_t blocks = w.cols / kBlock;
  const auto* base = static_cast<const __m512i*>(w.data);
  for (std::int64_t i = begin; i < end; i += 16)
    panel_tokens(panel, base + i / 16 * panel_vectors<Panel>(blocks), blocks, x, b0, nb, y + i, y_stride,
                 lanes_mask(end - i));
}

// w's rows packed into out (panel_bytes<Panel>(w) bytes, 64-byte aligned),
// the panels shared among the threads.
template <class Block, int kBlock, class Panel>
std::int64_t panel_bytes(const Matrix& w) {
  return (w.rows + 15) / 16 * panel_vectors<Panel>(w.cols / kBlock) * 64;
}
template <class Block, int kBlock, class Panel>
void repack_rows(const Matrix& w, void* out, Panel panel) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
  parallel_for((w.rows + 15) / 16, [&](std::int64_t p, int) {
    const int n = static_cast<int>(std::min<std::int64_t>(16, w.rows - 16 * p));
    const Block* rows[16];
    for (int r = 0; r < n; ++r) rows[r] = base + (16 * p + r) * blocks;
    panel.pack(rows, n, blocks, static_cast<__m512i*>(out) + p * panel_vectors<Panel>(blocks));
  });
}

// A super-block's levels of 16 rows as 64 vectors: vector v, lane r, row r's
// values 4v .. 4v + 3 (a 16 x 64 transpose of words).
inline void panel_levels(const std::uint8_t (&levels)[16][256], __m512i* out) {
  const __m512i lanes = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                           _mm512_set1_epi32(256));
  for (int v = 0; v < 64; ++v) out[v] = _mm512_i32gather_epi32(lanes, levels[0] + 4 * v, 1);
}

// Four bytes at p as one 32-bit lane value (vpdpbusd's broadcast operand).
inline __m512i broadcast4(const std::int8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Q4_K / Q5_K panels. Per super-block: 64 vectors of levels (vector 8j + g:
// values 32j + 4g .. + 3 of each row, unsigned), 8 of sub-block scales
// (int32 lanes), 4 of min pairs (int16: min 2i, min 2i + 1), d and dmin (f32).
// Per element and super-block, as TileK4: sumi = sum_j scale_j (q . x over
// sub-block j), summs = sum_j min_j sum_j(x) (from QuantizedActs::sub_sums),
// sum + ((dx d) sumi - (dx dmin) summs).
template <class Block, class Unpack>
struct PanelK4 {
  static constexpr int kVectors = 64 + 8 + 4 + 2;
  static constexpr int kTokens = 8;

  void pack(const Block* const* rows, int n, std::int64_t blocks, __m512i* out) const {
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
        const Block& B = rows[r][k];
        __m512i q[4];
        Unpack{}(B, q);
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
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m512i acc[T];
        for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int g = 0; g < 8; ++g) {
          const __m512i q = _mm512_load_si512(panel + 8 * j + g);
#pragma GCC unroll 8
          for (int t = 0; t < T; ++t)
            acc[t] = _mm512_dpbusd_epi32(acc[t], q, broadcast4(x.q(b + t) + 256 * k + 32 * j + 4 * g));
        }
        const __m512i scale = _mm512_load_si512(panel + 64 + j);
        for (int t = 0; t < T; ++t) {
          const __m512i s = _mm512_mullo_epi32(acc[t], scale);
          sumi[t] = j == 0 ? s : _mm512_add_epi32(sumi[t], s);
        }
      }
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

}  // namespace qwen3::kernels::detail
