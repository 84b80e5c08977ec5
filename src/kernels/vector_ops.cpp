// The small per-token vector operations of the forward pass, in SIMD. Sums
// that decide a normalisation (rmsnorm's mean square, softmax's total) are
// accumulated in f64, so their rounding does not grow with the length.
// Element-wise operations over a whole prefill batch (millions of values) are
// split across threads; a single token's few KiB stay on the calling thread,
// where a parallel region would cost more than the work.
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {
namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using DD = hn::Repartition<double, DF>;

// Element-wise loops longer than this are split across threads.
constexpr std::int64_t kParallelMin = std::int64_t{1} << 16;

// Adds the squares (or the values) of v to two f64 accumulators.
template <bool kSquare>
void accumulate_f64(hn::Vec<DF> v, hn::Vec<DD>& lo, hn::Vec<DD>& hi) {
  const DD dd;
#if HWY_TARGET == HWY_SCALAR
  // One lane (a build for any x86-64, QWEN3_NATIVE=OFF: Highway's scalar
  // target has no vector halves).
  const auto a = hn::PromoteTo(dd, v);
  lo = kSquare ? hn::MulAdd(a, a, lo) : hn::Add(a, lo);
  (void)hi;
#else
  const hn::Half<DF> dh;
  const auto a = hn::PromoteTo(dd, hn::LowerHalf(dh, v));
  const auto b = hn::PromoteTo(dd, hn::UpperHalf(dh, v));
  lo = kSquare ? hn::MulAdd(a, a, lo) : hn::Add(a, lo);
  hi = kSquare ? hn::MulAdd(b, b, hi) : hn::Add(b, hi);
#endif
}

double sum_of_squares(const float* x, int n) {
  const DF d;
  const DD dd;
  const int N = static_cast<int>(hn::Lanes(d));
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  int i = 0;
  for (; i + N <= n; i += N) accumulate_f64<true>(hn::LoadU(d, x + i), lo, hi);
  double ss = hn::GetLane(hn::SumOfLanes(dd, hn::Add(lo, hi)));
  for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  return ss;
}

// silu(g) * u = g * u / (1 + exp(-g)); exp overflowing to inf gives -0.
hn::Vec<DF> swiglu_vec(DF d, hn::Vec<DF> g, hn::Vec<DF> u) {
  const auto denom = hn::Add(hn::Set(d, 1.f), hn::Exp(d, hn::Neg(g)));
  return hn::Div(hn::Mul(g, u), denom);
}

template <class Body>
void for_chunks(std::int64_t n, Body body) {
  if (n < kParallelMin) return body(0, n);
  // Chunk boundaries fall on cache lines, so threads never share one.
  constexpr std::int64_t kChunk = std::int64_t{1} << 14;
  const std::int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, [&](std::int64_t c, int) { body(c * kChunk, std::min(n, (c + 1) * kChunk)); });
}

}  // namespace

void rmsnorm(float* out, const float* x, const float* weight, int n, int batch, float eps) {
  if (n < 1 || batch < 1)
    throw Error("kernels::rmsnorm: n and batch must be >= 1, got n=" + std::to_string(n) +
                " batch=" + std::to_string(batch));
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const auto one = [&](std::int64_t b) {
    const float* xb = x + b * n;
    float* ob = out + b * n;
    // As ggml (and torch in f32): the mean square rounded to f32, then
    // 1 / sqrt(mean + eps) in f32, so the scale rounds as llama.cpp's does.
    const float mean = static_cast<float>(sum_of_squares(xb, n) / n);
    const float scale = 1.0f / std::sqrt(mean + eps);
    const auto vs = hn::Set(d, scale);
    int i = 0;
    for (; i + N <= n; i += N)
      hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(d, xb + i), vs), hn::LoadU(d, weight + i)), d, ob + i);
    for (; i < n; ++i) ob[i] = xb[i] * scale * weight[i];
  };
  if (static_cast<std::int64_t>(batch) * n < kParallelMin) {
    for (int b = 0; b < batch; ++b) one(b);
    return;
  }
  // Groups of vectors of at least kParallelMin / 4 values per item.
  const std::int64_t per = std::max<std::int64_t>(1, (kParallelMin / 4) / n);
  parallel_for((batch + per - 1) / per, [&](std::int64_t g, int) {
    for (std::int64_t b = g * per; b < std::min<std::int64_t>(batch, (g + 1) * per); ++b) one(b);
  });
}

void swiglu(float* out, const float* gate, const float* up, std::int64_t n) {
  for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    const DF d;
    const std::int64_t N = hn::Lanes(d);
    std::int64_t i = begin;
    for (; i + N <= end; i += N) hn::StoreU(swiglu_vec(d, hn::LoadU(d, gate + i), hn::LoadU(d, up + i)), d, out + i);
    for (; i < end; ++i) out[i] = gate[i] * up[i] / (1.f + std::exp(-gate[i]));
  });
}

void add_inplace(float* x, const float* y, std::int64_t n) {
  for_chunks(n, [&](std::int64_t begin, std::int64_t end) {
    const DF d;
    const std::int64_t N = hn::Lanes(d);
    std::int64_t i = begin;
    for (; i + N <= end; i += N) hn::StoreU(hn::Add(hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, x + i);
    for (; i < end; ++i) x[i] += y[i];
  });
}

void softmax(float* x, int n) {
  if (n < 1) throw Error("kernels::softmax: n must be >= 1, got " + std::to_string(n));
  const DF d;
  const DD dd;
  const int N = static_cast<int>(hn::Lanes(d));
  float mx = x[0];
  int i = 0;
  if (n >= N) {
    auto vmax = hn::LoadU(d, x);
    for (i = N; i + N <= n; i += N) vmax = hn::Max(vmax, hn::LoadU(d, x + i));
    mx = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; i < n; ++i) mx = std::max(mx, x[i]);
  const auto vm = hn::Set(d, mx);
  auto lo = hn::Zero(dd), hi = hn::Zero(dd);
  for (i = 0; i + N <= n; i += N) {
    const auto e = hn::Exp(d, hn::Sub(hn::LoadU(d, x + i), vm));
    hn::StoreU(e, d, x + i);
    accumulate_f64<false>(e, lo, hi);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(lo, hi)));
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  const auto vi = hn::Set(d, inv);
  for (i = 0; i + N <= n; i += N) hn::StoreU(hn::Mul(hn::LoadU(d, x + i), vi), d, x + i);
  for (; i < n; ++i) x[i] *= inv;
}

float dot(const float* a, const float* b, int n) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  auto s0 = hn::Zero(d), s1 = hn::Zero(d);
  int i = 0;
  for (; i + 2 * N <= n; i += 2 * N) {
    s0 = hn::MulAdd(hn::LoadU(d, a + i), hn::LoadU(d, b + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, a + i + N), hn::LoadU(d, b + i + N), s1);
  }
  float s = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float* y, float a, const float* x, int n) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const auto va = hn::Set(d, a);
  int i = 0;
  for (; i + N <= n; i += N) hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i) y[i] += a * x[i];
}

}  // namespace qwen3::kernels
