// measure_read_bandwidth_gbs on a small buffer: a positive, finite figure, and
// clear errors for bad parameters. (How fast it is belongs to bench_kernels.)
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/bandwidth.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

TEST(Bandwidth, SmallBufferGivesPositiveFigure) {
  const double gbs = measure_read_bandwidth_gbs(2, std::size_t{8} << 20, 2);
  EXPECT_TRUE(std::isfinite(gbs));
  EXPECT_GT(gbs, 0.1);
}

TEST(Bandwidth, RejectsBadArguments) {
  EXPECT_THROW(measure_read_bandwidth_gbs(0), Error);
  EXPECT_THROW(measure_read_bandwidth_gbs(1, 1024), Error);
  EXPECT_THROW(measure_read_bandwidth_gbs(1, std::size_t{8} << 20, 0), Error);
}

}  // namespace
}  // namespace qwen3::kernels
