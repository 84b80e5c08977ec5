// The small per-token vector operations of the forward pass. They touch a few
// KiB each, so they run on the calling thread (a parallel region would cost
// more than the work), except rmsnorm over a prefill batch.
#include <cmath>
#include <string>

#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {

void rmsnorm(float* out, const float* x, const float* weight, int n, int batch, float eps) {
  if (n < 1 || batch < 1)
    throw Error("kernels::rmsnorm: n and batch must be >= 1, got n=" + std::to_string(n) +
                " batch=" + std::to_string(batch));
#pragma omp parallel for schedule(static) if (batch > 1)
  for (int b = 0; b < batch; ++b) {
    const float* xb = x + static_cast<std::int64_t>(b) * n;
    float* ob = out + static_cast<std::int64_t>(b) * n;
    double ss = 0.0;
    for (int i = 0; i < n; ++i) ss += static_cast<double>(xb[i]) * xb[i];
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
    for (int i = 0; i < n; ++i) ob[i] = xb[i] * scale * weight[i];
  }
}

void swiglu(float* out, const float* gate, const float* up, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.f + std::exp(-g)) * up[i];
  }
}

void add_inplace(float* x, const float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) x[i] += y[i];
}

void softmax(float* x, int n) {
  if (n < 1) throw Error("kernels::softmax: n must be >= 1, got " + std::to_string(n));
  float mx = x[0];
  for (int i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int i = 0; i < n; ++i) x[i] *= inv;
}

float dot(const float* a, const float* b, int n) {
  float acc = 0.f;
  for (int i = 0; i < n; ++i) acc += a[i] * b[i];
  return acc;
}

void axpy(float* y, float a, const float* x, int n) {
  for (int i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace qwen3::kernels
