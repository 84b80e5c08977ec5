// matmul / matmul_rows: argument checks, the choice between the dot-row
// (decode) and blocked (prefill) algorithms, the split of rows across threads,
// and the dispatch on the weight dtype.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "kernels/kernels.h"
#include "kernels/matmul_internal.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

using detail::RowSelection;

// From this batch on, packing weight panels (an extra pass over the weights)
// is repaid by reusing each packed panel for every token.
constexpr int kBlockedMinBatch = 4;

std::atomic<MatmulPrecision> g_precision{MatmulPrecision::Exact};

void check_matrix(const char* fn, const Matrix& w) {
  if (w.data == nullptr) throw Error(std::string("kernels::") + fn + ": weight matrix has no data");
  if (w.rows < 1 || w.cols < 1)
    throw Error(std::string("kernels::") + fn + ": weight shape must be positive, got [" + std::to_string(w.rows) +
                "x" + std::to_string(w.cols) + "]");
  if (w.type != WeightType::F32 && w.type != WeightType::BF16 && w.type != WeightType::F16)
    throw Error(std::string("kernels::") + fn + ": unsupported weight type " +
                std::to_string(static_cast<int>(w.type)));
}

void check_batch(const char* fn, int batch, const float* x, const float* y) {
  if (batch < 1) throw Error(std::string("kernels::") + fn + ": batch must be >= 1, got " + std::to_string(batch));
  if (x == nullptr || y == nullptr) throw Error(std::string("kernels::") + fn + ": null input or output");
}

detail::DotRowsFn dot_rows_for(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return detail::dot_rows_f32;
    case WeightType::BF16:
      return detail::dot_rows_bf16;
    case WeightType::F16:
      return detail::dot_rows_f16;
  }
  return nullptr;  // unreachable: check_matrix rejected the type
}

detail::PackPanelFn pack_panel_for(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return detail::pack_panel_f32;
    case WeightType::BF16:
      return detail::pack_panel_bf16;
    case WeightType::F16:
      return detail::pack_panel_f16;
  }
  return nullptr;
}

// Dot-row algorithm: rows are dealt to threads in chunks of a multiple of 16
// rows (so no two threads write the same 64-byte line of y), several chunks
// per thread and dynamically, so that a thread the OS delays (the machine is
// shared) does not hold up the others. A chunk is still hundreds of KiB of
// contiguous weights, long enough for the hardware prefetchers.
void dot_rows_parallel(const Matrix& w, RowSelection sel, std::int64_t n, const float* x, int batch, float* y) {
  const detail::DotRowsFn fn = dot_rows_for(w.type);
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), (n + 15) / 16));
  if (threads == 1) return fn(w, sel, 0, n, x, batch, y, n);
  constexpr std::int64_t kChunksPerThread = 8;
  const std::int64_t chunk = std::max<std::int64_t>(16, (n / (threads * kChunksPerThread) + 15) / 16 * 16);
  const std::int64_t chunks = (n + chunk - 1) / chunk;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::int64_t c = 0; c < chunks; ++c) fn(w, sel, c * chunk, std::min(n, (c + 1) * chunk), x, batch, y, n);
}

void run(const Matrix& w, RowSelection sel, std::int64_t n, const float* x, int batch, float* y, bool invariant) {
  if (batch < kBlockedMinBatch || invariant) return dot_rows_parallel(w, sel, n, x, batch, y);
  if (w.type == WeightType::BF16 && g_precision.load(std::memory_order_relaxed) == MatmulPrecision::Bf16Activations &&
      detail::blocked_matmul_bf16dot(w, sel, n, x, batch, y))
    return;
  detail::blocked_matmul_f32(w, sel, n, x, batch, y, pack_panel_for(w.type));
}

}  // namespace

void set_matmul_precision(MatmulPrecision p) {
  if (p != MatmulPrecision::Exact && p != MatmulPrecision::Bf16Activations)
    throw Error("kernels::set_matmul_precision: unknown precision " + std::to_string(static_cast<int>(p)));
  g_precision.store(p);
}

MatmulPrecision matmul_precision() { return g_precision.load(); }

namespace {

void checked_matmul(const Matrix& w, const float* x, int batch, float* y, bool invariant) {
  check_matrix("matmul", w);
  check_batch("matmul", batch, x, y);
  run(w, RowSelection{}, w.rows, x, batch, y, invariant);
}

void checked_matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y,
                         bool invariant) {
  check_matrix("matmul_rows", w);
  check_batch("matmul_rows", batch, x, y);
  if (n_rows < 0) throw Error("kernels::matmul_rows: n_rows must be >= 0, got " + std::to_string(n_rows));
  if (n_rows == 0) return;
  if (rows == nullptr) throw Error("kernels::matmul_rows: null row list");
  for (int i = 0; i < n_rows; ++i)
    if (rows[i] < 0 || rows[i] >= w.rows)
      throw Error("kernels::matmul_rows: rows[" + std::to_string(i) + "] = " + std::to_string(rows[i]) +
                  " is outside [0, " + std::to_string(w.rows) + ")");
  run(w, RowSelection{rows}, n_rows, x, batch, y, invariant);
}

}  // namespace

void matmul(const Matrix& w, const float* x, int batch, float* y) { checked_matmul(w, x, batch, y, false); }
void matmul_invariant(const Matrix& w, const float* x, int batch, float* y) { checked_matmul(w, x, batch, y, true); }

void matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y) {
  checked_matmul_rows(w, rows, n_rows, x, batch, y, false);
}
void matmul_rows_invariant(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y) {
  checked_matmul_rows(w, rows, n_rows, x, batch, y, true);
}

}  // namespace qwen3::kernels
