// Decode-step cost of the forward pass on the tiny-qwen3-a fixture, whose
// cost is dominated by the 151,936-row output projection: computing only the
// allowed rows (English-only decoding) against computing all of them.
// Run: QWEN3_SHARED_DIR=/path/to/shared bench_model
#include <benchmark/benchmark.h>

#include <memory>

#include "common/test_paths.h"
#include "qwen3/model.h"

namespace {

std::unique_ptr<qwen3::Model> fixture_model() {
  qwen3::RunOptions o;
  o.ctx = 4096;
  // One thread: on a shared 2-core machine a second thread's barrier waits
  // (the partner descheduled) swamp the difference being measured.
  o.threads = 1;
  return qwen3::Model::load(qwen3::test::fixture_dir(), o);
}

// A decode step at position 64 (the cache is rewound after each step).
void decode_step(benchmark::State& state, const std::vector<std::int32_t>* rows) {
  static const auto model = fixture_model();
  qwen3::Session s = model->new_session();
  std::vector<qwen3::TokenId> prompt(64);
  for (int i = 0; i < 64; ++i) prompt[i] = 1000 + i * 37;
  std::vector<float> logits(model->config().vocab_size);
  model->forward(prompt, s, logits.data());
  const qwen3::TokenId next = 42;
  for (auto _ : state) {
    model->forward({&next, 1}, s, logits.data(), rows);
    s.truncate(64);
    benchmark::DoNotOptimize(logits.data());
  }
}

void BM_DecodeAllRows(benchmark::State& state) { decode_step(state, nullptr); }

// A third of the vocabulary allowed, about the share of an English-only mask.
void BM_DecodeAllowedRows(benchmark::State& state) {
  std::vector<std::int32_t> rows;
  for (std::int32_t id = 0; id < 151936; id += 3) rows.push_back(id);
  decode_step(state, &rows);
}

BENCHMARK(BM_DecodeAllRows)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAllowedRows)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
