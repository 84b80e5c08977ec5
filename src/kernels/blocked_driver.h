#pragma once
// The loop nest of the blocked (packed outer-product) matrix-matrix kernel,
// shared by its f32 and bf16-dot variants (a Policy supplies packing and the
// register-tile kernel). Faster than the batch-invariant tile kernel
// (tile_kernel.h) at prefill, but its sums run in another order than decode's,
// so it is used only when batch invariance is switched off
// (set_batch_invariant(false)).
//
//   y[b][i] = W[sel(i)] . x[b],  W: [n_rows x K],  x: [batch x K]
//
// The activations are packed once into tiles of kBatchTile tokens, K-major,
// so that the micro-kernel broadcasts one token's value per FMA. Each thread
// takes blocks of kPanelsPerBlock 32-row panels; it packs a block x
// kSlotsPerBlock of K (256 KiB, L2-resident) and sweeps every token tile
// across them, so each weight is read from memory once per matmul and reused
// batch times from cache. y is accumulated across K blocks.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "kernels/matmul_internal.h"
#include "kernels/tile_kernel.h"  // aligned_buffer

namespace qwen3::kernels::detail {

inline constexpr int kBatchTile = 12;
inline constexpr int kPanelsPerBlock = 8;
inline constexpr int kSlotsPerBlock = 256;

// Policy:
//   using PanelT, XT;                      element types of packed W and x
//   static std::int64_t slots(K);          K positions per packed k-slot (1 or 2 values each)
//   static void pack_x(const float* x, int nb, std::int64_t K, XT* out);  // [slots][kBatchTile]
//   void pack_w(row0, n, s0, sc, PanelT* panel) const;                    // [sc][kPanelRows]
//   static void tile(const PanelT*, const XT*, int sc, float* y, std::int64_t ldy, bool accumulate,
//                    int nb, int nr);
template <class Policy>
void blocked_matmul(const Policy& policy, std::int64_t n_rows, std::int64_t K, const float* x, int batch, float* y) {
  using PanelT = typename Policy::PanelT;
  using XT = typename Policy::XT;
  const std::int64_t slots = Policy::slots(K);
  const int tiles = (batch + kBatchTile - 1) / kBatchTile;
  auto xp = aligned_buffer<XT>(static_cast<std::size_t>(tiles) * slots * kBatchTile);
  const std::int64_t panels = (n_rows + kPanelRows - 1) / kPanelRows;

  parallel_for(tiles, [&](std::int64_t t, int) {
    Policy::pack_x(x + t * kBatchTile * K, std::min<int>(kBatchTile, batch - static_cast<int>(t) * kBatchTile), K,
                   xp.get() + t * slots * kBatchTile);
  });

  // One packed block of weights per thread.
  const std::size_t block = static_cast<std::size_t>(kPanelsPerBlock) * kSlotsPerBlock * kPanelRows;
  auto wbufs = aligned_buffer<PanelT>(block * num_threads());
  // Blocks of kPanelsPerBlock panels, claimed one at a time: a thread the OS
  // delays (the machine is shared) does not hold up the others.
  const std::int64_t blocks = (panels + kPanelsPerBlock - 1) / kPanelsPerBlock;
  parallel_for(blocks, [&](std::int64_t bi, int thread) {
    PanelT* wbuf = wbufs.get() + block * thread;
    const std::int64_t pb = bi * kPanelsPerBlock;
    const int np = static_cast<int>(std::min<std::int64_t>(kPanelsPerBlock, panels - pb));
    for (std::int64_t s0 = 0; s0 < slots; s0 += kSlotsPerBlock) {
      const int sc = static_cast<int>(std::min<std::int64_t>(kSlotsPerBlock, slots - s0));
      for (int q = 0; q < np; ++q) {
        const std::int64_t row0 = (pb + q) * kPanelRows;
        policy.pack_w(row0, static_cast<int>(std::min<std::int64_t>(kPanelRows, n_rows - row0)), s0, sc,
                      wbuf + q * kSlotsPerBlock * kPanelRows);
      }
      for (int t = 0; t < tiles; ++t) {
        const XT* xt = xp.get() + (t * slots + s0) * kBatchTile;
        const int nb = std::min(kBatchTile, batch - t * kBatchTile);
        for (int q = 0; q < np; ++q) {
          const std::int64_t row0 = (pb + q) * kPanelRows;
          Policy::tile(wbuf + q * kSlotsPerBlock * kPanelRows, xt, sc,
                       y + static_cast<std::int64_t>(t) * kBatchTile * n_rows + row0, n_rows, s0 > 0, nb,
                       static_cast<int>(std::min<std::int64_t>(kPanelRows, n_rows - row0)));
        }
      }
    }
  });
}

// Stores (or adds) a full kBatchTile x kPanelRows register tile that was
// spilled to `tile`, for the nb x nr part that exists.
inline void store_partial_tile(const float* tile, float* y, std::int64_t ldy, bool accumulate, int nb, int nr) {
  for (int j = 0; j < nb; ++j)
    for (int r = 0; r < nr; ++r) {
      const float v = tile[j * kPanelRows + r];
      y[j * ldy + r] = accumulate ? y[j * ldy + r] + v : v;
    }
}

}  // namespace qwen3::kernels::detail
