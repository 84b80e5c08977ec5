#pragma once
// The dot-row kernel shared by the weight dtypes that widen to f32 one SIMD
// vector at a time (F32, BF16, F16). Included only by weights_<type>.cpp,
// each of which supplies how to load kLanes weights as an f32 vector.
//
// Four rows at a time: the activation vector is loaded once per four weight
// vectors, and four independent sequential streams keep enough reads in
// flight for the memory system. Two accumulators per row hide FMA latency.
#include <hwy/highway.h>

#include <hwy/cache_control.h>

#include <cstdint>

#include "kernels/matmul_internal.h"

namespace qwen3::kernels::detail {
namespace hn = hwy::HWY_NAMESPACE;

// How far ahead of the loads each row is prefetched. The hardware prefetchers
// alone reached about 80% of the measured read bandwidth in decode; prefetching
// 1-2 KiB ahead on each of the four row streams raised that to about 90%
// (docs/performance.md, Kernels). Prefetching past the end of a row is harmless.
inline constexpr std::int64_t kPrefetchBytes = 2048;

template <class T, class Widen, class ScalarWiden>
void dot_rows_impl(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x, int batch,
                   float* y, std::int64_t y_stride, Widen widen, ScalarWiden scalar) {
  const hn::ScalableTag<float> d;
  const std::int64_t N = hn::Lanes(d);
  const std::int64_t cols = w.cols;
  const std::int64_t vec_end = cols / (2 * N) * (2 * N);
  const T* base = static_cast<const T*>(w.data);
  std::int64_t i = begin;
  for (; i + 4 <= end; i += 4) {
    const T* r0 = base + sel(i) * cols;
    const T* r1 = base + sel(i + 1) * cols;
    const T* r2 = base + sel(i + 2) * cols;
    const T* r3 = base + sel(i + 3) * cols;
    for (int b = 0; b < batch; ++b) {
      const float* xb = x + b * cols;
      auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
      auto c0 = hn::Zero(d), c1 = hn::Zero(d), c2 = hn::Zero(d), c3 = hn::Zero(d);
      for (std::int64_t c = 0; c < vec_end; c += 2 * N) {
        if (b == 0) {
          hwy::Prefetch(reinterpret_cast<const char*>(r0 + c) + kPrefetchBytes);
          hwy::Prefetch(reinterpret_cast<const char*>(r1 + c) + kPrefetchBytes);
          hwy::Prefetch(reinterpret_cast<const char*>(r2 + c) + kPrefetchBytes);
          hwy::Prefetch(reinterpret_cast<const char*>(r3 + c) + kPrefetchBytes);
        }
        const auto xv0 = hn::LoadU(d, xb + c);
        const auto xv1 = hn::LoadU(d, xb + c + N);
        a0 = hn::MulAdd(widen(d, r0 + c), xv0, a0);
        a1 = hn::MulAdd(widen(d, r1 + c), xv0, a1);
        a2 = hn::MulAdd(widen(d, r2 + c), xv0, a2);
        a3 = hn::MulAdd(widen(d, r3 + c), xv0, a3);
        c0 = hn::MulAdd(widen(d, r0 + c + N), xv1, c0);
        c1 = hn::MulAdd(widen(d, r1 + c + N), xv1, c1);
        c2 = hn::MulAdd(widen(d, r2 + c + N), xv1, c2);
        c3 = hn::MulAdd(widen(d, r3 + c + N), xv1, c3);
      }
      float s0 = hn::GetLane(hn::SumOfLanes(d, hn::Add(a0, c0)));
      float s1 = hn::GetLane(hn::SumOfLanes(d, hn::Add(a1, c1)));
      float s2 = hn::GetLane(hn::SumOfLanes(d, hn::Add(a2, c2)));
      float s3 = hn::GetLane(hn::SumOfLanes(d, hn::Add(a3, c3)));
      for (std::int64_t c = vec_end; c < cols; ++c) {
        s0 += scalar(r0[c]) * xb[c];
        s1 += scalar(r1[c]) * xb[c];
        s2 += scalar(r2[c]) * xb[c];
        s3 += scalar(r3[c]) * xb[c];
      }
      float* yb = y + b * y_stride + i;
      yb[0] = s0;
      yb[1] = s1;
      yb[2] = s2;
      yb[3] = s3;
    }
  }
  for (; i < end; ++i) {
    const T* r = base + sel(i) * cols;
    for (int b = 0; b < batch; ++b) {
      const float* xb = x + b * cols;
      auto a = hn::Zero(d), c2 = hn::Zero(d);
      for (std::int64_t c = 0; c < vec_end; c += 2 * N) {
        a = hn::MulAdd(widen(d, r + c), hn::LoadU(d, xb + c), a);
        c2 = hn::MulAdd(widen(d, r + c + N), hn::LoadU(d, xb + c + N), c2);
      }
      float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(a, c2)));
      for (std::int64_t c = vec_end; c < cols; ++c) s += scalar(r[c]) * xb[c];
      y[b * y_stride + i] = s;
    }
  }
}

// Panel packing shared by those dtypes: scalar widening, row by row (the
// packing is O(rows x cols) against the O(rows x cols x batch) multiply).
template <class T, class ScalarWiden>
void pack_panel_impl(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc, float* panel,
                     ScalarWiden scalar) {
  const T* base = static_cast<const T*>(w.data);
  for (int r = 0; r < n; ++r) {
    const T* src = base + sel(row0 + r) * w.cols + k0;
    for (int k = 0; k < kc; ++k) panel[k * kPanelRows + r] = scalar(src[k]);
  }
  for (int r = n; r < kPanelRows; ++r)
    for (int k = 0; k < kc; ++k) panel[k * kPanelRows + r] = 0.f;
}

}  // namespace qwen3::kernels::detail
