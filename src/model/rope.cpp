// Follows transformers' _compute_default_rope_parameters and
// _compute_yarn_parameters step by step, in the same precisions: the tensors
// are float32, the scalars (factor, correction range, attention factor) are
// Python floats (double). YaRN's `factor` is taken as written in rope_scaling
// and original_max_position_embeddings only bounds the correction range, as
// transformers does since the fix for issue #38224 (and as vLLM, llama.cpp and
// Qwen's documentation intend): factor 4 over 32,768 positions gives 131,072.
#include "model/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace qwen3::model {
namespace {

double yarn_get_mscale(double scale, double mscale) {
  if (scale <= 1.0) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

double find_correction_dim(double num_rotations, int dim, double base, double max_positions) {
  return (dim * std::log(max_positions / (num_rotations * 2 * std::numbers::pi))) / (2 * std::log(base));
}

}  // namespace

RopeParameters rope_parameters(const ModelConfig& c) {
  const int dim = c.head_dim;
  const int half = dim / 2;
  const float base = static_cast<float>(c.rope_theta);
  RopeParameters r;
  r.inv_freq.resize(half);
  // pos_freqs = base ** (arange(0, dim, 2).float() / dim), in float32.
  std::vector<float> pos_freqs(half);
  for (int i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(dim);
    pos_freqs[i] = std::pow(base, exponent);
  }
  if (!c.rope_scaling.yarn) {
    for (int i = 0; i < half; ++i) r.inv_freq[i] = 1.0f / pos_freqs[i];
    return r;
  }

  const RopeScaling& s = c.rope_scaling;
  const double factor = s.factor;
  if (s.attention_factor) {
    r.attention_scaling = static_cast<float>(*s.attention_factor);
  } else if (s.mscale && s.mscale_all_dim && *s.mscale != 0 && *s.mscale_all_dim != 0) {
    r.attention_scaling =
        static_cast<float>(yarn_get_mscale(factor, *s.mscale) / yarn_get_mscale(factor, *s.mscale_all_dim));
  } else {
    r.attention_scaling = static_cast<float>(yarn_get_mscale(factor, 1.0));
  }

  const double original = static_cast<double>(s.original_max_position_embeddings);
  double low = find_correction_dim(s.beta_fast, dim, c.rope_theta, original);
  double high = find_correction_dim(s.beta_slow, dim, c.rope_theta, original);
  if (s.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // transformers: prevent a division by zero

  const float f_factor = static_cast<float>(factor);
  for (int i = 0; i < half; ++i) {
    const float extrapolation = 1.0f / pos_freqs[i];
    const float interpolation = 1.0f / (f_factor * pos_freqs[i]);
    // linear_ramp_factor: (arange(half) - low) / (high - low), clamped to [0, 1], in float32.
    float ramp = (static_cast<float>(i) - static_cast<float>(low)) / static_cast<float>(high - low);
    ramp = std::clamp(ramp, 0.0f, 1.0f);
    const float extrapolation_factor = 1.0f - ramp;
    r.inv_freq[i] = interpolation * (1.0f - extrapolation_factor) + extrapolation * extrapolation_factor;
  }
  return r;
}

void rope_cos_sin(const RopeParameters& rope, int pos, float* cos_sin) {
  const int half = static_cast<int>(rope.inv_freq.size());
  for (int i = 0; i < half; ++i) {
    // freqs = inv_freq @ position_ids in float32; cos/sin scaled by the attention factor.
    const float angle = rope.inv_freq[i] * static_cast<float>(pos);
    cos_sin[i] = std::cos(angle) * rope.attention_scaling;
    cos_sin[half + i] = std::sin(angle) * rope.attention_scaling;
  }
}

void apply_rope(float* x, int head_dim, const float* cos_sin) {
  const int half = head_dim / 2;
  const float* c = cos_sin;
  const float* s = cos_sin + half;
  for (int i = 0; i < half; ++i) {
    const float x1 = x[i], x2 = x[half + i];
    x[i] = x1 * c[i] - x2 * s[i];
    x[half + i] = x2 * c[i] + x1 * s[i];
  }
}

}  // namespace qwen3::model
