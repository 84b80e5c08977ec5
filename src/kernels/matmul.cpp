// matmul / matmul_rows: argument checks, the split of output rows across
// threads, and the dispatch on the weight dtype.
#include <omp.h>

#include <algorithm>
#include <string>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

void check_matrix(const char* fn, const Matrix& w) {
  if (w.data == nullptr) throw Error(std::string("kernels::") + fn + ": weight matrix has no data");
  if (w.rows < 1 || w.cols < 1)
    throw Error(std::string("kernels::") + fn + ": weight shape must be positive, got [" +
                std::to_string(w.rows) + "x" + std::to_string(w.cols) + "]");
  if (w.type != WeightType::F32 && w.type != WeightType::BF16 && w.type != WeightType::F16)
    throw Error(std::string("kernels::") + fn + ": unsupported weight type " +
                std::to_string(static_cast<int>(w.type)));
}

void check_batch(const char* fn, int batch, const float* x, const float* y) {
  if (batch < 1) throw Error(std::string("kernels::") + fn + ": batch must be >= 1, got " + std::to_string(batch));
  if (x == nullptr || y == nullptr) throw Error(std::string("kernels::") + fn + ": null input or output");
}

template <class T, class Load>
void rows_generic(const Matrix& w, const std::int32_t* rows, std::int64_t begin, std::int64_t end,
                  const float* x, int batch, float* y, std::int64_t y_stride, Load load) {
  const T* base = static_cast<const T*>(w.data);
  for (std::int64_t i = begin; i < end; ++i) {
    const std::int64_t r = rows ? rows[i] : i;
    const T* wr = base + r * w.cols;
    for (int b = 0; b < batch; ++b) {
      const float* xb = x + static_cast<std::int64_t>(b) * w.cols;
      float acc = 0.f;
      for (std::int64_t c = 0; c < w.cols; ++c) acc += load(wr[c]) * xb[c];
      y[b * y_stride + i] = acc;
    }
  }
}

void rows_dispatch(const Matrix& w, const std::int32_t* rows, std::int64_t begin, std::int64_t end,
                   const float* x, int batch, float* y, std::int64_t y_stride) {
  switch (w.type) {
    case WeightType::F32:
      rows_generic<float>(w, rows, begin, end, x, batch, y, y_stride, [](float v) { return v; });
      break;
    case WeightType::BF16:
      rows_generic<std::uint16_t>(w, rows, begin, end, x, batch, y, y_stride, detail::bf16_to_f32);
      break;
    case WeightType::F16:
      rows_generic<std::uint16_t>(w, rows, begin, end, x, batch, y, y_stride, detail::f16_to_f32);
      break;
  }
}

// Splits [0, n) into one contiguous range per thread, boundaries rounded to 16
// rows so that threads never write the same 64-byte line of y.
void parallel_rows(std::int64_t n, const Matrix& w, const std::int32_t* rows, const float* x, int batch,
                   float* y) {
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), (n + 15) / 16));
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const std::int64_t chunks = (n + 15) / 16;
    const std::int64_t begin = std::min(n, chunks * t / nt * 16);
    const std::int64_t end = std::min(n, chunks * (t + 1) / nt * 16);
    if (begin < end) rows_dispatch(w, rows, begin, end, x, batch, y, n);
  }
}

}  // namespace

void matmul(const Matrix& w, const float* x, int batch, float* y) {
  check_matrix("matmul", w);
  check_batch("matmul", batch, x, y);
  parallel_rows(w.rows, w, nullptr, x, batch, y);
}

void matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y) {
  check_matrix("matmul_rows", w);
  check_batch("matmul_rows", batch, x, y);
  if (n_rows < 0) throw Error("kernels::matmul_rows: n_rows must be >= 0, got " + std::to_string(n_rows));
  if (n_rows == 0) return;
  if (rows == nullptr) throw Error("kernels::matmul_rows: null row list");
  for (int i = 0; i < n_rows; ++i)
    if (rows[i] < 0 || rows[i] >= w.rows)
      throw Error("kernels::matmul_rows: rows[" + std::to_string(i) + "] = " + std::to_string(rows[i]) +
                  " is outside [0, " + std::to_string(w.rows) + ")");
  parallel_rows(n_rows, w, rows, x, batch, y);
}

}  // namespace qwen3::kernels
