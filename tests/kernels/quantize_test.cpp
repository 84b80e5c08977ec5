// kernels::quantize: Q8_0 and Q4_0 blocks exactly as ggml's reference
// quantizers make them (llama-quantize's), each block checked against the
// formula written out here, and dequantize(quantize(x)) close to x.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "kernels/test_reference.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

using test::random_vector;

// Inputs with the edge cases of a block: all zero, ties at .5, one large value.
std::vector<float> inputs() {
  auto x = random_vector(32 * 64, 11, -3.f, 3.f);
  for (int j = 0; j < 32; ++j) x[j] = 0.f;                          // block 0: zeros
  for (int j = 0; j < 32; ++j) x[32 + j] = (j - 16) * 0.5f;         // block 1: halves
  x[64 + 5] = 100.f;                                                // block 2: one outlier
  for (int j = 0; j < 32; ++j) x[96 + j] = -static_cast<float>(j);  // block 3: negative max
  return x;
}

TEST(Quantize, Q8_0IsGgmlsReferenceBlockForBlock) {
  const auto x = inputs();
  const std::int64_t n = static_cast<std::int64_t>(x.size());
  std::vector<std::uint8_t> q(row_bytes(WeightType::Q8_0, n));
  quantize(x.data(), WeightType::Q8_0, n, q.data());
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::uint8_t* blk = q.data() + b * 34;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    const float d = amax / 127;
    const float id = d ? 1.0f / d : 0.0f;
    std::uint16_t dh;
    std::memcpy(&dh, blk, 2);
    ASSERT_EQ(dh, detail::f32_to_f16(d)) << b;
    for (int j = 0; j < 32; ++j)
      ASSERT_EQ(static_cast<std::int8_t>(blk[2 + j]), static_cast<std::int8_t>(std::roundf(x[b * 32 + j] * id)))
          << b << " " << j;
  }
  std::vector<float> back(x.size());
  to_f32(q.data(), WeightType::Q8_0, n, back.data());
  for (std::int64_t b = 0; b < n / 32; ++b) {  // within a step (amax / 127) of each value
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(back[b * 32 + j] - x[b * 32 + j]), amax / 127) << b;
  }
}

TEST(Quantize, Q4_0IsGgmlsReferenceBlockForBlock) {
  const auto x = inputs();
  const std::int64_t n = static_cast<std::int64_t>(x.size());
  std::vector<std::uint8_t> q(row_bytes(WeightType::Q4_0, n));
  quantize(x.data(), WeightType::Q4_0, n, q.data());
  for (std::int64_t b = 0; b < n / 32; ++b) {
    const std::uint8_t* blk = q.data() + b * 18;
    float amax = 0, max = 0;
    for (int j = 0; j < 32; ++j)
      if (amax < std::fabs(x[b * 32 + j])) amax = std::fabs(x[b * 32 + j]), max = x[b * 32 + j];
    const float d = max / -8;
    const float id = d ? 1.0f / d : 0.0f;
    std::uint16_t dh;
    std::memcpy(&dh, blk, 2);
    ASSERT_EQ(dh, detail::f32_to_f16(d)) << b;
    for (int j = 0; j < 16; ++j) {
      const int lo = std::min(15, static_cast<int>(static_cast<std::int8_t>(x[b * 32 + j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<std::int8_t>(x[b * 32 + 16 + j] * id + 8.5f)));
      ASSERT_EQ(blk[2 + j], lo | (hi << 4)) << b << " " << j;
    }
  }
  std::vector<float> back(x.size());
  to_f32(q.data(), WeightType::Q4_0, n, back.data());
  for (std::int64_t b = 0; b < n / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
    for (int j = 0; j < 32; ++j) EXPECT_LE(std::fabs(back[b * 32 + j] - x[b * 32 + j]), amax / 8 + 1e-6f) << b;
  }
}

TEST(Quantize, OnlyWholeBlocksOfQ8_0OrQ4_0) {
  std::vector<float> x(40, 1.f);
  std::vector<std::uint8_t> q(64);
  EXPECT_THROW(quantize(x.data(), WeightType::Q8_0, 40, q.data()), Error);
  EXPECT_THROW(quantize(x.data(), WeightType::Q6_K, 32, q.data()), Error);
}

}  // namespace
}  // namespace qwen3::kernels
