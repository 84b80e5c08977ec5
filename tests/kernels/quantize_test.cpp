// kernels::quantize: Q8_0 and Q4_0 blocks exactly as ggml's reference
// quantizers make them (llama-quantize's), each block checked against the
// formula written out here, and dequantize(quantize(x)) close to x.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

// Q4_K and Q6_K (llama-quantize's, byte for byte against the fixture files in
// tests/engine/quantize_test.cpp): what they keep of the values, and the
// edge cases of a super-block.
TEST(Quantize, KQuantsKeepTheValuesToTheirPrecision) {
  auto x = random_vector(256 * 16, 5, -3.f, 3.f);
  for (int j = 0; j < 256; ++j) x[j] = 0.f;  // super-block 0: zeros
  x[256 + 7] = 100.f;                        // super-block 1: one outlier
  double rms = 0;
  for (float v : x) rms += static_cast<double>(v) * v;
  rms = std::sqrt(rms / x.size());
  for (const auto& [type, bound] : {std::pair{WeightType::Q4_K, 0.1}, {WeightType::Q6_K, 0.03}}) {
    std::vector<std::uint8_t> q(row_bytes(type, static_cast<std::int64_t>(x.size())));
    quantize(x.data(), type, static_cast<std::int64_t>(x.size()), q.data());
    std::vector<float> back(x.size());
    to_f32(q.data(), type, static_cast<std::int64_t>(x.size()), back.data());
    for (int j = 0; j < 256; ++j) ASSERT_EQ(back[j], 0.f) << weight_type_name(type);
    double err = 0;
    for (std::size_t i = 512; i < x.size(); ++i) err += static_cast<double>(back[i] - x[i]) * (back[i] - x[i]);
    err = std::sqrt(err / (x.size() - 512)) / rms;
    std::printf("[ %s ] RMS error %.4f of the values' RMS\n", weight_type_name(type), err);
    EXPECT_LT(err, bound) << weight_type_name(type);
    EXPECT_GT(err, 0) << weight_type_name(type);
    EXPECT_NEAR(back[256 + 7], 100.f, 100.f * bound) << weight_type_name(type);
    EXPECT_EQ(first_nonfinite_scale(q.data(), type, static_cast<std::int64_t>(x.size()) / 256), -1);
  }
  std::vector<float> all_zero(256, 0.f);
  std::vector<std::uint8_t> q6(row_bytes(WeightType::Q6_K, 256), 0xAB);
  quantize(all_zero.data(), WeightType::Q6_K, 256, q6.data());
  EXPECT_TRUE(std::all_of(q6.begin(), q6.end(), [](std::uint8_t b) { return b == 0; }));  // ggml stores zeros
}

TEST(Quantize, ANonFiniteScaleIsFoundInEveryQuantizedType) {
  for (WeightType type : {WeightType::Q8_0, WeightType::Q4_0, WeightType::Q4_K, WeightType::Q5_K, WeightType::Q6_K}) {
    const int blocks = 8, bytes = block_bytes(type);
    std::vector<std::uint8_t> data(static_cast<std::size_t>(blocks) * bytes, 0x11);
    EXPECT_EQ(first_nonfinite_scale(data.data(), type, blocks), -1) << weight_type_name(type);
    // Every f16 in block 5 made NaN: whichever holds a scale, it is found.
    for (int b = 0; b + 1 < bytes; b += 2) {
      data[5 * bytes + b] = 0x00;
      data[5 * bytes + b + 1] = 0x7e;
    }
    EXPECT_EQ(first_nonfinite_scale(data.data(), type, blocks), 5) << weight_type_name(type);
  }
  EXPECT_EQ(first_nonfinite_scale(nullptr, WeightType::BF16, 0), -1);
}

}  // namespace
}  // namespace qwen3::kernels
