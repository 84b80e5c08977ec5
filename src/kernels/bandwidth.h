#pragma once
// The machine's memory read bandwidth: the denominator of "fraction of the
// achievable bandwidth" that decode speed is judged by (`qwen3 bench`).
#include <cstddef>
#include <cstdint>

namespace qwen3::kernels {

// Streams a buffer of `bytes` (default 1 GiB, far beyond the 260 MiB L3) with
// `threads` threads, each reading its own contiguous part, and returns the
// best of `repeats` passes in GB/s (1e9 bytes per second).
double measure_read_bandwidth_gbs(int threads, std::size_t bytes = std::size_t{1} << 30, int repeats = 5);

namespace detail {
// The streaming read the measurement times: the sum of buf[begin, end).
std::uint64_t stream_sum(const std::uint64_t* buf, std::int64_t begin, std::int64_t end);
}  // namespace detail

}  // namespace qwen3::kernels
