#pragma once
// Rotary position embedding parameters exactly as transformers computes them
// (modeling_rope_utils.py): the inverse frequencies in float32 and, for YaRN,
// the blend of interpolated and extrapolated frequencies and the attention
// factor that multiplies cos and sin.
#include <vector>

#include "qwen3/model_config.h"

namespace qwen3::model {

struct RopeParameters {
  std::vector<float> inv_freq;  // [head_dim / 2]
  float attention_scaling = 1.0f;
};

RopeParameters rope_parameters(const ModelConfig& config);

// Rotates x[head_dim] in place for position `pos` in the rotate-half layout
// (x1 = x[:d/2], x2 = x[d/2:]; out = x*cos + rotate_half(x)*sin, where
// rotate_half(x) = [-x2, x1] and cos, sin are repeated over both halves).
// cos_sin holds cos[d/2] followed by sin[d/2] for that position.
void rope_cos_sin(const RopeParameters& rope, int pos, float* cos_sin);
void apply_rope(float* x, int head_dim, const float* cos_sin);

}  // namespace qwen3::model
