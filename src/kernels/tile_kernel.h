#pragma once
// The one matrix-product kernel, for decode (matrix-vector) and prefill
// (matrix-matrix) alike, written so that every output element is computed
// by the same operations in the same order whatever the batch, the tile it
// falls in, the split of the work or the thread count (batch invariance: a
// prompt prefilled at once, in chunks or token by token gives the same bits).
//
//   y[b][i] = W[sel(i)] . x[b]
//
// An element's arithmetic: one vector accumulator; for each step of kStep
// positions of k in increasing order (the last one zero-padded), acc =
// madd(acc, w[k..], x[k..]); then one fixed horizontal sum of its lanes.
// A register tile holds R <= 4 rows x J <= 6 tokens of such accumulators
// (4 weight vectors and 6 activation vectors feed 24 madds), and may stop at
// any step, park its accumulators in memory exactly as they are and resume:
// that is how prefill blocks k to keep its tiles in L1/L2 without changing
// a single rounding.
//
// Ops supplies the arithmetic of one weight dtype and activation format:
//   using WT, XT;            stored weight and activation element types
//   using V;                 the accumulator (a SIMD vector of f32)
//   static constexpr int kStep;   k positions per madd
//   static V zero();  static V load(const float*);  static void store(float*, V);
//   static auto load_w(const WT*);  static auto load_x(const XT*);   kStep elements
//   static V madd(V acc, w, x);
//   static float reduce(V);   the fixed horizontal sum
#include <hwy/cache_control.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "kernels/matmul_internal.h"

namespace qwen3::kernels::detail {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
// n elements of T, 64-byte aligned (uninitialised).
template <class T>
std::unique_ptr<T[], FreeDeleter> aligned_buffer(std::size_t n) {
  const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
  return std::unique_ptr<T[], FreeDeleter>(static_cast<T*>(std::aligned_alloc(64, bytes)));
}

// A register tile is at most kMaxRows x kMaxTokens and holds at most
// kMaxAccumulators accumulators (of the 32 vector registers, the rest hold
// weights and activations). Decode and prefill both use 4 rows x (up to) 6
// tokens (see matmul.cpp), so no wider tile is instantiated. (BF16 weights
// with bf16 activations use their own kernels, tile_bf16dot.cpp and
// blocked_bf16dot.cpp, which sum in k pairs.)
inline constexpr int kMaxRows = 4;
inline constexpr int kMaxTokens = 6;
inline constexpr int kMaxAccumulators = 24;
inline constexpr int kTileRows = 4;    // decode
inline constexpr int kTileTokens = 6;  // decode: batches up to this use the decode path

// What one matmul works on. y: [batch][y_stride]. x (of Ops::XT): token t's
// value at position k is x[(t - x_t0) * x_stride + (k - x_k0)], so that x may
// be the whole activation matrix (x_t0 = x_k0 = 0, x_stride = K) or a packed,
// aligned copy of one tile's tokens and k range.
//
// Weights likewise: row i of the selection is W[sel(i)], or, with w_packed,
// w_packed[(i - w_r0) * w_stride + (k - w_k0)] (a packed, aligned copy).
struct TileJob {
  const Matrix* w;
  RowSelection sel;
  const void* w_packed = nullptr;
  std::int64_t w_stride = 0;
  std::int64_t w_k0 = 0;
  std::int64_t w_r0 = 0;
  const void* x = nullptr;
  std::int64_t x_stride = 0;
  std::int64_t x_k0 = 0;
  int x_t0 = 0;
  float* y = nullptr;
  std::int64_t y_stride = 0;
  bool prefetch = false;  // decode: prefetch the weight rows (they stream from DRAM)
  // The rows of one register tile: i0, i0 + row_step, ... Decode takes them
  // a quarter of its chunk apart (a sixteenth for the bf16 pairs kernel), so
  // that each is a long sequential stream the prefetchers follow, instead of
  // a few short rows side by side; then a call's [r0, r1) are the tiles'
  // first rows and every tile is whole. The arithmetic is the same.
  std::int64_t row_step = 1;
};

// How far ahead of the loads each weight row is prefetched in decode. The
// hardware prefetchers alone reached about 80% of the measured read bandwidth;
// 1-2 KiB ahead on each of the four row streams about 90% (docs/performance.md).
inline constexpr std::int64_t kPrefetchBytes = 2048;

// Floats of parked state one tile needs.
template <class Ops>
constexpr std::int64_t tile_state_floats() {
  return std::int64_t{kMaxAccumulators} * static_cast<std::int64_t>(sizeof(typename Ops::V) / sizeof(float));
}

template <class Ops, int R, int J>
void tile(const TileJob& job, std::int64_t i0, int t0, std::int64_t k0, std::int64_t k1, float* state) {
  using WT = typename Ops::WT;
  using XT = typename Ops::XT;
  using V = typename Ops::V;
  constexpr int kStep = Ops::kStep;
  constexpr int kVF = sizeof(V) / sizeof(float);
  const std::int64_t K = job.w->cols;
  const WT* w[R];
  const XT* x[J];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    w[r] = job.w_packed ? static_cast<const WT*>(job.w_packed) + (i0 + r - job.w_r0) * job.w_stride - job.w_k0
                        : static_cast<const WT*>(job.w->data) + job.sel(i0 + r * job.row_step) * K;
#pragma GCC unroll 6
  for (int j = 0; j < J; ++j) x[j] = static_cast<const XT*>(job.x) + (t0 - job.x_t0 + j) * job.x_stride - job.x_k0;

  V acc[R][J];
  if (k0 == 0) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 12
      for (int j = 0; j < J; ++j) acc[r][j] = Ops::zero();
  } else {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 12
      for (int j = 0; j < J; ++j) acc[r][j] = Ops::load(state + (r * J + j) * kVF);
  }

  const std::int64_t full_end = std::min(k1, K / kStep * kStep);
  for (std::int64_t k = k0; k < full_end; k += kStep) {
    if (job.prefetch) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) hwy::Prefetch(reinterpret_cast<const char*>(w[r] + k) + kPrefetchBytes);
    }
    decltype(Ops::load_w(w[0])) wv[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) wv[r] = Ops::load_w(w[r] + k);
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) {
      const auto xv = Ops::load_x(x[j] + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) acc[r][j] = Ops::madd(acc[r][j], wv[r], xv);
    }
  }
  if (k1 == K && full_end < K) {
    // The last, partial step: the same madd on zero-padded copies.
    const int rem = static_cast<int>(K - full_end);
    alignas(64) WT wpad[kStep];
    alignas(64) XT xpad[kStep];
    decltype(Ops::load_w(w[0])) wv[R];
    for (int r = 0; r < R; ++r) {
      std::memset(wpad, 0, sizeof wpad);
      std::memcpy(wpad, w[r] + full_end, rem * sizeof(WT));
      wv[r] = Ops::load_w(wpad);
    }
    for (int j = 0; j < J; ++j) {
      std::memset(xpad, 0, sizeof xpad);
      std::memcpy(xpad, x[j] + full_end, rem * sizeof(XT));
      const auto xv = Ops::load_x(xpad);
      for (int r = 0; r < R; ++r) acc[r][j] = Ops::madd(acc[r][j], wv[r], xv);
    }
  }

  if (k1 == K) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 12
      for (int j = 0; j < J; ++j) job.y[(t0 + j) * job.y_stride + i0 + r * job.row_step] = Ops::reduce(acc[r][j]);
  } else {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 12
      for (int j = 0; j < J; ++j) Ops::store(state + (r * J + j) * kVF, acc[r][j]);
  }
}

using TileFnPtr = void (*)(const TileJob&, std::int64_t, int, std::int64_t, std::int64_t, float*);

template <class Ops, int R, int J>
constexpr TileFnPtr tile_or_null() {
  if constexpr (R * J <= kMaxAccumulators)
    return &tile<Ops, R, J>;
  else
    return nullptr;
}

template <class Ops, std::size_t... Idx>
constexpr std::array<TileFnPtr, sizeof...(Idx)> tile_table(std::index_sequence<Idx...>) {
  return {tile_or_null<Ops, static_cast<int>(Idx / kMaxTokens) + 1, static_cast<int>(Idx % kMaxTokens) + 1>()...};
}

// Rows [r0, r1) x tokens [t0, t0 + nt) over k in [k0, k1), in tiles of
// `rows` rows (the last one fewer) x nt tokens (rows x nt <= 24); the
// parked state of tile q at state + tile_state_floats() x q.
template <class Ops>
void tile_rows(const TileJob& job, std::int64_t r0, std::int64_t r1, int rows, int t0, int nt, std::int64_t k0,
               std::int64_t k1, float* state) {
  static constexpr auto table = tile_table<Ops>(std::make_index_sequence<kMaxRows * kMaxTokens>{});
  const bool strided = job.row_step > 1;
  for (std::int64_t i = r0; i < r1; i += strided ? 1 : rows) {
    const int R = strided ? rows : static_cast<int>(std::min<std::int64_t>(rows, r1 - i));
    table[(R - 1) * kMaxTokens + (nt - 1)](job, i, t0, k0, k1,
                                           state ? state + (i - r0) / rows * tile_state_floats<Ops>() : nullptr);
  }
}

}  // namespace qwen3::kernels::detail
