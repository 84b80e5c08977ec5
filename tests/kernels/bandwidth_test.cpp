// measure_read_bandwidth_gbs on a small buffer: a positive, finite figure, and
// clear errors for bad parameters. (How fast it is belongs to bench_kernels.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/bandwidth.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

TEST(Bandwidth, SmallBufferGivesPositiveFigure) {
  const double gbs = measure_read_bandwidth_gbs(2, std::size_t{8} << 20, 2);
  EXPECT_TRUE(std::isfinite(gbs));
  EXPECT_GT(gbs, 0.1);
}

TEST(Bandwidth, StreamReadsEveryElementOnce) {
  std::vector<std::uint64_t> buf(100003);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = i;
  for (auto [b, e] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 100003}, {7, 99001}, {5, 40}, {3, 3}}) {
    const std::uint64_t want = static_cast<std::uint64_t>(e * (e - 1) / 2 - b * (b - 1) / 2);
    EXPECT_EQ(detail::stream_sum(buf.data(), b, e), want) << b << ".." << e;
  }
}

TEST(Bandwidth, RejectsBadArguments) {
  EXPECT_THROW(measure_read_bandwidth_gbs(0), Error);
  EXPECT_THROW(measure_read_bandwidth_gbs(1, 1024), Error);
  EXPECT_THROW(measure_read_bandwidth_gbs(1, std::size_t{8} << 20, 0), Error);
}

}  // namespace
}  // namespace qwen3::kernels
