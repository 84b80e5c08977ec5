#pragma once
// The float operations of the forward pass between the matrix products:
// the engine's own kernels, or, for a model read from a GGUF file, ggml's
// arithmetic bit for bit (kernels/ggml_arith.h), so that the activations
// that llama.cpp rounds to int8 blocks before each product get the same
// bits as its own and round the same way. Both forward passes
// (qwen3_forward.cpp, batch_forward.cpp) go through this.
#include <cstdint>

#include "kernels/ggml_arith.h"
#include "kernels/kernels.h"
#include "model/rope.h"
#include "qwen3/model_config.h"

namespace qwen3::model {

class Arithmetic {
 public:
  Arithmetic(bool ggml, const ModelConfig& config, const RopeParameters& rope)
      : ggml_(ggml),
        ggml_rope_(ggml && !config.rope_scaling.yarn),
        rope_base_(static_cast<float>(config.rope_theta)),
        rope_(rope) {}

  void rmsnorm(float* out, const float* x, const float* w, int n, int batch, float eps) const {
    ggml_ ? kernels::ggml::rmsnorm(out, x, w, n, batch, eps) : kernels::rmsnorm(out, x, w, n, batch, eps);
  }
  // out = silu(gate) * up over rows of cols values.
  void swiglu(float* out, const float* gate, const float* up, std::int64_t rows, std::int64_t cols) const {
    ggml_ ? kernels::ggml::swiglu(out, gate, up, rows, cols) : kernels::swiglu(out, gate, up, rows * cols);
  }
  void rope_cos_sin(int pos, int head_dim, float* cos_sin) const {
    ggml_rope_ ? kernels::ggml::rope_cos_sin(rope_base_, head_dim, pos, cos_sin)
               : model::rope_cos_sin(rope_, pos, cos_sin);
  }
  void apply_rope(float* x, int head_dim, const float* cos_sin) const {
    ggml_rope_ ? kernels::ggml::rope(x, head_dim, cos_sin) : model::apply_rope(x, head_dim, cos_sin);
  }
  void attention(const kernels::KvLayer& kv, const float* q, int n_heads, int first_pos, int T, float* out) const {
    ggml_ ? kernels::ggml::attention(kv, q, n_heads, first_pos, T, out)
          : kernels::attention(kv, q, n_heads, first_pos, T, out);
  }

 private:
  bool ggml_, ggml_rope_;
  float rope_base_;
  const RopeParameters& rope_;
};

}  // namespace qwen3::model
