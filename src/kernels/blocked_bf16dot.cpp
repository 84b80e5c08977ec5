// The blocked matmul for BF16 weights with bf16-rounded activations, on
// vdpbf16ps: each instruction multiplies 16 rows x 2 k-positions and adds the
// pairs in f32, twice the FLOPs of an f32 FMA. A bf16 row read as 32-bit words
// already holds the (k, k+1) pairs vdpbf16ps wants, so packing the weights is a
// plain 32-bit transpose. Highway 1.0.3 has no vdpbf16ps (its bf16
// ReorderWidenMulAccumulate widens and uses FMAs), hence the intrinsics.
//
// Unlike the f32 blocked kernel, it is batch-invariant: a K block after the
// first resumes each accumulator from y instead of adding a partial sum, so
// every output is one chain over the k pairs in order, the same chain the
// decode kernel (tile_bf16dot.cpp) computes.
#include "kernels/bf16_pairs.h"
#include "kernels/blocked_driver.h"
#include "kernels/convert.h"

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>

#include <cstring>
#include <vector>

namespace qwen3::kernels::detail {
namespace {

struct Bf16DotPolicy {
  using PanelT = std::uint32_t;
  using XT = std::uint32_t;
  const Matrix& w;
  RowSelection sel;

  static std::int64_t slots(std::int64_t K) { return (K + 1) / 2; }

  // Each token's row is rounded as a whole (vectorised), then its pairs
  // are dealt to the tile's column.
  static void pack_x(const float* x, int nb, std::int64_t K, std::uint32_t* out) {
    const std::int64_t S = slots(K);
    thread_local std::vector<std::uint16_t> row;
    row.assign(2 * S, 0);
    for (int j = 0; j < kBatchTile; ++j) {
      if (j < nb) f32_to_bf16_row(x + j * K, K, row.data());
      for (std::int64_t s = 0; s < S; ++s) {
        std::uint32_t pair = 0;
        if (j < nb) std::memcpy(&pair, row.data() + 2 * s, 4);
        out[s * kBatchTile + j] = pair;
      }
    }
  }

  // Rows in groups of 16, 16 pairs at a time, transposed in registers; the
  // loads are masked to the values that exist (an odd K's last half pair has
  // a zero upper half, rows from n on are zero).
  void pack_w(std::int64_t row0, int n, std::int64_t s0, int sc, std::uint32_t* panel) const {
    const auto* base = static_cast<const std::uint16_t*>(w.data);
    const std::int64_t K = w.cols;
    for (int g = 0; g < kPanelRows; g += kLanes) {
      const std::uint16_t* src[kLanes];
      for (int r = 0; r < kLanes; ++r) src[r] = g + r < n ? base + sel(row0 + g + r) * K + 2 * s0 : nullptr;
      for (int s = 0; s < sc; s += kLanes) {
        const std::int64_t left = std::min<std::int64_t>(2 * kLanes, K - 2 * (s0 + s));
        const __mmask32 mask = left >= 2 * kLanes ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1);
        __m512i v[kLanes];
        for (int r = 0; r < kLanes; ++r)
          v[r] = src[r] ? _mm512_maskz_loadu_epi16(mask, src[r] + 2 * s) : _mm512_setzero_si512();
        transpose16(v);
        for (int q = 0; q < kLanes && s + q < sc; ++q) _mm512_store_si512(panel + (s + q) * kPanelRows + g, v[q]);
      }
    }
  }

  static void tile(const std::uint32_t* panel, const std::uint32_t* xt, int sc, float* y, std::int64_t ldy,
                   bool accumulate, int nb, int nr) {
    const bool full = nb == kBatchTile && nr == kPanelRows;
    alignas(64) float spill[kBatchTile * kPanelRows];
    __m512 acc0[kBatchTile], acc1[kBatchTile];
    if (!accumulate) {
#pragma GCC unroll 16
      for (int j = 0; j < kBatchTile; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
    } else if (full) {
#pragma GCC unroll 16
      for (int j = 0; j < kBatchTile; ++j) {
        acc0[j] = _mm512_loadu_ps(y + j * ldy);
        acc1[j] = _mm512_loadu_ps(y + j * ldy + 16);
      }
    } else {
      for (int j = 0; j < kBatchTile; ++j)
        for (int r = 0; r < kPanelRows; ++r) spill[j * kPanelRows + r] = j < nb && r < nr ? y[j * ldy + r] : 0.f;
      for (int j = 0; j < kBatchTile; ++j) {
        acc0[j] = _mm512_load_ps(spill + j * kPanelRows);
        acc1[j] = _mm512_load_ps(spill + j * kPanelRows + 16);
      }
    }
    for (int s = 0; s < sc; ++s) {
      const __m512bh w0 = (__m512bh)_mm512_load_si512(panel + s * kPanelRows);
      const __m512bh w1 = (__m512bh)_mm512_load_si512(panel + s * kPanelRows + 16);
      const std::uint32_t* xs = xt + s * kBatchTile;
#pragma GCC unroll 16
      for (int j = 0; j < kBatchTile; ++j) {
        const __m512bh xb = (__m512bh)_mm512_set1_epi32(static_cast<int>(xs[j]));
        acc0[j] = _mm512_dpbf16_ps(acc0[j], w0, xb);
        acc1[j] = _mm512_dpbf16_ps(acc1[j], w1, xb);
      }
    }
    if (full) {
#pragma GCC unroll 16
      for (int j = 0; j < kBatchTile; ++j) {
        _mm512_storeu_ps(y + j * ldy, acc0[j]);
        _mm512_storeu_ps(y + j * ldy + 16, acc1[j]);
      }
      return;
    }
    for (int j = 0; j < kBatchTile; ++j) {
      _mm512_store_ps(spill + j * kPanelRows, acc0[j]);
      _mm512_store_ps(spill + j * kPanelRows + 16, acc1[j]);
    }
    store_partial_tile(spill, y, ldy, false, nb, nr);
  }
};

}  // namespace

bool blocked_matmul_bf16dot(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch,
                            float* y) {
  blocked_matmul(Bf16DotPolicy{w, sel}, n_rows, w.cols, x, batch, y);
  return true;
}

}  // namespace qwen3::kernels::detail

#else

namespace qwen3::kernels::detail {
bool blocked_matmul_bf16dot(const Matrix&, RowSelection, std::int64_t, const float*, int, float*) { return false; }
}  // namespace qwen3::kernels::detail

#endif
