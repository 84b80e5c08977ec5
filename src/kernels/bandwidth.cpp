#include "kernels/bandwidth.h"

#include <hwy/cache_control.h>
#include <hwy/highway.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "qwen3/error.h"

namespace qwen3::kernels {
namespace detail {
namespace hn = hwy::HWY_NAMESPACE;

// Sums [begin, end) of buf as four concurrent sequential streams (the
// quarters of the range), each prefetched 2 KiB ahead, with full-width loads
// into independent accumulators: the access pattern of the decode kernel,
// which streams four weight rows at a time. A single plain stream per thread
// measured less than that kernel achieves, which would make the ratio
// kernel / bandwidth exceed 1 and mean nothing.
std::uint64_t stream_sum(const std::uint64_t* buf, std::int64_t begin, std::int64_t end) {
  const hn::ScalableTag<std::uint64_t> d;
  const std::int64_t N = hn::Lanes(d);
  constexpr std::int64_t kAhead = 2048 / sizeof(std::uint64_t);
  const std::int64_t quarter = (end - begin) / 4 / N * N;
  const std::uint64_t* s0 = buf + begin;
  const std::uint64_t* s1 = s0 + quarter;
  const std::uint64_t* s2 = s1 + quarter;
  const std::uint64_t* s3 = s2 + quarter;
  auto a0 = hn::Zero(d), a1 = hn::Zero(d), a2 = hn::Zero(d), a3 = hn::Zero(d);
  for (std::int64_t i = 0; i < quarter; i += N) {
    hwy::Prefetch(s0 + i + kAhead);
    hwy::Prefetch(s1 + i + kAhead);
    hwy::Prefetch(s2 + i + kAhead);
    hwy::Prefetch(s3 + i + kAhead);
    a0 = hn::Add(a0, hn::LoadU(d, s0 + i));
    a1 = hn::Add(a1, hn::LoadU(d, s1 + i));
    a2 = hn::Add(a2, hn::LoadU(d, s2 + i));
    a3 = hn::Add(a3, hn::LoadU(d, s3 + i));
  }
  std::uint64_t total = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(a0, a1), hn::Add(a2, a3))));
  for (std::int64_t i = begin + 4 * quarter; i < end; ++i) total += buf[i];
  return total;
}

}  // namespace detail

// Where the sum of the streamed buffer goes, so that the reads stay.
volatile std::uint64_t g_observed_sum = 0;

double measure_read_bandwidth_gbs(int threads, std::size_t bytes, int repeats) {
  if (threads < 1) throw Error("measure_read_bandwidth_gbs: threads must be >= 1, got " + std::to_string(threads));
  if (repeats < 1) throw Error("measure_read_bandwidth_gbs: repeats must be >= 1, got " + std::to_string(repeats));
  if (bytes < (std::size_t{1} << 20))
    throw Error("measure_read_bandwidth_gbs: buffer must be >= 1 MiB, got " + std::to_string(bytes) + " bytes");
  const std::int64_t n = static_cast<std::int64_t>(bytes / sizeof(std::uint64_t));
  std::unique_ptr<std::uint64_t[]> buf(new std::uint64_t[n]);
  // First touch by the thread that later reads each part, so its pages are
  // really mapped and (on NUMA machines) local.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t i = 0; i < n; ++i) buf[i] = static_cast<std::uint64_t>(i);

  double best = 0.0;
  std::uint64_t sink = 0;
  for (int rep = 0; rep < repeats; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
      // One contiguous part per thread, as a decoding thread streams its rows.
      const std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      total += detail::stream_sum(buf.get(), n * t / nt, n * (t + 1) / nt);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink += total;
    best = std::max(best, static_cast<double>(n * sizeof(std::uint64_t)) / s / 1e9);
  }
  // The sum must be observable, or the compiler may drop the reads.
  g_observed_sum = sink;
  return best;
}

}  // namespace qwen3::kernels
