// ggml's float arithmetic (kernels/ggml_arith.h): each operation against its
// mathematical value (close) and against the defining formula written out
// here step by step (bit for bit), and the attention against the engine's
// own (close) with the same bits for a query whatever its batch.
#include "kernels/ggml_arith.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

using test::random_vector;

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(GgmlArith, ExpIsCloseToExpAndExactAtItsEnds) {
  EXPECT_EQ(ggml::expf(0.f), 1.f);
  EXPECT_EQ(ggml::expf(-std::numeric_limits<float>::infinity()), 0.f);
  EXPECT_EQ(ggml::expf(-300.f), 0.f);
  EXPECT_EQ(ggml::expf(300.f), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(ggml::expf(std::numeric_limits<float>::quiet_NaN())));
  for (const float x : random_vector(20000, 7, -87.f, 88.f)) {
    const double want = std::exp(static_cast<double>(x));
    EXPECT_NEAR(ggml::expf(x) / want, 1.0, 3e-7) << x;
  }
  // Results below the normal range are scaled once (no double rounding).
  EXPECT_NEAR(ggml::expf(-100.f), std::exp(-100.0), std::numeric_limits<float>::denorm_min());
}

TEST(GgmlArith, RmsNormSumsRoundedSquaresInOrderInDouble) {
  const int n = 256, batch = 3;
  const auto x = random_vector(n * batch, 1), w = random_vector(n, 2, 0.5f, 1.5f);
  std::vector<float> out(x.size());
  ggml::rmsnorm(out.data(), x.data(), w.data(), n, batch, 1e-6f);
  for (int b = 0; b < batch; ++b) {
    double sum = 0;
    for (int i = 0; i < n; ++i) sum += static_cast<double>(x[b * n + i] * x[b * n + i]);
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum / n) + 1e-6f);
    for (int i = 0; i < n; ++i) {
      const float want = x[b * n + i] * scale * w[i];
      ASSERT_TRUE(same_bits(out[b * n + i], want)) << b << " " << i;
    }
  }
}

TEST(GgmlArith, SwigluIsSiluTimesUpWithLibmForTheTail) {
  const int rows = 2, cols = 40;  // two 16-lane groups and a tail of 8 per row
  auto g = random_vector(rows * cols, 3, -12.f, 12.f);
  const auto u = random_vector(rows * cols, 4);
  // Where e^-g leaves the normal range, overflows, or underflows to 0.
  g[0] = 90.f, g[1] = -90.f, g[2] = 100.f, g[3] = -100.f, g[4] = 200.f, g[5] = -200.f, g[6] = 0.f;
  std::vector<float> out(g.size());
  ggml::swiglu(out.data(), g.data(), u.data(), rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < cols; ++i) {
      const std::size_t k = static_cast<std::size_t>(r) * cols + i;
      const double silu = g[k] / (1.0 + std::exp(-static_cast<double>(g[k])));
      EXPECT_NEAR(out[k], silu * u[k], 1e-5 * (1 + std::abs(silu * u[k]))) << k;
      // 16-lane groups: ggml's e^x (vectorised where the CPU allows: the same
      // bits as the scalar ggml::expf); the tail: libm's expf.
      const float e = i >= 32 ? std::exp(-g[k]) : ggml::expf(0.0f - g[k]);
      EXPECT_TRUE(same_bits(out[k], (g[k] / (1.0f + e)) * u[k])) << k;
    }
}

TEST(GgmlArith, RopeAnglesAreRepeatedF32Products) {
  const int d = 64, pos = 37;
  std::vector<float> cs(d);
  ggml::rope_cos_sin(1e6f, d, pos, cs.data());
  const float step = std::pow(1e6f, -2.0f / d);
  float theta = pos;
  for (int i = 0; i < d / 2; ++i) {
    EXPECT_TRUE(same_bits(cs[i], std::cos(theta))) << i;
    EXPECT_TRUE(same_bits(cs[d / 2 + i], std::sin(theta))) << i;
    theta *= step;
  }
  // Position 0 rotates nothing; any position keeps each pair's length.
  auto x = random_vector(d, 5);
  const auto x0 = x;
  ggml::rope_cos_sin(1e6f, d, 0, cs.data());
  ggml::rope(x.data(), d, cs.data());
  EXPECT_EQ(x, x0);
  ggml::rope_cos_sin(1e6f, d, pos, cs.data());
  ggml::rope(x.data(), d, cs.data());
  for (int i = 0; i < d / 2; ++i)
    EXPECT_NEAR(std::hypot(x[i], x[i + d / 2]), std::hypot(x0[i], x0[i + d / 2]), 1e-5) << i;
}

TEST(GgmlArith, AttentionAgreesWithTheEngineAndIgnoresTheBatch) {
  const int kv_heads = 2, n_heads = 4, D = 64, T = 70;  // crosses key blocks of 32
  KvLayer kv;
  kv.type = KvType::F32;
  kv.kv_heads = kv_heads;
  kv.head_dim = D;
  kv.head_stride = kv_head_elements(T, D);
  std::vector<float> keys(kv.head_stride * kv_heads), values(kv.head_stride * kv_heads);
  kv.keys = keys.data();
  kv.values = values.data();
  const auto k = random_vector(T * kv_heads * D, 6), v = random_vector(T * kv_heads * D, 7);
  const auto q = random_vector(T * n_heads * D, 8);
  kv_store(kv, 0, T, k.data(), v.data());
  std::vector<float> ours(q.size()), engine(q.size()), one(n_heads * D);
  ggml::attention(kv, q.data(), n_heads, 0, T, ours.data());
  attention(kv, q.data(), n_heads, 0, T, engine.data());
  for (std::size_t i = 0; i < ours.size(); ++i) ASSERT_NEAR(ours[i], engine[i], 1e-5) << i;
  for (int t = 0; t < T; t += 23) {
    ggml::attention(kv, &q[static_cast<std::size_t>(t) * n_heads * D], n_heads, t, 1, one.data());
    for (int i = 0; i < n_heads * D; ++i)
      ASSERT_TRUE(same_bits(one[i], ours[static_cast<std::size_t>(t) * n_heads * D + i])) << t << " " << i;
  }
}

}  // namespace
}  // namespace qwen3::kernels
