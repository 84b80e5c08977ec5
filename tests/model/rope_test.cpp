// RoPE parameters against values derived here in double precision from the
// formulas (transformers' default and YaRN rope init), and the rotation itself.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "model/rope.h"

namespace qwen3 {
namespace {

ModelConfig qwen3_4b_shape() {
  ModelConfig c;
  c.hidden_size = 2560;
  c.num_attention_heads = 32;
  c.num_key_value_heads = 8;
  c.head_dim = 128;
  c.rope_theta = 1e6;
  c.max_position_embeddings = 40960;
  return c;
}

TEST(Rope, DefaultInverseFrequencies) {
  const auto r = model::rope_parameters(qwen3_4b_shape());
  ASSERT_EQ(r.inv_freq.size(), 64u);
  EXPECT_EQ(r.attention_scaling, 1.0f);
  for (int i = 0; i < 64; ++i) {
    const double expected = std::pow(1e6, -2.0 * i / 128.0);
    EXPECT_NEAR(r.inv_freq[i], expected, 2e-6 * expected) << i;
  }
}

TEST(Rope, YarnBlendAndAttentionFactor) {
  ModelConfig c = qwen3_4b_shape();
  c.rope_scaling.yarn = true;
  c.rope_scaling.factor = 4.0;
  c.rope_scaling.original_max_position_embeddings = 32768;
  const auto r = model::rope_parameters(c);

  // Correction range: dims whose wavelength fits beta_fast=32 resp. beta_slow=1
  // times in the original context; floor / ceil, clamped to [0, dim-1].
  auto correction_dim = [](double rotations) {
    return 128.0 * std::log(32768.0 / (rotations * 2 * std::numbers::pi)) / (2 * std::log(1e6));
  };
  const double low = std::floor(correction_dim(32)), high = std::ceil(correction_dim(1));
  EXPECT_EQ(low, 23.0);
  EXPECT_EQ(high, 40.0);
  for (int i = 0; i < 64; ++i) {
    const double base_freq = std::pow(1e6, -2.0 * i / 128.0);
    const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);  // 0: keep, 1: interpolate
    const double expected = base_freq / 4.0 * ramp + base_freq * (1.0 - ramp);
    EXPECT_NEAR(r.inv_freq[i], expected, 2e-6 * expected) << i;
  }
  // Below `low` the frequencies are untouched; above `high` divided by the factor.
  EXPECT_NEAR(r.inv_freq[0], 1.0, 1e-7);
  EXPECT_NEAR(r.inv_freq[63], std::pow(1e6, -126.0 / 128.0) / 4.0, 1e-12);
  // mscale = 0.1 ln(factor) + 1, applied to cos and sin.
  EXPECT_NEAR(r.attention_scaling, 0.1 * std::log(4.0) + 1.0, 1e-7);
  EXPECT_NEAR(r.attention_scaling, 1.1386294361, 1e-7);

  c.rope_scaling.attention_factor = 1.5;
  EXPECT_EQ(model::rope_parameters(c).attention_scaling, 1.5f);
}

TEST(Rope, RotateHalfAtAPosition) {
  ModelConfig c = qwen3_4b_shape();
  c.head_dim = 8;
  const auto r = model::rope_parameters(c);
  std::vector<float> cs(8), x = {1, 2, 3, 4, 5, 6, 7, 8}, y = x;
  const int pos = 37;
  model::rope_cos_sin(r, pos, cs.data());
  model::apply_rope(y.data(), 8, cs.data());
  for (int i = 0; i < 4; ++i) {
    const double a = pos * std::pow(1e6, -2.0 * i / 8.0);
    EXPECT_NEAR(y[i], x[i] * std::cos(a) - x[i + 4] * std::sin(a), 1e-4) << i;
    EXPECT_NEAR(y[i + 4], x[i + 4] * std::cos(a) + x[i] * std::sin(a), 1e-4) << i;
  }
}

}  // namespace
}  // namespace qwen3
