// The benchmark: one prefill, then decoding through generate() in its
// fixed-length mode, and the same run's memory-bandwidth probe.
#include <chrono>

#include "kernels/bandwidth.h"
#include "model/memory.h"
#include "qwen3/bench.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3 {
namespace {

using Clock = std::chrono::steady_clock;

void check(const BenchOptions& o) {
  constexpr int kMaxTokens = 1 << 20;
  auto in_range = [](const char* field, int v, int lo, int hi) {
    if (v < lo || v > hi)
      throw Error(std::string(field) + " = " + std::to_string(v) + " is out of range: expected " + std::to_string(lo) +
                  " .. " + std::to_string(hi));
  };
  in_range("prompt_tokens", o.prompt_tokens, 1, kMaxTokens);
  in_range("gen_tokens", o.gen_tokens, 1, kMaxTokens);
  in_range("rounds", o.rounds, 1, 1000);
}

// A fixed pseudo-random prompt of ordinary tokens (the speed does not depend on the ids).
std::vector<TokenId> bench_prompt(int n, int vocab) {
  std::vector<TokenId> prompt(static_cast<std::size_t>(n));
  std::uint64_t state = 12345;
  for (TokenId& id : prompt) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<TokenId>((state >> 33) % static_cast<std::uint64_t>(std::min(vocab, 151643)));
  }
  return prompt;
}

}  // namespace

BenchReport run_benchmark(const Settings& settings, const BenchOptions& o) {
  check(o);
  BenchReport r;
  const auto t_load = Clock::now();
  const auto model = open_model(settings, o.prompt_tokens + o.gen_tokens + 1);
  r.load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
  const Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(settings));
  const ModelConfig& c = model->config();
  r.threads = model->options().threads;
  r.dtype = model->weight_dtype();
  r.layers = c.num_hidden_layers;
  r.hidden_size = c.hidden_size;
  r.vocab_size = c.vocab_size;

  // The generation loop in its fixed-length mode: greedy, no stop token;
  // gen_tokens + 1 sampled ids are gen_tokens decode steps after the first.
  GenerationOptions options;
  options.sampling.temperature = 0.0f;
  options.sampling.max_new_tokens = o.gen_tokens + 1;
  options.ignore_eos = true;
  ModelRunner runner(*model);
  const auto prompt = bench_prompt(o.prompt_tokens, c.vocab_size);
  const GenerationResult first = generate(runner, tokenizer, prompt, options);
  r.prefill_s = first.usage.time_to_first_token_ms / 1000.0;
  r.prefill_tokens_per_s = o.prompt_tokens / r.prefill_s;
  r.decode_tokens_per_s = first.usage.tokens_per_second;

  if (!o.english_only.empty()) {
    const vocab::TokenMask mask = vocab::make_mask(tokenizer, o.english_only);
    r.english_rows = mask.count();
    GenerationOptions english = options;
    english.allowed = &mask;
    double plain_s = 0, english_s = 0;
    // Each call reuses the cached prompt and decodes gen_tokens steps again.
    for (int round = 0; round < o.rounds; ++round) {
      plain_s += o.gen_tokens / generate(runner, tokenizer, prompt, options).usage.tokens_per_second;
      english_s += o.gen_tokens / generate(runner, tokenizer, prompt, english).usage.tokens_per_second;
    }
    r.plain_decode_tokens_per_s = o.rounds * o.gen_tokens / plain_s;
    r.english_decode_tokens_per_s = o.rounds * o.gen_tokens / english_s;
  }

  r.decode_bytes_per_token = static_cast<double>(model->decode_bytes_per_token());
  r.decode_gbs = r.decode_bytes_per_token * r.decode_tokens_per_s / 1e9;
  // Peak memory is read before the bandwidth probe, whose buffer is not the model's.
  r.peak_resident_gib = static_cast<double>(model::peak_resident_bytes()) / (1024.0 * 1024.0 * 1024.0);
  r.machine_read_gbs = kernels::measure_read_bandwidth_gbs(r.threads);
  return r;
}

}  // namespace qwen3
