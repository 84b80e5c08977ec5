// Tokenizer speed: load time of tokenizer.json and single-thread encode
// throughput on a mixed corpus (English prose, code, CJK). The corpus is built
// by bench/baseline/make_corpus.js and passed in QWEN3_TOKENIZER_CORPUS;
// bench/tokenizer_vs_hf.sh runs this next to Hugging Face's tokenizer on the
// same corpus and prints the ratio (docs/performance.md, "Tokenizer").
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "common/file.h"
#include "qwen3/tokenizer.h"

namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

const std::string& tokenizer_dir() {
  static const std::string dir = env_or_empty("QWEN3_TOKENIZER_DIR");
  return dir;
}

void BM_Load(benchmark::State& state) {
  if (tokenizer_dir().empty()) return state.SkipWithError("set QWEN3_TOKENIZER_DIR");
  for (auto _ : state) {
    qwen3::Tokenizer tok = qwen3::Tokenizer::load(tokenizer_dir());
    benchmark::DoNotOptimize(tok.vocab_size());
  }
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond)->Iterations(10);

const std::string& corpus() {
  static const std::string text = [] {
    std::string path = env_or_empty("QWEN3_TOKENIZER_CORPUS");
    return path.empty() ? std::string() : qwen3::read_file(path);
  }();
  return text;
}

// Every iteration with a fresh tokenizer (empty word cache): the first encode
// of a text. Load time is excluded.
void BM_EncodeCold(benchmark::State& state) {
  if (tokenizer_dir().empty() || corpus().empty())
    return state.SkipWithError("set QWEN3_TOKENIZER_DIR and QWEN3_TOKENIZER_CORPUS");
  std::size_t tokens = 0;
  for (auto _ : state) {
    state.PauseTiming();
    qwen3::Tokenizer tok = qwen3::Tokenizer::load(tokenizer_dir());
    state.ResumeTiming();
    tokens = tok.encode(corpus()).size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().size()));
  state.counters["tokens"] = static_cast<double>(tokens);
}
BENCHMARK(BM_EncodeCold)->Unit(benchmark::kMillisecond)->Iterations(5);

// The same tokenizer encoding the corpus again and again (warm word cache).
void BM_EncodeWarm(benchmark::State& state) {
  if (tokenizer_dir().empty() || corpus().empty())
    return state.SkipWithError("set QWEN3_TOKENIZER_DIR and QWEN3_TOKENIZER_CORPUS");
  static const qwen3::Tokenizer tok = qwen3::Tokenizer::load(tokenizer_dir());
  for (auto _ : state) benchmark::DoNotOptimize(tok.encode(corpus()).size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus().size()));
}
BENCHMARK(BM_EncodeWarm)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
