#pragma once
// Quantized weights in panels: 16 rows interleaved so that lane r of each
// 512-bit vector is row r. vpdpbusd then multiplies 16 rows by 4 values of
// one token (broadcast from memory) into 16 independent sums, with no
// horizontal reduction and no per-token unpacking. A batch packs its panels
// per call (dot_rows_panels: a few KiB per block of 256 values, kept in L2
// while every token passes over them); the layers' Q4_K and Q4_0 matrices
// are packed once, at load (repack_rows, dot_rows_packed), for decode too.
// Each type's panel (weights_<type>.cpp) is its pack and run.
//
// Each element is computed with the same integers and the same float
// operations, in the same order, as the type's tile (quant.h), so a token's
// result has the same bits in a panel as alone in a decode step; packed Q4_0
// alone sums its blocks in order (the portable product's bits).
#include "kernels/quant.h"

namespace qwen3::kernels::detail {

// Batches of at least this many tokens take the panels.
constexpr int kPanelTokens = 16;

// Decode over a matrix packed at load reads each thread's panels as
// decode_schedule().streams runs side by side, each prefetched
// prefetch_bytes ahead of its loads (kernels.h: which reads fastest depends
// on the machine, so the model measures them at load).

#if defined(QWEN3_QUANT_VNNI)

// Panel<Block> interface:
//   static constexpr int kVectors: 512-bit vectors per block of the panel
//     (or static vectors(blocks): per panel of that many blocks);
//   static constexpr int kTokens: tokens per pass (the rest one by one);
//   pack(rows, n, blocks, out): rows[0 .. n) (n <= 16) into out, lanes past n zero;
//   (types packed at load) step<T, S>(panels, k, x, b, sum): block k's part
//     of tokens b .. b + T - 1 over S panels (S > 1: one token) added to
//     sum[s * T + t], and run<T> as run_steps; a member prefetch_ahead:
//     bytes ahead of its loads each panel is prefetched in decode (0: none);
//   run<T>(panel, blocks, x, b, y, y_stride, mask): tokens b .. b + T - 1,
//     y[t * y_stride + r] for the lanes r in mask;
//   (optional, types packed at load) a type Expanded and expand(panel,
//     blocks, out): batches widen each packed panel once into Expanded's
//     layout and run that (a layout whose unpacking per token would cost
//     more than the products); such a panel needs no kTokens or run.

// 512-bit vectors of one panel of `blocks` blocks.
template <class Panel>
constexpr std::int64_t panel_vectors(std::int64_t blocks) {
  if constexpr (requires { Panel::vectors(blocks); })
    return Panel::vectors(blocks);
  else
    return blocks * Panel::kVectors;
}

// A panel whose work is a step per block (step<T>(panel, k, x, b, sum):
// sum[t] += block k's part of tokens b + t) runs as this loop.
template <int T, class Panel>
void run_steps(const Panel& p, const __m512i* panel, std::int64_t blocks, const QuantizedActs& x, int b, float* y,
               std::int64_t y_stride, __mmask16 mask) {
  __m512 sum[T];
  for (int t = 0; t < T; ++t) sum[t] = _mm512_setzero_ps();
  for (std::int64_t k = 0; k < blocks; ++k) p.template step<T>(&panel, k, x, b, sum);
  for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(y + t * y_stride, mask, sum[t]);
}

// One token over S panels at once, block by block: S streams from memory
// in flight together (one sequential stream per core leaves most of the
// memory's parallelism unused on some hosts). Each panel's sums are the
// same operations in the same order as run_steps<1>'s.
template <int S, class Panel>
void run_streams(const Panel& p, const __m512i* const* panels, std::int64_t blocks, const QuantizedActs& x, int b,
                 float* const* y, const __mmask16* mask) {
  __m512 sum[S];
  for (int s = 0; s < S; ++s) sum[s] = _mm512_setzero_ps();
  for (std::int64_t k = 0; k < blocks; ++k) p.template step<1, S>(panels, k, x, b, sum);
  for (int s = 0; s < S; ++s) _mm512_mask_storeu_ps(y[s], mask[s], sum[s]);
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

// A 64-byte line of a panel buffer.
struct alignas(64) Line {
  std::int32_t words[16];
};

// Rows [begin, end) of the selection, packed here 16 at a time.
template <class Block, int kBlock, class Panel>
void dot_rows_panels(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                     int b0, int nb, float* y, std::int64_t y_stride, Panel panel) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
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

// Decode (token b) over the panels of rows [begin, end) of a matrix packed
// at load, as S runs of consecutive panels (the first P % S of P one
// longer) read side by side; y is the token's output row.
template <int S, class Panel>
void decode_packed(const __m512i* base, std::int64_t per_panel, std::int64_t blocks, std::int64_t begin,
                   std::int64_t end, const QuantizedActs& x, int b, float* y, const Panel& panel) {
  const std::int64_t panels = (end - begin + 15) / 16, q = panels / S, rem = panels % S;
  const __m512i* at[S];
  float* out[S];
  __mmask16 mask[S];
  const auto stream = [&](int s, std::int64_t j) {
    const std::int64_t i = begin + 16 * (s * q + std::min<std::int64_t>(s, rem) + j);
    at[s] = base + i / 16 * per_panel;
    out[s] = y + i;
    mask[s] = lanes_mask(end - i);
  };
  for (std::int64_t j = 0; j < q; ++j) {
    for (int s = 0; s < S; ++s) stream(s, j);
    run_streams<S>(panel, at, blocks, x, b, out, mask);
  }
  for (int s = 0; s < rem; ++s) {
    stream(s, q);
    run_streams<1>(panel, at + s, blocks, x, b, out + s, mask + s);
  }
}

// Rows [begin, end) of a matrix packed at load (repack_rows; begin a
// multiple of 16): the panels are contiguous, one stream from memory.
template <int kBlock, class Panel>
void dot_rows_packed(const Matrix& w, std::int64_t begin, std::int64_t end, const QuantizedActs& x, int b0, int nb,
                     float* y, std::int64_t y_stride, Panel panel) {
  const std::int64_t blocks = w.cols / kBlock;
  const auto* base = static_cast<const __m512i*>(w.data);
  const std::int64_t per_panel = panel_vectors<Panel>(blocks);
  if (nb == 1) {
    const DecodeSchedule schedule = decode_schedule();
    panel.prefetch_ahead = schedule.prefetch_bytes;
    if (schedule.streams == 1)
      decode_packed<1>(base, per_panel, blocks, begin, end, x, b0, y + b0 * y_stride, panel);
    else
      decode_packed<4>(base, per_panel, blocks, begin, end, x, b0, y + b0 * y_stride, panel);
    return;
  }
  if constexpr (requires { typename Panel::Expanded; }) {
    // A layout too dense for every token to unpack: each panel widened once
    // (Panel::expand) into the Expanded panel's layout, which the tokens read.
    using Expanded = typename Panel::Expanded;
    thread_local std::vector<Line> lines;
    lines.resize(static_cast<std::size_t>(panel_vectors<Expanded>(blocks)));
    auto* buffer = reinterpret_cast<__m512i*>(lines.data());
    for (std::int64_t i = begin; i < end; i += 16) {
      panel.expand(base + i / 16 * per_panel, blocks, buffer);
      panel_tokens(Expanded{}, buffer, blocks, x, b0, nb, y + i, y_stride, lanes_mask(end - i));
    }
  } else {
    for (std::int64_t i = begin; i < end; i += 16)
      panel_tokens(panel, base + i / 16 * per_panel, blocks, x, b0, nb, y + i, y_stride, lanes_mask(end - i));
  }
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

// For panels whose levels are bytes (vectors 0-63 of a super-block: vector
// v, values 4v .. 4v + 3) and whose G group scales are int32 vectors 64 ..
// 64 + G - 1: per token t, sumi[t] = sum_g scale_g (q . x over group g),
// groups of 256 / G values, in integers.
template <int T, int G>
inline void panel_scaled_sums(const __m512i* panel, const QuantizedActs& x, int b, std::int64_t k, __m512i (&sumi)[T]) {
  constexpr int V = 64 / G;  // vectors per group
#pragma GCC unroll 16
  for (int g = 0; g < G; ++g) {
    __m512i acc[T];
    for (int t = 0; t < T; ++t) acc[t] = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int v = 0; v < V; ++v) {
      const __m512i q = _mm512_load_si512(panel + V * g + v);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t)
        acc[t] = _mm512_dpbusd_epi32(acc[t], q, broadcast4(x.q(b + t) + 256 * k + 4 * (V * g + v)));
    }
    const __m512i scale = _mm512_load_si512(panel + 64 + g);
    for (int t = 0; t < T; ++t) {
      const __m512i s = _mm512_mullo_epi32(acc[t], scale);
      sumi[t] = g == 0 ? s : _mm512_add_epi32(sumi[t], s);
    }
  }
}

#endif

}  // namespace qwen3::kernels::detail
