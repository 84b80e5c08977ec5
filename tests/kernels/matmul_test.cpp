// matmul and matmul_rows against a float64 reference, for every weight dtype,
// odd and aligned shapes, decode (batch 1) and prefill (batch > 1) batches.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <tuple>

#include "kernels/kernels.h"
#include "qwen3/error.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

using test::random_matrix;
using test::random_vector;
using test::reference_matmul;

// float32 accumulation of `cols` products: the error is a small multiple of
// 2^-24 times the sum of the magnitudes of the products.
constexpr double kRelTol = 2e-6;

std::string type_label(WeightType t) { return t == WeightType::F32 ? "F32" : t == WeightType::BF16 ? "BF16" : "F16"; }

void expect_close(const test::Reference& ref, const std::vector<float>& y, const std::string& what) {
  ASSERT_EQ(ref.y.size(), y.size()) << what;
  for (std::size_t i = 0; i < y.size(); ++i)
    ASSERT_NEAR(y[i], ref.y[i], kRelTol * ref.magnitude[i] + 1e-30) << what << " at output " << i;
}

class MatmulShapes : public ::testing::TestWithParam<WeightType> {};

TEST_P(MatmulShapes, MatchesFloat64Reference) {
  const WeightType type = GetParam();
  const std::vector<std::tuple<int, int>> shapes = {{1, 1},    {1, 17},    {3, 7},      {16, 16},   {17, 33},
                                                    {64, 128}, {100, 257}, {257, 1000}, {33, 2560}, {131, 64}};
  std::uint32_t seed = 1;
  for (auto [rows, cols] : shapes) {
    const auto w = random_matrix(type, rows, cols, seed++);
    std::vector<std::int32_t> all(rows);
    std::iota(all.begin(), all.end(), 0);
    for (int batch : {1, 2, 3, 8, 13, 40})
      for (bool invariant : {true, false}) {  // the tile kernel, and the blocked prefill kernel
        set_batch_invariant(invariant);
        const auto x = random_vector(static_cast<std::int64_t>(batch) * cols, seed++);
        std::vector<float> y(static_cast<std::size_t>(batch) * rows, -1.f);
        matmul(w.view(), x.data(), batch, y.data());
        set_batch_invariant(true);
        expect_close(reference_matmul(w, all, x, batch), y,
                     type_label(type) + " [" + std::to_string(rows) + "x" + std::to_string(cols) + "] batch " +
                         std::to_string(batch) + (invariant ? "" : " not invariant"));
      }
  }
}

TEST_P(MatmulShapes, RowsSubsetMatchesReference) {
  const WeightType type = GetParam();
  const int rows = 301, cols = 193;
  const auto w = random_matrix(type, rows, cols, 77);
  // Unsorted, repeated, first and last row, and a single row.
  const std::vector<std::vector<std::int32_t>> lists = {{0}, {300}, {5, 3, 5, 299, 0, 150, 151, 152, 7}, {}, {}};
  auto many = std::vector<std::int32_t>();
  for (int i = rows - 1; i >= 0; i -= 3) many.push_back(i);
  for (auto list : {lists[0], lists[1], lists[2], many}) {
    for (int batch : {1, 4, 19}) {
      const auto x = random_vector(static_cast<std::int64_t>(batch) * cols, 100 + batch);
      std::vector<float> y(list.size() * batch, -1.f);
      matmul_rows(w.view(), list.data(), static_cast<int>(list.size()), x.data(), batch, y.data());
      expect_close(reference_matmul(w, list, x, batch), y,
                   type_label(type) + " rows " + std::to_string(list.size()) + " batch " + std::to_string(batch));
    }
  }
}

TEST_P(MatmulShapes, SameResultForAnyThreadCount) {
  const WeightType type = GetParam();
  const auto w = random_matrix(type, 517, 300, 5);
  const auto x = random_vector(300 * 9, 6);
  std::vector<std::int32_t> all(517);
  std::iota(all.begin(), all.end(), 0);
  const auto ref = reference_matmul(w, all, x, 9);
  const int saved = num_threads();
  for (int threads : {1, 2, 3, 7}) {
    set_num_threads(threads);
    EXPECT_EQ(num_threads(), threads);
    for (int batch : {1, 9}) {
      std::vector<float> y(517 * batch);
      matmul(w.view(), x.data(), batch, y.data());
      if (batch == 9)
        expect_close(ref, y, "threads " + std::to_string(threads));
      else
        for (int i = 0; i < 517; ++i) ASSERT_NEAR(y[i], ref.y[i], kRelTol * ref.magnitude[i]) << threads;
    }
  }
  set_num_threads(saved);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulShapes, ::testing::Values(WeightType::F32, WeightType::BF16, WeightType::F16),
                         [](const auto& info) { return type_label(info.param); });

TEST(Matmul, RejectsBadArguments) {
  const auto w = random_matrix(WeightType::BF16, 4, 8, 1);
  const auto x = random_vector(8, 2);
  std::vector<float> y(4);
  Matrix m = w.view();
  EXPECT_THROW(matmul(m, x.data(), 0, y.data()), Error);
  EXPECT_THROW(matmul(m, nullptr, 1, y.data()), Error);
  EXPECT_THROW(matmul(m, x.data(), 1, nullptr), Error);
  Matrix empty = m;
  empty.data = nullptr;
  EXPECT_THROW(matmul(empty, x.data(), 1, y.data()), Error);
  Matrix no_rows = m;
  no_rows.rows = 0;
  EXPECT_THROW(matmul(no_rows, x.data(), 1, y.data()), Error);
  Matrix negative_cols = m;
  negative_cols.cols = -3;
  EXPECT_THROW(matmul(negative_cols, x.data(), 1, y.data()), Error);
  Matrix bad_type = m;
  bad_type.type = static_cast<WeightType>(99);
  EXPECT_THROW(matmul(bad_type, x.data(), 1, y.data()), Error);

  const std::int32_t out_of_range[] = {0, 4};
  const std::int32_t negative[] = {-1};
  EXPECT_THROW(matmul_rows(m, out_of_range, 2, x.data(), 1, y.data()), Error);
  EXPECT_THROW(matmul_rows(m, negative, 1, x.data(), 1, y.data()), Error);
  EXPECT_THROW(matmul_rows(m, out_of_range, -1, x.data(), 1, y.data()), Error);
  EXPECT_THROW(matmul_rows(m, nullptr, 1, x.data(), 1, y.data()), Error);
  EXPECT_NO_THROW(matmul_rows(m, nullptr, 0, x.data(), 1, y.data()));

  EXPECT_THROW(set_num_threads(0), Error);
  EXPECT_THROW(set_num_threads(-2), Error);
}

TEST(Matmul, ErrorNamesTheParameter) {
  const auto w = random_matrix(WeightType::F32, 4, 8, 1);
  const auto x = random_vector(8, 2);
  std::vector<float> y(1);
  const std::int32_t rows[] = {9};
  try {
    matmul_rows(w.view(), rows, 1, x.data(), 1, y.data());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("rows[0] = 9"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace qwen3::kernels

namespace qwen3::kernels {
namespace {

// Round-to-nearest-even to bf16, written independently of the kernels.
float round_to_bf16(float f) {
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  const std::uint32_t lsb = (bits >> 16) & 1u;
  bits = (bits + 0x7fffu + lsb) & 0xffff0000u;
  std::memcpy(&f, &bits, 4);
  return f;
}

class Bf16ActivationsMode : public ::testing::Test {
 protected:
  void SetUp() override { set_matmul_precision(MatmulPrecision::Bf16Activations); }
  void TearDown() override { set_matmul_precision(MatmulPrecision::Exact); }
};

TEST_F(Bf16ActivationsMode, EqualsExactProductOfRoundedActivations) {
  EXPECT_EQ(matmul_precision(), MatmulPrecision::Bf16Activations);
  std::uint32_t seed = 900;
  for (auto [rows, cols] : std::vector<std::tuple<int, int>>{{1, 1}, {5, 3}, {33, 65}, {64, 2560}, {100, 513}}) {
    const auto w = test::random_matrix(WeightType::BF16, rows, cols, seed++);
    std::vector<std::int32_t> all(rows);
    std::iota(all.begin(), all.end(), 0);
    for (int batch : {1, 4, 12, 13, 30})
      for (bool invariant : {true, false}) {
        set_batch_invariant(invariant);
        const auto x = test::random_vector(static_cast<std::int64_t>(batch) * cols, seed++);
        auto xr = x;
        for (auto& v : xr) v = round_to_bf16(v);
        std::vector<float> y(static_cast<std::size_t>(batch) * rows);
        matmul(w.view(), x.data(), batch, y.data());
        set_batch_invariant(true);
        const std::string what = "[" + std::to_string(rows) + "x" + std::to_string(cols) + "] batch " +
                                 std::to_string(batch) + (invariant ? "" : " not invariant");
        // Exactly the products of bf16 values, summed in f32...
        expect_close(test::reference_matmul(w, all, xr, batch), y, what);
        // ...which is within bf16 rounding (2^-9 relative) of the f32-activation result.
        const auto exact = test::reference_matmul(w, all, x, batch);
        for (std::size_t i = 0; i < y.size(); ++i)
          ASSERT_NEAR(y[i], exact.y[i], std::ldexp(1.0, -8) * exact.magnitude[i]) << what;
      }
  }
}

TEST_F(Bf16ActivationsMode, RoundsEveryBatchOfBf16WeightsAndLeavesOtherDtypesExact) {
  // Decode rounds the activations too: a token's result must not depend on
  // the batch it is computed in (batch_invariance_test.cpp).
  for (auto type : {WeightType::BF16, WeightType::F32, WeightType::F16})
    for (int batch : {1, 3, 8}) {
      const auto w = test::random_matrix(type, 40, 300, 5);
      const auto x = test::random_vector(300 * batch, 6);
      auto xr = x;
      if (type == WeightType::BF16)
        for (auto& v : xr) v = round_to_bf16(v);
      std::vector<std::int32_t> all(40);
      std::iota(all.begin(), all.end(), 0);
      std::vector<float> y(40 * batch);
      matmul(w.view(), x.data(), batch, y.data());
      expect_close(test::reference_matmul(w, all, xr, batch), y, type_label(type) + " batch " + std::to_string(batch));
    }
}

TEST_F(Bf16ActivationsMode, RowsSubsetMatchesRoundedReference) {
  const auto w = test::random_matrix(WeightType::BF16, 200, 129, 31);
  const std::vector<std::int32_t> rows = {199, 0, 17, 17, 100, 3, 150};
  const auto x = test::random_vector(129 * 9, 32);
  auto xr = x;
  for (auto& v : xr) v = round_to_bf16(v);
  std::vector<float> y(rows.size() * 9);
  matmul_rows(w.view(), rows.data(), static_cast<int>(rows.size()), x.data(), 9, y.data());
  expect_close(test::reference_matmul(w, rows, xr, 9), y, "rows");
}

TEST(MatmulPrecisionSetting, RejectsUnknownValue) {
  EXPECT_THROW(set_matmul_precision(static_cast<MatmulPrecision>(5)), Error);
  EXPECT_EQ(matmul_precision(), MatmulPrecision::Exact);
}

}  // namespace
}  // namespace qwen3::kernels
