// The blocked matmul with f32 products: weights of any dtype are widened to
// f32 while packing, so the register tile is pure FMAs: per k, two weight
// vectors (32 rows) times 12 broadcast token values into 24 accumulators.
#include <hwy/highway.h>

#include <cstring>

#include "kernels/blocked_driver.h"

namespace qwen3::kernels::detail {
namespace hn = hwy::HWY_NAMESPACE;
namespace {

struct F32Policy {
  using PanelT = float;
  using XT = float;
  const Matrix& w;
  RowSelection sel;
  PackPanelFn pack;

  static std::int64_t slots(std::int64_t K) { return K; }

  static void pack_x(const float* x, int nb, std::int64_t K, float* out) {
    for (int j = 0; j < kBatchTile; ++j) {
      const float* xj = x + j * K;
      if (j < nb)
        for (std::int64_t k = 0; k < K; ++k) out[k * kBatchTile + j] = xj[k];
      else
        for (std::int64_t k = 0; k < K; ++k) out[k * kBatchTile + j] = 0.f;
    }
  }

  void pack_w(std::int64_t row0, int n, std::int64_t s0, int sc, float* panel) const {
    pack(w, sel, row0, n, s0, sc, panel);
  }

  static void tile(const float* panel, const float* xt, int sc, float* y, std::int64_t ldy, bool accumulate, int nb,
                   int nr) {
    const hn::ScalableTag<float> d;
    constexpr int N = hn::MaxLanes(d);
    constexpr int V = kPanelRows / N;  // weight vectors per k
    using Vec = hn::Vec<decltype(d)>;
    Vec acc[V][kBatchTile];
#pragma GCC unroll 64
    for (int v = 0; v < V; ++v)
#pragma GCC unroll 64
      for (int j = 0; j < kBatchTile; ++j) acc[v][j] = hn::Zero(d);
    for (int k = 0; k < sc; ++k) {
      Vec wv[V];
#pragma GCC unroll 64
      for (int v = 0; v < V; ++v) wv[v] = hn::Load(d, panel + k * kPanelRows + v * N);
      const float* xk = xt + k * kBatchTile;
#pragma GCC unroll 64
      for (int j = 0; j < kBatchTile; ++j) {
        const Vec xb = hn::Set(d, xk[j]);
#pragma GCC unroll 64
        for (int v = 0; v < V; ++v) acc[v][j] = hn::MulAdd(wv[v], xb, acc[v][j]);
      }
    }
    if (nb == kBatchTile && nr == kPanelRows) {
#pragma GCC unroll 64
      for (int j = 0; j < kBatchTile; ++j)
#pragma GCC unroll 64
        for (int v = 0; v < V; ++v) {
          float* p = y + j * ldy + v * N;
          hn::StoreU(accumulate ? hn::Add(hn::LoadU(d, p), acc[v][j]) : acc[v][j], d, p);
        }
      return;
    }
    alignas(64) float spill[kBatchTile * kPanelRows];
    for (int j = 0; j < kBatchTile; ++j)
      for (int v = 0; v < V; ++v) hn::Store(acc[v][j], d, spill + j * kPanelRows + v * N);
    store_partial_tile(spill, y, ldy, accumulate, nb, nr);
  }
};

}  // namespace

void blocked_matmul_f32(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch, float* y,
                        PackPanelFn pack) {
  blocked_matmul(F32Policy{w, sel, pack}, n_rows, w.cols, x, batch, y);
}

}  // namespace qwen3::kernels::detail
