// How decode reads a matrix packed at load, and the measurement that picks
// it (kernels.h: DecodeSchedule). The schedules differ only in the order the
// panels are read and in software prefetches, never in arithmetic.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <random>

#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

// Four prefetched streams first: the layout's default since it was measured
// on a 2-core Xeon (0.83-0.87 of the bandwidth against 0.76-0.80 for one).
constexpr std::array<DecodeSchedule, 2> kSchedules = {{{4, 2048}, {1, 0}}};

std::atomic<int> g_streams{kSchedules[0].streams};
std::atomic<int> g_prefetch{kSchedules[0].prefetch_bytes};

constexpr std::int64_t kTuneBytes = std::int64_t{256} << 20;

}  // namespace

void set_decode_schedule(DecodeSchedule s) {
  if (s.streams != 1 && s.streams != 4)
    throw Error("kernels::set_decode_schedule: expected 1 or 4 streams, got " + std::to_string(s.streams));
  if (s.prefetch_bytes < 0 || s.prefetch_bytes > 65536)
    throw Error("kernels::set_decode_schedule: expected a prefetch distance of 0 to 65536 bytes, got " +
                std::to_string(s.prefetch_bytes));
  g_streams.store(s.streams);
  g_prefetch.store(s.prefetch_bytes);
}

DecodeSchedule decode_schedule() { return {g_streams.load(), g_prefetch.load()}; }

std::span<const DecodeSchedule> decode_schedules() { return kSchedules; }

std::string describe(DecodeSchedule s) {
  std::string out = std::to_string(s.streams) + (s.streams == 1 ? " stream" : " streams");
  return out + (s.prefetch_bytes > 0 ? ", prefetched " + std::to_string(s.prefetch_bytes) + " bytes ahead"
                                     : ", no software prefetch");
}

std::vector<double> tune_decode_schedule(std::span<const Matrix> matrices, int rounds) {
  if (rounds < 1) throw Error("kernels::tune_decode_schedule: expected rounds >= 1, got " + std::to_string(rounds));
  std::vector<Matrix> chosen;
  std::int64_t bytes = 0, cols = 0;
  for (const Matrix& m : matrices) {
    if (!m.packed) continue;
    chosen.push_back(m);
    bytes += row_bytes(m.type, m.cols) * m.rows;
    cols = std::max(cols, std::max(m.cols, m.rows));
    if (bytes >= kTuneBytes) break;
  }
  if (chosen.empty()) return {};
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> x(static_cast<std::size_t>(cols)), y(static_cast<std::size_t>(cols));
  for (float& v : x) v = normal(rng);
  std::vector<std::vector<double>> seconds(kSchedules.size());
  for (int r = 0; r < rounds; ++r)
    for (std::size_t s = 0; s < kSchedules.size(); ++s) {
      set_decode_schedule(kSchedules[s]);
      const auto start = std::chrono::steady_clock::now();
      for (const Matrix& m : chosen) matmul(m, x.data(), 1, y.data());
      seconds[s].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  std::vector<double> rates;
  std::size_t best = 0;
  for (std::size_t s = 0; s < kSchedules.size(); ++s) {
    auto& t = seconds[s];
    std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
    rates.push_back(static_cast<double>(bytes) / t[t.size() / 2] / 1e9);
    if (rates[s] > rates[best]) best = s;
  }
  set_decode_schedule(kSchedules[best]);
  return rates;
}

}  // namespace qwen3::kernels
