#include "kernels/bandwidth.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "qwen3/error.h"

namespace qwen3::kernels {

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
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : total)
    for (std::int64_t i = 0; i < n; ++i) total += buf[i];
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    sink += total;
    best = std::max(best, static_cast<double>(n * sizeof(std::uint64_t)) / s / 1e9);
  }
  // The sum must be observable, or the compiler may drop the reads.
  g_observed_sum = sink;
  return best;
}

}  // namespace qwen3::kernels
