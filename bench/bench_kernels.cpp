// Kernel speed at the Qwen3-4B shapes, with 2 threads (the machine's cores).
//   Decode: matmul with batch 1 on BF16 weights. Several copies of the matrix
//     (>= 1 GiB in all) are used in turn so every call streams from DRAM, as
//     in real decoding where the 8 GB model never fits the 260 MiB L3.
//     Reports GB/s of weights and its ratio to the read bandwidth measured by
//     measure_read_bandwidth_gbs just before, in the same run (the machine is
//     shared, so only same-run ratios are comparable).
//   Prefill: matmul with batch 512 (Qwen3-4B's prefill shapes), reporting
//     GFLOP/s for both precisions, batch-invariant (the tile kernel) or not
//     (the blocked kernel), and its fraction of the machine's peak,
//     measured once per run before the first prefill benchmark: the bf16
//     peak (vdpbf16ps) and the f32 FMA peak, the ceilings of the
//     Bf16Activations and Exact kernels.
//   AttentionDecode: kernels::attention for one token over a Qwen3-4B layer's
//     KV cache (8 kv heads, 32 query heads, head_dim 128) at 4k, 16k and 32k
//     positions, bf16 and f32, cycling through copies of the cache (>= 1 GiB
//     in all) so every call streams from DRAM as decoding does (36 layers).
//     Reports KV GB/s and its ratio to the read bandwidth of as many threads
//     (1 or 2) measured just before, and the KV bytes a decoded token reads
//     (all 36 layers).
//   AttentionPrefill: a 512-token chunk at the end of a 4k / 16k context:
//     GFLOP/s (4 x head_dim flops per query and visible position) against
//     the same-run f32 FMA peak.
//   QuantDecode: matmul with batch 1 on quantized weights (Q8_0, Q4_0, Q4_K,
//     Q6_K, made by kernels::quantize from random values): "cold" at the
//     gate/up shape, copies (>= 1 GiB) in turn as in BM_Decode, against the
//     same-run read bandwidth; "hot" at the k/v shape (1.5-4.3 MB, split
//     over the two cores' 1 MiB L2s) on one copy, the kernel's arithmetic
//     rate without DRAM: when hot is not well above the bandwidth, decode
//     is bound by instructions, not memory.
//   QuantPrefill: a 512-token batch on the same types at the gate/up shape,
//     GFLOP/s against the same-run bf16 peak (issue 11's 40% bar).
//   Both also for Q4_0 and Q4_K packed at load (kernels::repack), as a
//   model holds its layers' matrices of those types; their decode counts
//   the packed bytes.
//   ReadBandwidth, Peak: the denominators alone (median, min, max of passes).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/file.h"
#include "kernels/bandwidth.h"
#include "kernels/kernels.h"

namespace {

using namespace qwen3::kernels;

constexpr int kThreads = 2;

struct Shape {
  const char* name;
  std::int64_t rows, cols;
};
// Qwen3-4B: hidden 2560, 32 query heads x 128, 8 kv heads x 128, MLP 9728, vocab 151936.
const Shape kShapes[] = {{"q", 4096, 2560},       {"k_v", 1024, 2560},  {"o", 2560, 4096},
                         {"gate_up", 9728, 2560}, {"down", 2560, 9728}, {"lm_head", 151936, 2560}};

// Random bf16 weights in about +-[2^-8, 2): sign, exponent 119..127, mantissa.
void fill_random_bf16(std::uint16_t* w, std::int64_t n, std::uint64_t seed) {
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint64_t z = (static_cast<std::uint64_t>(i) + seed) * 0x9E3779B97F4A7C15ull;
    z ^= z >> 29;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 32;
    w[i] = static_cast<std::uint16_t>((z & 0x8000u) | ((119u + (z >> 16) % 9u) << 7) | ((z >> 8) & 0x7fu));
  }
}

std::unique_ptr<std::uint16_t[]> random_bf16(std::int64_t n, std::uint64_t seed) {
  std::unique_ptr<std::uint16_t[]> w(new std::uint16_t[n]);
  fill_random_bf16(w.get(), n, seed);
  return w;
}

// Random bf16 weights held as the model holds the weights it makes (a
// PageBuffer: huge pages where the kernel gives them).
qwen3::PageBuffer random_bf16_weights(std::int64_t n, std::uint64_t seed) {
  qwen3::PageBuffer w(static_cast<std::size_t>(n) * 2, "benchmark weights");
  fill_random_bf16(reinterpret_cast<std::uint16_t*>(w.data()), n, seed);
  return w;
}

std::vector<float> random_activations(std::int64_t n) {
  std::vector<float> x(n);
  std::uint32_t s = 12345;
  for (auto& v : x) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>(s >> 8) / 8388608.f - 1.f;
  }
  return x;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs call() once per iteration, each call timed (manual time); returns
// calls per second.
template <class Call>
double timed_calls(benchmark::State& state, Call call) {
  double secs = 0;
  std::int64_t calls = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    call(calls);
    const double t = seconds_since(t0);
    state.SetIterationTime(t);
    secs += t;
    ++calls;
  }
  return calls / secs;
}

// Copies of a matrix of `bytes` bytes enough to fill 1 GiB (so that each
// call streams from DRAM), or 1 (hot).
int copies_for(std::int64_t bytes, bool hot = false) {
  return hot ? 1 : static_cast<int>(std::max<std::int64_t>(1, ((std::int64_t{1} << 30) + bytes - 1) / bytes));
}

// Decode (batch 1) over the matrices in turn; weights GB/s against the
// read bandwidth measured just before.
// Bytes a product reads: the rows, or the panels of a matrix packed at load.
double matrix_bytes(const Matrix& m, std::int64_t packed) {
  return static_cast<double>(packed > 0 ? packed : m.rows * row_bytes(m.type, m.cols));
}

void decode_over(benchmark::State& state, const std::vector<Matrix>& ws, std::int64_t packed = 0) {
  const Matrix& m = ws.front();
  const double bytes = matrix_bytes(m, packed);
  const auto x = random_activations(m.cols);
  std::vector<float> y(m.rows);
  const double bandwidth = measure_read_bandwidth_gbs(kThreads);
  const double rate = timed_calls(state, [&](std::int64_t call) {
    matmul(ws[call % ws.size()], x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  });
  const double gbs = bytes * rate / 1e9;
  state.counters["weights_GB/s"] = gbs;
  state.counters["read_bw_GB/s"] = bandwidth;
  state.counters["ratio"] = gbs / bandwidth;
}

void BM_Decode(benchmark::State& state) {
  const Shape& s = kShapes[state.range(0)];
  set_num_threads(kThreads);
  const std::int64_t n = s.rows * s.cols;
  std::vector<qwen3::PageBuffer> weights;
  std::vector<Matrix> ws;
  for (int c = 0; c < copies_for(n * 2); ++c) {
    weights.push_back(random_bf16_weights(n, 1000 + c));
    ws.push_back({weights.back().data(), WeightType::BF16, s.rows, s.cols});
  }
  decode_over(state, ws);
  state.SetLabel(s.name);
}

// A rows x cols matrix of `type` quantized from random values in [-1, 1):
// 64 rows quantized (the K-quant fit is slow), repeated (the kernels' speed
// does not depend on the values).
std::vector<std::uint8_t> random_quantized(WeightType type, std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  const std::int64_t row = row_bytes(type, cols);
  std::vector<std::uint8_t> m(static_cast<std::size_t>(rows * row));
  std::vector<float> values(cols);
  constexpr std::int64_t kDistinct = 64;
  for (std::int64_t r = 0; r < std::min(rows, kDistinct); ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      std::uint64_t z = (static_cast<std::uint64_t>(r * cols + c) + seed) * 0x9E3779B97F4A7C15ull;
      z ^= z >> 31;
      values[c] = static_cast<float>(z % 2000001) / 1e6f - 1.f;
    }
    quantize(values.data(), type, cols, m.data() + r * row);
  }
  for (std::int64_t r = kDistinct; r < rows; ++r) std::memcpy(m.data() + r * row, m.data() + r % kDistinct * row, row);
  return m;
}

constexpr WeightType kQuantTypes[] = {WeightType::Q8_0, WeightType::Q4_0, WeightType::Q4_K, WeightType::Q6_K};

// A quantized matrix as the model holds it: packed at load (kernels::repack)
// into a PageBuffer where `packed` and its type has that layout, else its
// rows (as mapped from a file).
struct QuantCopy {
  QuantCopy(WeightType type, const Shape& s, std::uint64_t seed, bool packed)
      : rows(random_quantized(type, s.rows, s.cols, seed)), m{rows.data(), type, s.rows, s.cols} {
    if (!packed || packed_bytes(m) == 0) return;
    bytes = packed_bytes(m);
    panels = qwen3::PageBuffer(static_cast<std::size_t>(bytes), "packed benchmark weights");
    m = repack(m, panels.data());
    rows = {};
  }
  std::vector<std::uint8_t> rows;
  qwen3::PageBuffer panels;
  Matrix m;
  std::int64_t bytes = 0;  // packed
};

// Args: type, hot, packed (0: rows; 1 + i: packed, read in decode_schedules()[i]'s order).
void BM_QuantDecode(benchmark::State& state) {
  const WeightType type = kQuantTypes[state.range(0)];
  const bool hot = state.range(1) != 0, packed = state.range(2) != 0;
  const DecodeSchedule schedule = packed ? decode_schedules()[state.range(2) - 1] : decode_schedule();
  const DecodeSchedule saved = decode_schedule();
  set_decode_schedule(schedule);
  const Shape& s = kShapes[hot ? 1 : 3];
  set_num_threads(kThreads);
  std::vector<QuantCopy> copies;
  std::vector<Matrix> ws;
  for (int c = 0; c < copies_for(s.rows * row_bytes(type, s.cols), hot); ++c) {
    copies.emplace_back(type, s, 1000 + 7 * c, packed);
    ws.push_back(copies.back().m);
  }
  decode_over(state, ws, copies.front().bytes);
  set_decode_schedule(saved);
  state.SetLabel(std::string(weight_type_name(type)) + (hot ? " hot (L2)" : " cold (DRAM)") +
                 (copies.front().bytes > 0 ? " packed, " + describe(schedule) : ""));
}

struct Peaks {
  ProbeResult bf16, fma;
};
const Peaks& peaks() {
  static const Peaks p{measure_bf16_peak_gflops(kThreads), measure_fma_peak_gflops(kThreads)};
  return p;
}

void BM_Prefill(benchmark::State& state) {
  peaks();  // measured before the first prefill, on a quiet process
  const Shape& s = kShapes[state.range(0)];
  const auto precision = static_cast<MatmulPrecision>(state.range(1));
  const int batch = static_cast<int>(state.range(2));
  const bool invariant = state.range(3) != 0;
  set_num_threads(kThreads);
  set_matmul_precision(precision);
  set_batch_invariant(invariant);
  const auto weights = random_bf16_weights(s.rows * s.cols, 7);
  const auto x = random_activations(s.cols * batch);
  std::vector<float> y(s.rows * batch);
  const Matrix w{weights.data(), WeightType::BF16, s.rows, s.cols};
  const double rate = timed_calls(state, [&](std::int64_t call) {
    matmul(w, x.data(), batch, y.data());
    benchmark::DoNotOptimize(y.data());
  });
  set_matmul_precision(MatmulPrecision::Exact);
  set_batch_invariant(true);
  const double gflops = 2.0 * s.rows * s.cols * batch * rate / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_bf16_peak"] = gflops / peaks().bf16.median;
  state.counters["of_fma_peak"] = gflops / peaks().fma.median;
  state.SetLabel(std::string(s.name) + (precision == MatmulPrecision::Exact ? " exact" : " bf16-activations") +
                 (invariant ? " invariant" : " blocked"));
}

void BM_QuantPrefill(benchmark::State& state) {
  peaks();
  const WeightType type = kQuantTypes[state.range(0)];
  const Shape& s = kShapes[3];
  constexpr int kBatch = 512;
  set_num_threads(kThreads);
  const QuantCopy copy(type, s, 7, state.range(1) != 0);
  const auto x = random_activations(s.cols * kBatch);
  std::vector<float> y(s.rows * kBatch);
  const Matrix& w = copy.m;
  const double rate = timed_calls(state, [&](std::int64_t call) {
    matmul(w, x.data(), kBatch, y.data());
    benchmark::DoNotOptimize(y.data());
  });
  const double gflops = 2.0 * s.rows * s.cols * kBatch * rate / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_bf16_peak"] = gflops / peaks().bf16.median;
  state.SetLabel(std::string(weight_type_name(type)) + (copy.bytes > 0 ? " packed" : ""));
}

void BM_ReadBandwidth(benchmark::State& state) {
  ProbeResult r;
  for (auto _ : state) r = measure_read_bandwidth(kThreads);
  state.counters["read_bw_GB/s"] = r.median;
  state.counters["min"] = r.min;
  state.counters["max"] = r.max;
}

void BM_Peak(benchmark::State& state) {
  ProbeResult r;
  for (auto _ : state) r = state.range(0) ? measure_bf16_peak_gflops(kThreads) : measure_fma_peak_gflops(kThreads);
  state.counters["GFLOP/s"] = r.median;
  state.counters["min"] = r.min;
  state.counters["max"] = r.max;
  state.SetLabel(state.range(0) ? "vdpbf16ps" : "f32 fma");
}

// A layer's KV cache of ctx positions filled with random entries of `type`.
struct KvCopy {
  KvCopy(KvType type, int ctx, std::uint64_t seed) {
    layer.type = type;
    layer.kv_heads = 8;
    layer.head_dim = 128;
    layer.head_stride = kv_head_elements(ctx, 128);
    const std::int64_t n = static_cast<std::int64_t>(layer.head_stride) * layer.kv_heads;
    if (type == KvType::BF16) {
      bf16[0] = random_bf16(n, seed);
      bf16[1] = random_bf16(n, seed + 1);
      layer.keys = bf16[0].get();
      layer.values = bf16[1].get();
    } else {
      f32[0] = random_activations(n);
      f32[1] = random_activations(n);
      layer.keys = f32[0].data();
      layer.values = f32[1].data();
    }
  }
  std::unique_ptr<std::uint16_t[]> bf16[2];
  std::vector<float> f32[2];
  KvLayer layer;
};

constexpr int kLayers = 36, kQHeads = 32;

// KV bytes the positions [0, ctx) of one layer take (what attention reads).
double kv_bytes(KvType type, int ctx) { return 2.0 * 8 * 128 * ctx * (type == KvType::F32 ? 4 : 2); }

void BM_AttentionDecode(benchmark::State& state) {
  const int ctx = static_cast<int>(state.range(0));
  const KvType type = state.range(1) ? KvType::F32 : KvType::BF16;
  const int threads = static_cast<int>(state.range(2));
  set_num_threads(threads);
  const double bytes = kv_bytes(type, ctx);
  const int copies = static_cast<int>(std::max(1.0, std::ceil(static_cast<double>(std::int64_t{1} << 30) / bytes)));
  std::vector<std::unique_ptr<KvCopy>> caches;
  for (int c = 0; c < copies; ++c) caches.push_back(std::make_unique<KvCopy>(type, ctx, 2000 + 7 * c));
  const auto q = random_activations(kQHeads * 128);
  std::vector<float> out(kQHeads * 128);
  const double bandwidth = measure_read_bandwidth_gbs(threads);
  const double rate = timed_calls(state, [&](std::int64_t call) {
    attention(caches[call % copies]->layer, q.data(), kQHeads, ctx - 1, 1, out.data());
    benchmark::DoNotOptimize(out.data());
  });
  const double gbs = bytes * rate / 1e9;
  state.counters["KV_GB/s"] = gbs;
  state.counters["read_bw_GB/s"] = bandwidth;
  state.counters["ratio"] = gbs / bandwidth;
  state.counters["KV_MB/token"] = bytes * kLayers / 1e6;
  state.SetLabel(std::string(type == KvType::F32 ? "f32, " : "bf16, ") + std::to_string(threads) + " threads");
}

void BM_AttentionPrefill(benchmark::State& state) {
  const int ctx = static_cast<int>(state.range(0)), T = 512;
  const KvType type = state.range(1) ? KvType::F32 : KvType::BF16;
  set_num_threads(kThreads);
  KvCopy cache(type, ctx, 3000);
  const auto q = random_activations(static_cast<std::int64_t>(T) * kQHeads * 128);
  std::vector<float> out(q.size());
  const double rate = timed_calls(state, [&](std::int64_t call) {
    attention(cache.layer, q.data(), kQHeads, ctx - T, T, out.data());
    benchmark::DoNotOptimize(out.data());
  });
  // Each query: a score and a weighted value per visible position, 2 x 2 x head_dim flops.
  const double visible = static_cast<double>(T) * (ctx - T) + static_cast<double>(T) * (T + 1) / 2;
  const double gflops = 4.0 * 128 * kQHeads * visible * rate / 1e9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_fma_peak"] = gflops / peaks().fma.median;
  state.SetLabel(type == KvType::F32 ? "f32" : "bf16");
}

BENCHMARK(BM_Decode)->DenseRange(0, 5)->UseManualTime()->Unit(benchmark::kMicrosecond)->MinTime(1.0);
BENCHMARK(BM_Prefill)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {0, 1}, {512}, {1, 0}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);
BENCHMARK(BM_AttentionDecode)
    ->ArgsProduct({{4096, 16384, 32768}, {0, 1}, {1, kThreads}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(1.0);
BENCHMARK(BM_AttentionPrefill)
    ->ArgsProduct({{4096, 16384}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
// Packed at load: Q4_0, Q4_K and Q6_K (the types with a packed layout),
// under each decode schedule.
BENCHMARK(BM_QuantDecode)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1}, {0}})
    ->ArgsProduct({{1, 2, 3}, {0, 1}, {1, 2}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->MinTime(1.0);
BENCHMARK(BM_QuantPrefill)
    ->ArgsProduct({{0, 1, 2, 3}, {0}})
    ->ArgsProduct({{1, 2, 3}, {1}})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0);
BENCHMARK(BM_ReadBandwidth)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Peak)->DenseRange(0, 1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
