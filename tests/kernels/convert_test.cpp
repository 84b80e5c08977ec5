// Dtype conversion: exact known encodings (including f16 subnormals, signed
// zero and infinities) and embedding rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "qwen3/error.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

TEST(Convert, F16KnownValues) {
  const std::uint16_t bits[] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x0400, 0x7bff, 0x7c00, 0xfc00, 0x8000, 0x3555};
  const double want[] = {
      1.0,       -2.0, std::ldexp(1.0, -24), std::ldexp(1023.0, -24), std::ldexp(1.0, -14), 65504.0, INFINITY,
      -INFINITY, -0.0, 0.333251953125};
  float out[10];
  to_f32(bits, WeightType::F16, 10, out);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(out[i], want[i]) << i;
  EXPECT_TRUE(std::signbit(out[8]));
  const std::uint16_t nan = 0x7e00;
  to_f32(&nan, WeightType::F16, 1, out);
  EXPECT_TRUE(std::isnan(out[0]));
}

TEST(Convert, Bf16KnownValues) {
  const std::uint16_t bits[] = {0x3f80, 0xc000, 0x0001, 0x7f7f, 0x7f80, 0xff80, 0x8000, 0x3eab};
  const double want[] = {1.0,  -2.0,       std::ldexp(1.0, -133), 3.3895313892515355e38, INFINITY, -INFINITY,
                         -0.0, 0.333984375};
  float out[8];
  to_f32(bits, WeightType::BF16, 8, out);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], want[i]) << i;
}

TEST(Convert, LongVectorsMatchDecoding) {
  for (auto type : {WeightType::F32, WeightType::BF16, WeightType::F16})
    for (int n : {1, 7, 16, 33, 1000}) {
      const auto m = test::random_matrix(type, 1, n, n);
      std::vector<float> out(n);
      to_f32(m.storage.data(), type, n, out.data());
      for (int i = 0; i < n; ++i) ASSERT_EQ(out[i], m.values[i]) << i;
    }
}

// The vectorised rounding of a row of activations to bf16 gives the scalar
// rounding's bits for every kind of value: ties to even both ways, values
// that round up into the next binade or to infinity, subnormals, signed
// zeros, infinities and NaNs (kept quiet), at every position of a vector and
// in the scalar tail.
TEST(Convert, Bf16RowRoundsAsTheScalar) {
  const std::uint32_t special[] = {0x3f808000u, 0x3f818000u, 0x3f80ffffu, 0x3fffffffu, 0x7f7fffffu, 0x7f7f8000u,
                                   0x00000001u, 0x807fffffu, 0x00008000u, 0x80000000u, 0x00000000u, 0x7f800000u,
                                   0xff800000u, 0x7f800001u, 0xffc00000u, 0x7fbfffffu, 0x3eaaaaabu};
  std::vector<float> in;
  for (int rep = 0; rep < 5; ++rep)
    for (std::uint32_t bits : special) {
      float f;
      std::memcpy(&f, &bits, 4);
      in.push_back(f);
    }
  std::uint32_t z = 12345;
  for (int i = 0; i < 1000; ++i) {
    z = z * 1664525u + 1013904223u;
    float f;
    std::memcpy(&f, &z, 4);
    in.push_back(f);
  }
  std::vector<std::uint16_t> out(in.size());
  detail::f32_to_bf16_row(in.data(), static_cast<std::int64_t>(in.size()), out.data());
  for (std::size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], detail::f32_to_bf16(in[i])) << "element " << i;
}

TEST(Convert, EmbeddingRowPicksTheRow) {
  for (auto type : {WeightType::F32, WeightType::BF16, WeightType::F16}) {
    const auto m = test::random_matrix(type, 9, 37, 3);
    std::vector<float> out(37);
    for (int r : {0, 4, 8}) {
      embedding_row(m.view(), r, out.data());
      for (int c = 0; c < 37; ++c) ASSERT_EQ(out[c], m.values[r * 37 + c]);
    }
    EXPECT_THROW(embedding_row(m.view(), 9, out.data()), Error);
    EXPECT_THROW(embedding_row(m.view(), -1, out.data()), Error);
  }
}

TEST(Convert, RejectsBadArguments) {
  float out[1];
  EXPECT_THROW(to_f32(nullptr, WeightType::BF16, 1, out), Error);
  EXPECT_THROW(to_f32(out, WeightType::F32, -1, out), Error);
  EXPECT_THROW(to_f32(out, static_cast<WeightType>(7), 1, out), Error);
  EXPECT_NO_THROW(to_f32(nullptr, WeightType::BF16, 0, nullptr));
  Matrix empty{nullptr, WeightType::F32, 1, 1};
  EXPECT_THROW(embedding_row(empty, 0, out), Error);
}

}  // namespace
}  // namespace qwen3::kernels
