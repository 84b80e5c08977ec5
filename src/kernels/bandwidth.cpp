#include "kernels/bandwidth.h"

#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "common/file.h"
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

namespace {

// Runs body(t, threads) on `threads` threads of their own (the caller is
// t = 0), released together, and returns the seconds from the release until
// the last one finished. Probes use fresh threads rather than the kernels'
// pool, so that exactly `threads` streams run at once.
template <class Body>
double timed_on_threads(int threads, Body body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> others;
  for (int t = 1; t < threads; ++t)
    others.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      body(t, threads);
    });
  while (ready.load() != threads - 1) std::this_thread::yield();
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  body(0, threads);
  for (auto& th : others) th.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

ProbeResult summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  ProbeResult r;
  r.passes = static_cast<int>(v.size());
  r.min = v.front();
  r.max = v.back();
  const std::size_t m = v.size() / 2;
  r.median = v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
  return r;
}

void check_threads_passes(const char* fn, int threads, int passes) {
  if (threads < 1) throw Error(std::string(fn) + ": threads must be >= 1, got " + std::to_string(threads));
  if (passes < 1) throw Error(std::string(fn) + ": passes must be >= 1, got " + std::to_string(passes));
}

// Where results go, so that the compiler keeps the work.
volatile std::uint64_t g_observed_sum = 0;
volatile float g_observed_float = 0;

// Independent accumulator chains per thread: enough to cover the latency
// (4-6 cycles) times the throughput (2 per cycle) of the instruction. The
// loop is written in assembly: compiled from intrinsics, GCC 12 kept some of
// the sixteen accumulators in memory and measured a fraction of the peak.
constexpr int kChains = 16;
// Instructions per chain per pass: 16 x 2^23 x 64 flops = 8.6 GFLOP of
// vdpbf16ps per thread, 10-40 ms at 1-4 instructions per nanosecond.
constexpr std::int64_t kIterations = std::int64_t{1} << 23;

#define QWEN3_CHAINS_16(OP)                                                                                \
  OP " %1, %2, %%zmm0\n\t" OP " %1, %2, %%zmm1\n\t" OP " %1, %2, %%zmm2\n\t" OP " %1, %2, %%zmm3\n\t" OP   \
     " %1, %2, %%zmm4\n\t" OP " %1, %2, %%zmm5\n\t" OP " %1, %2, %%zmm6\n\t" OP " %1, %2, %%zmm7\n\t" OP   \
     " %1, %2, %%zmm8\n\t" OP " %1, %2, %%zmm9\n\t" OP " %1, %2, %%zmm10\n\t" OP " %1, %2, %%zmm11\n\t" OP \
     " %1, %2, %%zmm12\n\t" OP " %1, %2, %%zmm13\n\t" OP " %1, %2, %%zmm14\n\t" OP " %1, %2, %%zmm15\n\t"
#define QWEN3_ZERO_16                                                                                               \
  "vpxord %%zmm0, %%zmm0, %%zmm0\n\tvmovaps %%zmm0, %%zmm1\n\tvmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\t" \
  "vmovaps %%zmm0, %%zmm4\n\tvmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\tvmovaps %%zmm0, %%zmm7\n\t"        \
  "vmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\tvmovaps %%zmm0, %%zmm10\n\tvmovaps %%zmm0, %%zmm11\n\t"      \
  "vmovaps %%zmm0, %%zmm12\n\tvmovaps %%zmm0, %%zmm13\n\tvmovaps %%zmm0, %%zmm14\n\tvmovaps %%zmm0, %%zmm15\n\t"
#define QWEN3_CLOBBER_16                                                                                              \
  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
      "xmm14", "xmm15", "cc"

#if defined(__AVX512BF16__) && defined(__AVX512F__) && defined(__x86_64__)
// (1.0, 1.0) x (2^-24, 2^-24) per lane and step: sums stay small and normal.
float bf16_chains() {
  const __m512i a = _mm512_set1_epi32(0x3f803f80), b = _mm512_set1_epi32(0x33803380);
  std::int64_t n = kIterations;
  asm volatile(QWEN3_ZERO_16 "1:\n\t" QWEN3_CHAINS_16("vdpbf16ps") "dec %0\n\tjnz 1b"
               : "+r"(n)
               : "v"(a), "v"(b)
               : QWEN3_CLOBBER_16);
  return static_cast<float>(n);
}
#endif

#if defined(__AVX512F__) && defined(__x86_64__)
float fma_chains() {
  const __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(0x1p-24f);
  std::int64_t n = kIterations;
  asm volatile(QWEN3_ZERO_16 "1:\n\t" QWEN3_CHAINS_16("vfmadd231ps") "dec %0\n\tjnz 1b"
               : "+r"(n)
               : "v"(a), "v"(b)
               : QWEN3_CLOBBER_16);
  return static_cast<float>(n);
}
#endif

template <class Chains>
ProbeResult peak_gflops(int threads, int passes, Chains chains, double flops_per_instruction) {
  std::vector<double> rates;
  const double flops = flops_per_instruction * kChains * static_cast<double>(kIterations) * threads;
  timed_on_threads(threads, [&](int, int) { g_observed_float = chains(); });  // warm-up: clocks, caches
  for (int p = 0; p < passes; ++p) {
    std::vector<float> out(threads);
    const double s = timed_on_threads(threads, [&](int t, int) { out[t] = chains(); });
    for (float v : out) g_observed_float = v;
    rates.push_back(flops / s / 1e9);
  }
  return summarise(rates);
}

}  // namespace

ProbeResult measure_read_bandwidth(int threads, std::size_t bytes, int passes) {
  check_threads_passes("measure_read_bandwidth", threads, passes);
  if (bytes < (std::size_t{1} << 20))
    throw Error("measure_read_bandwidth: buffer must be >= 1 MiB, got " + std::to_string(bytes) + " bytes");
  const std::int64_t n = static_cast<std::int64_t>(bytes / sizeof(std::uint64_t));
  // In huge pages where the kernel gives them, as the weights are held
  // (PageBuffer); first touch by the thread that later reads each part, so
  // its pages are really mapped and (on NUMA machines) local.
  const PageBuffer memory(static_cast<std::size_t>(n) * sizeof(std::uint64_t), "the bandwidth probe");
  auto* buf = reinterpret_cast<std::uint64_t*>(memory.data());
  timed_on_threads(threads, [&](int t, int nt) {
    for (std::int64_t i = n * t / nt; i < n * (t + 1) / nt; ++i) buf[i] = static_cast<std::uint64_t>(i);
  });
  std::vector<double> rates;
  std::uint64_t sink = 0;
  for (int p = 0; p <= passes; ++p) {  // pass 0 is untimed: it settles clocks and TLBs
    std::vector<std::uint64_t> totals(threads);
    // One contiguous part per thread, as a decoding thread streams its rows.
    const double s = timed_on_threads(
        threads, [&](int t, int nt) { totals[t] = detail::stream_sum(buf, n * t / nt, n * (t + 1) / nt); });
    for (auto v : totals) sink += v;
    if (p > 0) rates.push_back(static_cast<double>(n * sizeof(std::uint64_t)) / s / 1e9);
  }
  // The sum must be observable, or the compiler may drop the reads.
  g_observed_sum = sink;
  return summarise(rates);
}

double measure_read_bandwidth_gbs(int threads, std::size_t bytes, int repeats) {
  return measure_read_bandwidth(threads, bytes, repeats).median;
}

ProbeResult measure_bf16_peak_gflops(int threads, int passes) {
  check_threads_passes("measure_bf16_peak_gflops", threads, passes);
#if defined(__AVX512BF16__) && defined(__AVX512F__) && defined(__x86_64__)
  return peak_gflops(threads, passes, bf16_chains, 64.0);
#else
  return {};
#endif
}

ProbeResult measure_fma_peak_gflops(int threads, int passes) {
  check_threads_passes("measure_fma_peak_gflops", threads, passes);
#if defined(__AVX512F__) && defined(__x86_64__)
  return peak_gflops(threads, passes, fma_chains, 32.0);
#else
  return {};
#endif
}

}  // namespace qwen3::kernels
