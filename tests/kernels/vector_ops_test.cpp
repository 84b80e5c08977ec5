// The per-token vector operations against float64 references, at lengths that
// exercise both full SIMD vectors and remainders.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernels.h"
#include "qwen3/error.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

using test::random_vector;

const int kLengths[] = {1, 3, 15, 16, 17, 31, 64, 100, 2560, 9728, 10001};
// A prefill batch's worth (512 x 9728 would be slow to check): long enough to
// be split across threads, with a ragged end.
constexpr int kBatchLength = 300007;

TEST(VectorOps, RmsnormMatchesReference) {
  for (int n : kLengths)
    for (int batch : {1, 3, 8}) {
      const auto x = random_vector(static_cast<std::int64_t>(n) * batch, n + batch, -3.f, 3.f);
      const auto w = random_vector(n, 7 * n, 0.5f, 1.5f);
      const float eps = 1e-6f;
      std::vector<float> out(x.size());
      rmsnorm(out.data(), x.data(), w.data(), n, batch, eps);
      for (int b = 0; b < batch; ++b) {
        double ss = 0;
        for (int i = 0; i < n; ++i) ss += static_cast<double>(x[b * n + i]) * x[b * n + i];
        const double scale = 1.0 / std::sqrt(ss / n + eps);
        for (int i = 0; i < n; ++i) {
          const double ref = x[b * n + i] * scale * w[i];
          ASSERT_NEAR(out[b * n + i], ref, 1e-5 * std::fabs(ref) + 1e-7) << "n " << n << " b " << b << " i " << i;
        }
      }
    }
}

TEST(VectorOps, RmsnormInPlaceAndEps) {
  std::vector<float> x = {0.f, 0.f, 0.f, 0.f};
  const std::vector<float> w = {1.f, 2.f, 3.f, 4.f};
  rmsnorm(x.data(), x.data(), w.data(), 4, 1, 1e-6f);  // zero input: eps keeps it finite
  for (float v : x) EXPECT_EQ(v, 0.f);
  std::vector<float> y = {2.f, -2.f, 2.f, -2.f};
  rmsnorm(y.data(), y.data(), w.data(), 4, 1, 0.f);  // rms = 2
  EXPECT_FLOAT_EQ(y[0], 1.f);
  EXPECT_FLOAT_EQ(y[1], -2.f);
  EXPECT_FLOAT_EQ(y[3], -4.f);
  EXPECT_THROW(rmsnorm(y.data(), y.data(), w.data(), 0, 1, 1e-6f), Error);
  EXPECT_THROW(rmsnorm(y.data(), y.data(), w.data(), 4, 0, 1e-6f), Error);
}

TEST(VectorOps, SwigluMatchesReference) {
  for (int n : kLengths) {
    const auto g = random_vector(n, n, -20.f, 20.f);
    const auto u = random_vector(n, n + 1);
    std::vector<float> out(n);
    swiglu(out.data(), g.data(), u.data(), n);
    for (int i = 0; i < n; ++i) {
      const double gd = g[i];
      const double ref = gd / (1.0 + std::exp(-gd)) * u[i];
      ASSERT_NEAR(out[i], ref, 1e-6 * std::fabs(ref) + 1e-7) << "n " << n << " i " << i;
    }
  }
  // Saturation: silu(-100) underflows to -0, silu(100) is 100, no NaN.
  const float g[] = {-100.f, 100.f, 0.f, -88.f, 89.f};
  const float u[] = {1.f, 1.f, 5.f, 1.f, 1.f};
  float out[5];
  swiglu(out, g, u, 5);
  EXPECT_NEAR(out[0], 0.f, 1e-30);
  EXPECT_FLOAT_EQ(out[1], 100.f);
  EXPECT_EQ(out[2], 0.f);
  EXPECT_FALSE(std::isnan(out[3]));
  EXPECT_FLOAT_EQ(out[4], 89.f);
}

TEST(VectorOps, LongSwigluAndAddAreSplitCorrectly) {
  const int saved = num_threads();
  set_num_threads(2);
  const auto g = random_vector(kBatchLength, 1, -10.f, 10.f);
  const auto u = random_vector(kBatchLength, 2);
  std::vector<float> out(kBatchLength);
  swiglu(out.data(), g.data(), u.data(), kBatchLength);
  auto sum = g;
  add_inplace(sum.data(), u.data(), kBatchLength);
  for (int i = 0; i < kBatchLength; ++i) {
    const double ref = g[i] / (1.0 + std::exp(-static_cast<double>(g[i]))) * u[i];
    ASSERT_NEAR(out[i], ref, 1e-6 * std::fabs(ref) + 1e-7) << i;
    ASSERT_EQ(sum[i], g[i] + u[i]) << i;
  }
  set_num_threads(saved);
}

TEST(VectorOps, AddAndAxpyMatchReference) {
  for (int n : kLengths) {
    auto x = random_vector(n, n);
    const auto y = random_vector(n, n + 5);
    const auto x0 = x;
    add_inplace(x.data(), y.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_EQ(x[i], x0[i] + y[i]);
    axpy(x.data(), 0.375f, y.data(), n);
    for (int i = 0; i < n; ++i) ASSERT_NEAR(x[i], static_cast<double>(x0[i] + y[i]) + 0.375 * y[i], 1e-6);
  }
}

TEST(VectorOps, DotMatchesReference) {
  for (int n : kLengths) {
    const auto a = random_vector(n, n);
    const auto b = random_vector(n, n + 9);
    double ref = 0, mag = 0;
    for (int i = 0; i < n; ++i) {
      ref += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    EXPECT_NEAR(dot(a.data(), b.data(), n), ref, 2e-6 * mag) << n;
  }
  EXPECT_EQ(dot(nullptr, nullptr, 0), 0.f);
}

TEST(VectorOps, SoftmaxMatchesReference) {
  for (int n : kLengths) {
    auto x = random_vector(n, n, -30.f, 30.f);
    const auto x0 = x;
    softmax(x.data(), n);
    double mx = x0[0];
    for (float v : x0) mx = std::max<double>(mx, v);
    double sum = 0;
    for (float v : x0) sum += std::exp(v - mx);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      const double ref = std::exp(x0[i] - mx) / sum;
      ASSERT_NEAR(x[i], ref, 1e-6 * ref + 1e-12) << "n " << n << " i " << i;
      total += x[i];
    }
    EXPECT_NEAR(total, 1.0, 1e-5);
  }
  // Large logits do not overflow; -inf (a masked position) gets exactly 0.
  float big[] = {1000.f, 999.f, -INFINITY};
  softmax(big, 3);
  EXPECT_NEAR(big[0], 1.0 / (1.0 + std::exp(-1.0)), 1e-6);
  EXPECT_EQ(big[2], 0.f);
  EXPECT_THROW(softmax(big, 0), Error);
}

}  // namespace
}  // namespace qwen3::kernels
