#pragma once
// What matmul.cpp dispatches to: the batch-invariant tile kernel of
// tile_kernel.h, one instantiation per weight dtype and activation format
// (weights_<type>.cpp, tile_bf16dot.cpp), and the faster, not invariant,
// blocked prefill kernel (blocked_driver.h). A quantized format adds a
// weights_<type>.cpp (tile ops and a panel packer) and WeightType cases in
// matmul.cpp.
#include <cstdint>

#include "kernels/kernels.h"

namespace qwen3::kernels::detail {

// Which rows of W a matmul reads: all of them in order, or a list.
struct RowSelection {
  const std::int32_t* list = nullptr;
  std::int64_t operator()(std::int64_t i) const { return list ? list[i] : i; }
};

struct TileJob;

// Rows [r0, r1) of the selection x tokens [t0, t0 + nt) over k in [k0, k1),
// in register tiles of `rows` x nt (rows x nt <= 24), see tile_kernel.h;
// `state` parks the accumulators between k ranges (state_floats per tile),
// null when [k0, k1) is all of k.
using TileRowsFn = void (*)(const TileJob& job, std::int64_t r0, std::int64_t r1, int rows, int t0, int nt,
                            std::int64_t k0, std::int64_t k1, float* state);
struct TileKernel {
  TileRowsFn fn = nullptr;        // null: not available on this CPU / compiler
  std::int64_t state_floats = 0;  // per register tile
  int k_step = 0;                 // k positions per multiply-add step
  int tile_rows = 4;              // rows of a decode register tile (the streams of TileJob::row_step)
};

// f32 activations: the weights widen exactly to f32, products and sums in f32.
TileKernel tile_kernel_f32();
TileKernel tile_kernel_bf16();
TileKernel tile_kernel_f16();
// BF16 weights with activations rounded to bf16, multiplied by vdpbf16ps.
TileKernel tile_kernel_bf16dot();

// The blocked prefill kernel (blocked_driver.h), used only when batch
// invariance is off. Its panel: kPanelRows weight rows, transposed so that
// one SIMD load gives one column of them: panel[k * kPanelRows + r] =
// W[sel(row0 + r)][k0 + k] as f32, for r < n (rows from n on are zero).
inline constexpr int kPanelRows = 32;
using PackPanelFn = void (*)(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                             float* panel);
void pack_panel_f32(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc, float* panel);
void pack_panel_bf16(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                     float* panel);
void pack_panel_f16(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc, float* panel);

// y[b][i] = W[sel(i)] . x[b] for i < n_rows, b < batch (y row stride n_rows),
// with f32 products: any weight dtype, through its panel packer.
void blocked_matmul_f32(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch, float* y,
                        PackPanelFn pack);

// The same for BF16 weights with the activations rounded to bf16 and
// multiplied by vdpbf16ps. Returns false where the CPU or compiler lacks
// AVX512_BF16 (the caller then uses the f32 kernel).
bool blocked_matmul_bf16dot(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch,
                            float* y);

}  // namespace qwen3::kernels::detail
