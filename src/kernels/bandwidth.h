#pragma once
// The machine's limits, measured in the same run as the figures judged by
// them (`qwen3 bench`, bench_kernels): the memory read bandwidth (decode
// streams every weight once per token) and the peak arithmetic rate of the
// cores (prefill multiplies matrices). Hosts differ by 2-3x and a shared host
// swings from run to run, so only same-run fractions are comparable.
#include <cstddef>
#include <cstdint>

namespace qwen3::kernels {

// Several timed passes of one probe: the median, and the spread around it.
struct ProbeResult {
  double median = 0;
  double min = 0;
  double max = 0;
  int passes = 0;  // 0: the probe cannot run on this CPU (figures are 0)
};

// Read bandwidth in GB/s (1e9 bytes per second): `threads` threads started
// together, each streaming its own contiguous part of a buffer of `bytes`
// (default 1 GiB, well beyond any L3 of the hosts we run on) the way the
// decode kernel streams weight rows; `passes` timed passes after one
// untimed one.
ProbeResult measure_read_bandwidth(int threads, std::size_t bytes = std::size_t{1} << 30, int passes = 7);

// The median of measure_read_bandwidth.
double measure_read_bandwidth_gbs(int threads, std::size_t bytes = std::size_t{1} << 30, int repeats = 7);

// Peak GFLOP/s of `threads` threads each running independent chains of
// vdpbf16ps (AVX512_BF16) on registers: 16 lanes x 2 products x 2 flops = 64
// flops per instruction. The ceiling of a bf16 matrix-matrix kernel.
// passes == 0 where the CPU or the compiler lacks AVX512_BF16.
ProbeResult measure_bf16_peak_gflops(int threads, int passes = 5);

// The same with f32 FMAs (vfmadd on full vectors: 2 flops per lane): the
// ceiling of the f32-activation (exact) matrix-matrix kernel.
ProbeResult measure_fma_peak_gflops(int threads, int passes = 5);

namespace detail {
// The streaming read the measurement times: the sum of buf[begin, end).
std::uint64_t stream_sum(const std::uint64_t* buf, std::int64_t begin, std::int64_t end);
}  // namespace detail

}  // namespace qwen3::kernels
