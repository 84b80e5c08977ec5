// Products with quantized weights against the dequantized weights times the
// float activations: the only difference allowed is the rounding of the
// activations to int8 blocks (about 1/254 of each block's largest value), for
// decode, batches, the row gather and every thread split.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <span>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "kernels/quant.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

// Random blocks of `type` with small finite scales (random bytes elsewhere).
std::vector<std::uint8_t> random_matrix(WeightType type, std::int64_t rows, std::int64_t cols, std::mt19937& rng) {
  std::vector<std::uint8_t> m(static_cast<std::size_t>(rows * row_bytes(type, cols)));
  for (auto& b : m) b = static_cast<std::uint8_t>(rng());
  const int bb = block_bytes(type);
  std::uniform_real_distribution<float> scale(0.001f, 0.02f);
  for (std::size_t at = 0; at < m.size(); at += bb) {
    const auto set = [&](std::size_t off) {
      const std::uint16_t h = detail::f32_to_f16(scale(rng));
      std::memcpy(&m[at + off], &h, 2);
    };
    switch (type) {
      case WeightType::Q8_0:
      case WeightType::Q4_0:
        set(0);
        break;
      case WeightType::Q4_K:
      case WeightType::Q5_K:
        set(0);
        set(2);
        break;
      case WeightType::Q6_K:
        set(208);
        break;
      default:
        break;
    }
  }
  return m;
}

class QuantMatmul : public ::testing::TestWithParam<WeightType> {};

// m packed at load (kernels::repack) into store, where its type has that
// layout in this build; else m itself.
struct alignas(64) Line {
  std::uint8_t bytes[64];
};
Matrix packed_or_rows(const Matrix& m, std::vector<Line>& store) {
  store.resize(static_cast<std::size_t>(packed_bytes(m) / 64));
  return store.empty() ? m : repack(m, store.data());
}

// Row lengths: 16 blocks of 32 (two super-blocks of 256), and ones that end
// in a part group (the Q4_0 kernel takes 4 blocks at a time: 5, 6 and 7
// blocks leave 1, 2 and 3; 3 super-blocks).
std::vector<std::int64_t> row_lengths(WeightType type) {
  if (block_elements(type) == 32) return {512, 160, 192, 224};
  return {512, 768};
}

void matches_dequantized(WeightType type, std::int64_t cols) {
  std::mt19937 rng(42);
  const std::int64_t rows = 70;
  const auto w = random_matrix(type, rows, cols, rng);
  const Matrix m{w.data(), type, rows, cols};
  std::vector<float> dense(rows * cols);
  to_f32(w.data(), type, rows * cols, dense.data());
  std::vector<Line> store;
  const Matrix packed = packed_or_rows(m, store);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (int batch : {1, 3, 17}) {
      std::vector<float> x(batch * cols), y(batch * rows), from_packed(batch * rows);
      for (auto& v : x) v = normal(rng);
      matmul(m, x.data(), batch, y.data());
      matmul(packed, x.data(), batch, from_packed.data());
      for (int b = 0; b < batch; ++b)
        for (std::int64_t r = 0; r < rows; ++r) {
          double ref = 0, scale = 0;
          for (std::int64_t c = 0; c < cols; ++c) {
            ref += static_cast<double>(dense[r * cols + c]) * x[b * cols + c];
            scale += std::abs(dense[r * cols + c] * x[b * cols + c]);
          }
          EXPECT_NEAR(y[b * rows + r], ref, 0.01 * scale + 1e-5)
              << weight_type_name(type) << " cols " << cols << " batch " << batch << " row " << r;
          EXPECT_NEAR(from_packed[b * rows + r], ref, 0.01 * scale + 1e-5)
              << weight_type_name(type) << " packed, cols " << cols << " batch " << batch << " row " << r;
        }
      // The row gather (English-only decoding) gives the same values.
      const std::vector<std::int32_t> pick = {69, 0, 17, 17, 33};
      std::vector<float> some(batch * pick.size());
      matmul_rows(m, pick.data(), static_cast<int>(pick.size()), x.data(), batch, some.data());
      for (int b = 0; b < batch; ++b)
        for (std::size_t i = 0; i < pick.size(); ++i)
          EXPECT_EQ(some[b * pick.size() + i], y[b * rows + pick[i]]) << weight_type_name(type) << " gather " << i;
    }
  }
}

TEST_P(QuantMatmul, MatchesDequantizedWeightsUpToActivationRounding) {
  for (const std::int64_t cols : row_lengths(GetParam())) matches_dequantized(GetParam(), cols);
}

// Batch invariance on quantized weights: a token's products are the same bits
// whatever the batch it is in (decode runs 4-row tiles, batches 2 rows x up
// to 4 tokens), its place in the batch, the thread count and the row list.
void same_bits_for_any_batch(WeightType type, std::int64_t cols) {
  std::mt19937 rng(7);
  const std::int64_t rows = 133;  // not a multiple of any tile
  const auto w = random_matrix(type, rows, cols, rng);
  const Matrix m{w.data(), type, rows, cols};
  constexpr int kTokens = 27;  // batches of 16 and more take the panels (quant_panels.h)
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(kTokens * cols), alone(kTokens * rows);
  for (auto& v : x) v = normal(rng);
  const int saved = num_threads();
  set_num_threads(1);
  for (int t = 0; t < kTokens; ++t) matmul(m, &x[t * cols], 1, &alone[t * rows]);
  std::vector<std::int32_t> list;
  for (int i = rows - 1; i >= 0; i -= 5) list.push_back(i);
  list.push_back(2);
  // Packed at load where the type has that layout (the last panel part
  // full): Q4_K's and Q6_K's panels keep the rows' bits; Q4_0's sum blocks in order
  // (the portable product's bits), so they are checked against themselves.
  std::vector<Line> store;
  const Matrix packed = packed_or_rows(m, store);
  std::vector<float> packed_alone(alone);
  if (type == WeightType::Q4_0 && packed.packed)
    for (int t = 0; t < kTokens; ++t) matmul(packed, &x[t * cols], 1, &packed_alone[t * rows]);
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int batch : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 27}) {
      const int first = kTokens - batch;
      std::vector<float> y(batch * rows), some(batch * list.size());
      std::vector<float> from_packed(batch * rows);
      matmul(m, &x[first * cols], batch, y.data());
      matmul(packed, &x[first * cols], batch, from_packed.data());
      matmul_rows(m, list.data(), static_cast<int>(list.size()), &x[first * cols], batch, some.data());
      for (int b = 0; b < batch; ++b) {
        for (std::int64_t r = 0; r < rows; ++r) {
          ASSERT_EQ(std::memcmp(&y[b * rows + r], &alone[(first + b) * rows + r], 4), 0)
              << weight_type_name(type) << " cols " << cols << " row " << r << " token " << first + b << " batch "
              << batch << ", " << threads << " threads";
          ASSERT_EQ(std::memcmp(&from_packed[b * rows + r], &packed_alone[(first + b) * rows + r], 4), 0)
              << weight_type_name(type) << " packed, cols " << cols << " row " << r << " token " << first + b
              << " batch " << batch << ", " << threads << " threads";
        }
        for (std::size_t i = 0; i < list.size(); ++i)
          ASSERT_EQ(std::memcmp(&some[b * list.size() + i], &alone[(first + b) * rows + list[i]], 4), 0)
              << weight_type_name(type) << " listed row " << list[i] << " batch " << batch;
      }
    }
  }
  // Decode over a packed matrix: the same bits in every order it can be read.
  const DecodeSchedule saved_schedule = decode_schedule();
  for (const DecodeSchedule schedule : decode_schedules())
    for (int threads : {1, 2}) {
      set_decode_schedule(schedule);
      set_num_threads(threads);
      std::vector<float> y(rows);
      for (int t = 0; t < kTokens; ++t) {
        matmul(packed, &x[t * cols], 1, y.data());
        ASSERT_EQ(std::memcmp(y.data(), &packed_alone[t * rows], rows * 4), 0)
            << weight_type_name(type) << " cols " << cols << " token " << t << ", " << describe(schedule) << ", "
            << threads << " threads";
      }
    }
  set_decode_schedule(saved_schedule);
  set_num_threads(saved);
}

TEST_P(QuantMatmul, SameBitsForAnyBatchRowListAndThreads) {
  for (const std::int64_t cols : row_lengths(GetParam())) same_bits_for_any_batch(GetParam(), cols);
}

// A packed matrix is read whole: a row list on it is an error, not a wrong
// product; repacking one again is refused too.
TEST_P(QuantMatmul, PackedMatricesRefuseRowLists) {
  std::mt19937 rng(3);
  const std::int64_t rows = 40, cols = row_lengths(GetParam())[0];
  const auto w = random_matrix(GetParam(), rows, cols, rng);
  const Matrix m{w.data(), GetParam(), rows, cols};
  if (packed_bytes(m) == 0) GTEST_SKIP() << weight_type_name(GetParam()) << " has no packed layout in this build";
  std::vector<Line> store;
  const Matrix packed = packed_or_rows(m, store);
  EXPECT_TRUE(packed.packed);
  EXPECT_EQ(packed_bytes(packed), 0);
  std::vector<float> x(cols, 0.5f), y(2);
  const std::int32_t list[] = {3, 1};
  EXPECT_THROW(matmul_rows(packed, list, 2, x.data(), 1, y.data()), Error);
  EXPECT_THROW(repack(packed, store.data()), Error);
}

// The decode schedules: only those offered are accepted, and the measurement
// sets the one it found fastest and reports one rate per schedule.
TEST(DecodeSchedule, AcceptsOnlyWhatItOffersAndTuningPicksOne) {
  const DecodeSchedule saved = decode_schedule();
  EXPECT_THROW(set_decode_schedule({3, 0}), Error);
  EXPECT_THROW(set_decode_schedule({1, -64}), Error);
  EXPECT_THROW(set_decode_schedule({4, 1 << 20}), Error);
  EXPECT_EQ(decode_schedule(), saved);
  ASSERT_GE(decode_schedules().size(), 2u);
  for (const DecodeSchedule s : decode_schedules()) {
    set_decode_schedule(s);
    EXPECT_EQ(decode_schedule(), s);
    EXPECT_FALSE(describe(s).empty());
  }
  EXPECT_NE(describe(decode_schedules()[0]), describe(decode_schedules()[1]));

  std::mt19937 rng(5);
  const std::int64_t rows = 256, cols = 512;
  const auto w = random_matrix(WeightType::Q4_K, rows, cols, rng);
  const Matrix m{w.data(), WeightType::Q4_K, rows, cols};
  EXPECT_TRUE(tune_decode_schedule(std::span(&m, 1)).empty()) << "nothing packed: nothing to measure";
  EXPECT_THROW(tune_decode_schedule(std::span(&m, 1), 0), Error);
  std::vector<Line> store;
  const Matrix packed = packed_or_rows(m, store);
  if (!packed.packed) GTEST_SKIP() << "no packed layout in this build";
  const Matrix both[] = {m, packed};
  const std::vector<double> rates = tune_decode_schedule(both, 3);
  ASSERT_EQ(rates.size(), decode_schedules().size());
  std::size_t fastest = 0;
  for (std::size_t i = 0; i < rates.size(); ++i) {
    EXPECT_GT(rates[i], 0.0);
    if (rates[i] > rates[fastest]) fastest = i;
  }
  EXPECT_EQ(decode_schedule(), decode_schedules()[fastest]);
  set_decode_schedule(saved);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantMatmul,
                         ::testing::Values(WeightType::Q8_0, WeightType::Q4_0, WeightType::Q4_K, WeightType::Q5_K,
                                           WeightType::Q6_K),
                         [](const auto& info) { return std::string(weight_type_name(info.param)); });

TEST(QuantActs, RoundLikeGgml) {
  // Q8_0: d = fp16(amax / 127); values x * 127 / amax rounded half to even.
  std::vector<float> x(32, 0.f);
  x[0] = 127.f;
  x[1] = 0.5f;
  x[2] = 1.5f;
  x[3] = -2.5f;
  detail::QuantizedActs a;
  detail::quantize_acts_q8_0(x.data(), 1, 32, a);
  EXPECT_EQ(a.d[0], 1.f);
  EXPECT_EQ(a.qs[0], 127);
  EXPECT_EQ(a.qs[1], 0);
  EXPECT_EQ(a.qs[2], 2);
  EXPECT_EQ(a.qs[3], -2);
  // Q8_K: the scale from the signed extreme, -127 / max; groups of 16 summed.
  std::vector<float> k(256, 0.f);
  k[5] = -254.f;
  k[20] = 3.f;
  detail::quantize_acts_q8_k(k.data(), 1, 256, a);
  EXPECT_EQ(a.qs[5], -127);
  EXPECT_EQ(a.qs[20], 2);  // 3 * 0.5 = 1.5 -> 2 (ties to even)
  EXPECT_EQ(a.sums[0], -127);
  EXPECT_EQ(a.sums[1], 2);
  EXPECT_FLOAT_EQ(a.d[0], 2.f);
}

}  // namespace
}  // namespace qwen3::kernels
