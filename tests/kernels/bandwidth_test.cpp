// The probes on small inputs: positive, finite figures, the median within the
// spread, and clear errors for bad parameters. (How fast belongs to
// bench_kernels.)
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

TEST(Bandwidth, ReportsMedianWithinSpread) {
  const ProbeResult r = measure_read_bandwidth(2, std::size_t{8} << 20, 3);
  EXPECT_EQ(r.passes, 3);
  EXPECT_GT(r.min, 0.0);
  EXPECT_LE(r.min, r.median);
  EXPECT_LE(r.median, r.max);
  EXPECT_TRUE(std::isfinite(r.max));
}

TEST(PeakProbes, PositiveWhereSupported) {
  for (const ProbeResult& r : {measure_bf16_peak_gflops(2, 2), measure_fma_peak_gflops(1, 1)}) {
    if (r.passes == 0) continue;  // CPU or compiler without the instruction
    EXPECT_GT(r.min, 1.0);
    EXPECT_LE(r.min, r.median);
    EXPECT_LE(r.median, r.max);
  }
#if defined(__AVX512BF16__) && defined(__x86_64__)
  EXPECT_EQ(measure_bf16_peak_gflops(1, 1).passes, 1);
#endif
  EXPECT_THROW(measure_bf16_peak_gflops(0), Error);
  EXPECT_THROW(measure_fma_peak_gflops(1, 0), Error);
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
