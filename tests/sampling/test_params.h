#pragma once
// Parameters shared by the sampling tests.
#include <cstdint>

#include "qwen3/sampling.h"

namespace qwen3::test {

// Temperature alone: no top-k, top-p or min-p, a fixed seed.
inline SamplingParams plain(float temperature, std::uint64_t seed = 1) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = seed;
  return p;
}

}  // namespace qwen3::test
