// The benchmark: `repeat` runs of one prefill and gen_tokens decode steps
// through generate() in its fixed-length mode, between passes of the
// bandwidth probe, then the bf16 peak probe.
#include <algorithm>
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
  in_range("depth", o.depth, 0, kMaxTokens);
  in_range("repeat", o.repeat, 1, 1000);
  in_range("rounds", o.rounds, 1, 1000);
  if (o.synthetic_context && o.depth < 2)
    throw Error("synthetic_context: needs a depth of 2 tokens or more (the context it fills), got depth = " +
                std::to_string(o.depth));
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

Spread spread_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

// Multiply-adds of one token through the layers' matrices, x2 flops.
double layer_flops_per_token(const ModelConfig& c) {
  const double h = c.hidden_size, q = double(c.num_attention_heads) * c.head_dim,
               kv = double(c.num_key_value_heads) * c.head_dim, i = c.intermediate_size;
  return 2.0 * c.num_hidden_layers * (h * q + 2 * h * kv + q * h + 3 * h * i);
}

}  // namespace

BenchReport run_benchmark(const Settings& settings, const BenchOptions& o) {
  check(o);
  BenchReport r;
  const int context = o.depth > 0 ? o.depth : o.prompt_tokens;
  const auto t_load = Clock::now();
  const auto model = open_model(settings, context + o.gen_tokens + 1);
  r.load_s = std::chrono::duration<double>(Clock::now() - t_load).count();
  const Tokenizer tokenizer = Tokenizer::load(tokenizer_dir(settings));
  const ModelConfig& c = model->config();
  r.threads = model->options().threads;
  r.dtype = model->weight_dtype();
  r.decode_schedule = model->decode_schedule();
  r.activations = model->options().activations == ActivationDType::BF16 ? "bf16" : "f32";
  r.layers = c.num_hidden_layers;
  r.hidden_size = c.hidden_size;
  r.vocab_size = c.vocab_size;
  r.context_tokens = context;
  r.prefill_flops_per_token = layer_flops_per_token(c);
  r.weight_bytes_per_token = static_cast<double>(model->decode_bytes_per_token());
  // Each decode step reads the cache of the whole context (middle of the run).
  r.kv_bytes_per_token =
      static_cast<double>(Model::kv_cache_bytes(c, context + o.gen_tokens / 2, model->options().kv_dtype));

  const kernels::ProbeResult before = kernels::measure_read_bandwidth(r.threads);
  model::reset_peak_resident();  // the probe's buffer is gone: the peak is the model's from here

  // The generation loop in its fixed-length mode: greedy, no stop token;
  // gen_tokens + 1 sampled ids are gen_tokens decode steps after the first.
  GenerationOptions options;
  options.sampling.temperature = 0.0f;
  options.sampling.max_new_tokens = o.gen_tokens + 1;
  options.ignore_eos = true;
  const auto prompt = bench_prompt(context, c.vocab_size);
  std::vector<double> prefill_s, prefill_tps, decode_tps;
  std::unique_ptr<ModelRunner> runner;
  for (int run = 0; run < o.repeat; ++run) {
    runner = std::make_unique<ModelRunner>(*model);  // a fresh cache: the whole prompt is prefilled
    // Synthetic: all but the last token written without running them; the
    // generation then reuses them and runs only the last.
    if (o.synthetic_context) runner->fill_synthetic(std::span(prompt).first(prompt.size() - 1));
    const GenerationResult g = generate(*runner, tokenizer, prompt, options);
    if (!o.synthetic_context) {
      prefill_s.push_back(g.usage.time_to_first_token_ms / 1000.0);
      prefill_tps.push_back(context / prefill_s.back());
    }
    decode_tps.push_back(g.usage.tokens_per_second);
  }
  r.prefill_measured = !o.synthetic_context;
  if (r.prefill_measured) {
    r.prefill_s = spread_of(prefill_s);
    r.prefill_tokens_per_s = spread_of(prefill_tps);
  }
  r.decode_tokens_per_s = spread_of(decode_tps);

  if (!o.english_only.empty()) {
    const vocab::TokenMask mask = vocab::make_mask(tokenizer, o.english_only);
    r.english_rows = mask.count();
    GenerationOptions english = options;
    english.allowed = &mask;
    double plain_s = 0, english_s = 0;
    // Each call reuses the cached prompt and decodes gen_tokens steps again.
    for (int round = 0; round < o.rounds; ++round) {
      plain_s += o.gen_tokens / generate(*runner, tokenizer, prompt, options).usage.tokens_per_second;
      english_s += o.gen_tokens / generate(*runner, tokenizer, prompt, english).usage.tokens_per_second;
    }
    r.plain_decode_tokens_per_s = o.rounds * o.gen_tokens / plain_s;
    r.english_decode_tokens_per_s = o.rounds * o.gen_tokens / english_s;
  }

  // Peak memory is read before the next probes, whose buffers are not the model's.
  r.peak_resident_gib = static_cast<double>(model::peak_resident_bytes()) / (1024.0 * 1024.0 * 1024.0);
  runner.reset();
  const kernels::ProbeResult after = kernels::measure_read_bandwidth(r.threads);
  // Before and after the runs: the median of both, the spread of every pass.
  r.machine_read_gbs = {(before.median + after.median) / 2, std::min(before.min, after.min),
                        std::max(before.max, after.max)};
  const kernels::ProbeResult peak = kernels::measure_bf16_peak_gflops(r.threads);
  r.bf16_peak_gflops = {peak.median, peak.min, peak.max};
  return r;
}

}  // namespace qwen3
