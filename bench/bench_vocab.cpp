// Classifying the whole Qwen3 vocabulary (target: under 100 ms) and building
// the English masks. Baseline in the same run: only copying every token's
// bytes out of the tokenizer, the floor any classification pays.
//   QWEN3_TOKENIZER_DIR=DIR build-x/bench/bench_vocab
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <optional>

#include "qwen3/tokenizer.h"
#include "qwen3/vocab.h"

namespace {

const qwen3::Tokenizer* tokenizer() {
  static std::optional<qwen3::Tokenizer> tok = [] {
    const char* dir = std::getenv("QWEN3_TOKENIZER_DIR");
    return dir && *dir ? std::optional(qwen3::Tokenizer::load(dir)) : std::nullopt;
  }();
  return tok ? &*tok : nullptr;
}

void BM_CopyTokenBytes(benchmark::State& state) {
  if (!tokenizer()) return state.SkipWithError("set QWEN3_TOKENIZER_DIR");
  for (auto _ : state) {
    std::vector<std::string> bytes(static_cast<std::size_t>(tokenizer()->vocab_size()));
    for (qwen3::TokenId id = 0; id < tokenizer()->vocab_size(); ++id) bytes[id] = tokenizer()->token_bytes(id);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetItemsProcessed(state.iterations() * qwen3::Tokenizer::kEmbeddingRows);
}

void BM_ClassifyVocabulary(benchmark::State& state) {
  if (!tokenizer()) return state.SkipWithError("set QWEN3_TOKENIZER_DIR");
  for (auto _ : state) {
    auto table = qwen3::vocab::VocabTable::classify(*tokenizer());
    benchmark::DoNotOptimize(table.rows());
  }
  state.SetItemsProcessed(state.iterations() * qwen3::Tokenizer::kEmbeddingRows);
}

void BM_BuildMask(benchmark::State& state, const char* spec) {
  if (!tokenizer()) return state.SkipWithError("set QWEN3_TOKENIZER_DIR");
  auto table = qwen3::vocab::VocabTable::classify(*tokenizer());
  auto policy = qwen3::vocab::Policy::parse(spec);
  for (auto _ : state) {
    auto mask = qwen3::vocab::build_mask(table, policy);
    benchmark::DoNotOptimize(mask.count());
  }
  state.SetItemsProcessed(state.iterations() * table.rows());
}

BENCHMARK(BM_CopyTokenBytes)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClassifyVocabulary)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildMask, ascii, "ascii")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_BuildMask, latin, "latin")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
