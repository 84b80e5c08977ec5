#pragma once
// What matmul.cpp dispatches to. Two algorithms:
//  - dot-row kernels (decode, small batches): each weight row is streamed once
//    and dotted with every activation vector while it is in L1; bandwidth-bound.
//  - a blocked matrix-matrix kernel (prefill): weight tiles are packed into
//    L2-resident panels and reused across all tokens; compute-bound.
// Each weight dtype provides its inner loops in its own file (weights_<type>.cpp):
// a dot-row kernel and a panel packer. A quantized format adds one such file
// and a WeightType case in matmul.cpp.
#include <cstdint>

#include "kernels/kernels.h"

namespace qwen3::kernels::detail {

// Which rows of W a matmul reads: all of them in order, or a list.
struct RowSelection {
  const std::int32_t* list = nullptr;
  std::int64_t operator()(std::int64_t i) const { return list ? list[i] : i; }
};

// For i in [begin, end) and b < batch: y[b * y_stride + i] = W[sel(i)] . x[b].
using DotRowsFn = void (*)(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x,
                           int batch, float* y, std::int64_t y_stride);
void dot_rows_f32(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x, int batch,
                  float* y, std::int64_t y_stride);
void dot_rows_bf16(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x, int batch,
                   float* y, std::int64_t y_stride);
void dot_rows_f16(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x, int batch,
                  float* y, std::int64_t y_stride);

// The blocked kernel's panel: kPanelRows weight rows, transposed so that one
// SIMD load gives one column of them: panel[k * kPanelRows + r] = W[sel(row0 + r)][k0 + k]
// as f32, for r < n (rows from n to kPanelRows are zero).
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
// multiplied by vdpbf16ps (twice the f32 FLOP rate). Returns false where the
// CPU or compiler lacks AVX512_BF16 (the caller then uses the f32 kernel).
bool blocked_matmul_bf16dot(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch,
                            float* y);

}  // namespace qwen3::kernels::detail
