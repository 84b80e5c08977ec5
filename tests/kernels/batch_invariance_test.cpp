// Batch invariance: a token's result is the same bits whatever the batch it
// is multiplied in (1..8 and prefill-sized batches), its place in the batch,
// the thread count, and whether all rows or a list of rows are computed, for
// every weight dtype and both precisions. This is what makes a prompt
// prefilled at once, in chunks or token by token give identical logits.
#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

struct Case {
  WeightType type;
  MatmulPrecision precision;
};

class BatchInvariance : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { set_matmul_precision(GetParam().precision); }
  void TearDown() override {
    set_matmul_precision(MatmulPrecision::Exact);
    set_num_threads(saved_threads_);
  }
  const int saved_threads_ = num_threads();
};

std::string label(const Case& c) {
  const std::string t = c.type == WeightType::F32 ? "F32" : c.type == WeightType::BF16 ? "BF16" : "F16";
  return t + (c.precision == MatmulPrecision::Exact ? "_Exact" : "_Bf16Activations");
}

// y of each token computed alone, on one thread.
std::vector<float> one_at_a_time(const Matrix& w, const std::vector<float>& x, int tokens) {
  set_num_threads(1);
  std::vector<float> y(static_cast<std::size_t>(tokens) * w.rows);
  for (int t = 0; t < tokens; ++t)
    matmul(w, &x[static_cast<std::size_t>(t) * w.cols], 1, &y[static_cast<std::size_t>(t) * w.rows]);
  return y;
}

void expect_same_bits(const float* want, const float* got, std::size_t n, const std::string& what) {
  for (std::size_t i = 0; i < n; ++i)
    ASSERT_EQ(std::memcmp(&want[i], &got[i], sizeof(float)), 0)
        << what << ": element " << i << " is " << got[i] << ", alone " << want[i];
}

TEST_P(BatchInvariance, SameBitsForAnyBatchOffsetAndThreads) {
  // Rows not a multiple of the 4-row tile nor of the 64-row block; k with a
  // partial last step and, at 1100, several k passes of the prefill blocking.
  const std::vector<std::tuple<int, int>> shapes = {{133, 1100}, {70, 64}, {5, 17}};
  std::uint32_t seed = 40;
  for (auto [rows, cols] : shapes) {
    const auto w = test::random_matrix(GetParam().type, rows, cols, seed++);
    constexpr int kTokens = 110;  // more than two 48-token prefill blocks
    const auto x = test::random_vector(static_cast<std::int64_t>(kTokens) * cols, seed++);
    const auto alone = one_at_a_time(w.view(), x, kTokens);
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      for (int batch : {1, 2, 3, 4, 5, 6, 7, 8, 13, 24, 25, 50, kTokens})
        for (int first : {0, kTokens - batch, (kTokens - batch) / 3}) {
          std::vector<float> y(static_cast<std::size_t>(batch) * rows);
          matmul(w.view(), &x[static_cast<std::size_t>(first) * cols], batch, y.data());
          expect_same_bits(&alone[static_cast<std::size_t>(first) * rows], y.data(), y.size(),
                           (::testing::Message() << "[" << rows << "x" << cols << "] batch " << batch << " from token "
                                                 << first << ", " << threads << " threads")
                               .GetString());
        }
    }
  }
}

TEST_P(BatchInvariance, RowListGivesTheSameBitsAsAllRows) {
  const int rows = 150, cols = 600, batch = 20;
  const auto w = test::random_matrix(GetParam().type, rows, cols, 7);
  const auto x = test::random_vector(static_cast<std::int64_t>(batch) * cols, 8);
  const auto alone = one_at_a_time(w.view(), x, batch);
  std::vector<std::int32_t> list;
  for (int i = rows - 1; i >= 0; i -= 7) list.push_back(i);
  list.push_back(3);
  for (int threads : {1, 2})
    for (int b : {1, 3, batch}) {
      set_num_threads(threads);
      std::vector<float> y(list.size() * b);
      matmul_rows(w.view(), list.data(), static_cast<int>(list.size()), x.data(), b, y.data());
      for (int t = 0; t < b; ++t)
        for (std::size_t i = 0; i < list.size(); ++i)
          ASSERT_EQ(std::memcmp(&y[t * list.size() + i], &alone[static_cast<std::size_t>(t) * rows + list[i]], 4), 0)
              << "token " << t << " row " << list[i] << " batch " << b << " threads " << threads;
    }
}

// matmul_many (the fused q/k/v and gate/up products) gives each matrix the
// bits matmul gives it alone, in decode and prefill batches.
TEST_P(BatchInvariance, ManyMatricesGiveTheSameBitsAsOneByOne) {
  const int cols = 300, batch = 20;
  const int rows[] = {150, 37, 37};
  std::vector<test::TestMatrix> ws;
  for (int i = 0; i < 3; ++i) ws.push_back(test::random_matrix(GetParam().type, rows[i], cols, 20 + i));
  const Matrix views[] = {ws[0].view(), ws[1].view(), ws[2].view()};
  const auto x = test::random_vector(static_cast<std::int64_t>(batch) * cols, 30);
  for (int threads : {1, 2})
    for (int b : {1, 2, 6, 7, batch}) {
      set_num_threads(threads);
      std::vector<std::vector<float>> many(3), one(3);
      float* outs[3];
      for (int i = 0; i < 3; ++i) {
        many[i].resize(static_cast<std::size_t>(b) * rows[i]);
        one[i].resize(many[i].size());
        outs[i] = many[i].data();
        matmul(views[i], x.data(), b, one[i].data());
      }
      matmul_many(views, 3, x.data(), b, outs);
      for (int i = 0; i < 3; ++i)
        expect_same_bits(
            one[i].data(), many[i].data(), one[i].size(),
            (::testing::Message() << "matrix " << i << ", batch " << b << ", " << threads << " threads").GetString());
    }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, BatchInvariance,
                         ::testing::Values(Case{WeightType::F32, MatmulPrecision::Exact},
                                           Case{WeightType::BF16, MatmulPrecision::Exact},
                                           Case{WeightType::F16, MatmulPrecision::Exact},
                                           Case{WeightType::BF16, MatmulPrecision::Bf16Activations}),
                         [](const auto& info) { return label(info.param); });

}  // namespace
}  // namespace qwen3::kernels
