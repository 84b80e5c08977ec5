// Per-token sampling cost at Qwen3's full output width (151,936 logits), for
// both presets, greedy, and the filters that avoid a full sort. Baselines in
// the same run: a full std::sort of the row (what a naive top-k/top-p pays on
// every token) and std::max_element (one pass over the row: the floor).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "qwen3/sampling.h"

namespace {

constexpr std::size_t kRows = 151936;

// Logits shaped like a language model's: a few strong candidates over a
// long Gaussian tail.
std::vector<float> model_like_logits(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> l(kRows);
  for (auto& v : l) v = normal(rng);
  for (int i = 0; i < 8; ++i) l[rng() % kRows] += 12.0f;
  return l;
}

void run(benchmark::State& state, qwen3::SamplingParams params) {
  params.seed = 1;
  const auto logits = model_like_logits(7);
  // The same row every token: the penalties (applied in place) only touch
  // the few ids in the history, which does not change the work done. No
  // Pause/ResumeTiming: their own cost is of the order of what is measured.
  std::vector<float> row = logits;
  qwen3::Sampler sampler(params);
  for (int i = 0; i < 64; ++i) sampler.accept(static_cast<std::int32_t>(i * 97));
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample(row));
  state.SetItemsProcessed(state.iterations());
}

void BM_ThinkingPreset(benchmark::State& s) { run(s, qwen3::sampling_preset(qwen3::SamplingMode::Thinking)); }
void BM_NonThinkingPreset(benchmark::State& s) { run(s, qwen3::sampling_preset(qwen3::SamplingMode::NonThinking)); }
void BM_Greedy(benchmark::State& s) {
  auto p = qwen3::sampling_preset(qwen3::SamplingMode::NonThinking);
  p.temperature = 0.0f;
  run(s, p);
}
void BM_ThinkingPresetWithPenalties(benchmark::State& s) {
  auto p = qwen3::sampling_preset(qwen3::SamplingMode::Thinking);
  p.presence_penalty = 1.5f;
  p.repetition_penalty = 1.1f;
  run(s, p);
}
void BM_TopPOnlyNoTopK(benchmark::State& s) {
  auto p = qwen3::sampling_preset(qwen3::SamplingMode::Thinking);
  p.top_k = 0;
  run(s, p);
}
void BM_TemperatureOnly(benchmark::State& s) {
  auto p = qwen3::sampling_preset(qwen3::SamplingMode::Thinking);
  p.top_k = 0;
  p.top_p = 1.0f;
  run(s, p);
}

// Baseline: what sorting the whole row costs (the naive top-p / top-k).
void BM_BaselineFullSort(benchmark::State& state) {
  const auto logits = model_like_logits(7);
  std::vector<std::int32_t> order(kRows);
  for (auto _ : state) {
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return logits[a] > logits[b]; });
    benchmark::DoNotOptimize(order.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// The floor: one pass over the row (std::max_element), which any sampler pays.
void BM_BaselineMaxElement(benchmark::State& state) {
  const auto logits = model_like_logits(7);
  for (auto _ : state) benchmark::DoNotOptimize(std::max_element(logits.begin(), logits.end()));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ThinkingPreset)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NonThinkingPreset)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Greedy)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ThinkingPresetWithPenalties)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TopPOnlyNoTopK)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TemperatureOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BaselineFullSort)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BaselineMaxElement)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
