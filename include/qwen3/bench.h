#pragma once
// `qwen3 bench` as a library call: prefill and decode speed of the model the
// settings name, measured through the engine's generation loop in its
// fixed-length mode (ignore_eos, greedy), judged against the machine's limits
// measured in the same run: decoding streams every weight (and the KV cache)
// once per token, so its limit is the read bandwidth; prefill multiplies
// matrices, so its limit is the cores' bf16 multiply-add rate. Hosts differ
// 2-3x and a shared host swings from run to run: only same-run fractions
// compare.
#include <cstdint>
#include <string>

#include "qwen3/settings.h"

namespace qwen3 {

struct BenchOptions {
  int prompt_tokens = 512;  // prefilled in one call
  int gen_tokens = 64;      // decoded one at a time
  // Decode after this many tokens of context (the prompt is then this long);
  // 0: after the prompt of prompt_tokens.
  int depth = 0;
  // With depth: the context's keys and values are pseudo-random, written
  // without running it (Model::fill_synthetic), so decode at 16k-32k tokens
  // is measured without minutes of prefill. No prefill figures then.
  bool synthetic_context = false;
  int repeat = 1;  // independent runs (a fresh cache each): min, median, max
  // An English-only policy ("latin", ...): also decode with only its output
  // rows, alternated with plain decoding over `rounds` rounds (the machine's
  // noise hits both alike). Empty: not measured.
  std::string english_only;
  int rounds = 3;
};

// A figure measured several times.
struct Spread {
  double median = 0, min = 0, max = 0;
};

struct BenchReport {
  int threads = 0;
  std::string dtype;            // of the weights as held
  std::string decode_schedule;  // Model::decode_schedule(): empty when no matrix is packed
  std::string activations;      // "f32" | "bf16": what the weights are multiplied with
  int layers = 0, hidden_size = 0, vocab_size = 0;
  double load_s = 0;
  int context_tokens = 0;        // the prompt: prompt_tokens, or depth
  bool prefill_measured = true;  // false with synthetic_context
  Spread prefill_s;              // the prompt, to the first token (time to first token)
  Spread prefill_tokens_per_s;
  Spread decode_tokens_per_s;
  double prefill_flops_per_token = 0;  // 2 x the matrix parameters of the layers
  double weight_bytes_per_token = 0;   // weights read per decoded token
  double kv_bytes_per_token = 0;       // KV cache read per decoded token at the context's depth
  Spread machine_read_gbs;             // the bandwidth probe, passes before and after the runs
  Spread bf16_peak_gflops;             // the peak probe (0 where the CPU has no AVX512_BF16)
  double peak_resident_gib = 0;        // before the probes' own buffers
  // With english_only:
  int english_rows = 0;
  double plain_decode_tokens_per_s = 0, english_decode_tokens_per_s = 0;

  double decode_bytes_per_token() const { return weight_bytes_per_token + kv_bytes_per_token; }
  double decode_gbs() const { return decode_bytes_per_token() * decode_tokens_per_s.median / 1e9; }
  // Decode's read rate over the same run's median bandwidth.
  double bandwidth_fraction() const { return machine_read_gbs.median > 0 ? decode_gbs() / machine_read_gbs.median : 0; }
  double prefill_gflops() const { return prefill_flops_per_token * prefill_tokens_per_s.median / 1e9; }
  // Prefill's arithmetic rate over the same run's bf16 peak.
  double prefill_peak_fraction() const {
    return bf16_peak_gflops.median > 0 ? prefill_gflops() / bf16_peak_gflops.median : 0;
  }
  double english_speedup() const {
    return plain_decode_tokens_per_s > 0 ? english_decode_tokens_per_s / plain_decode_tokens_per_s : 0;
  }
};

// Loads the model the settings name (a context of prompt + gen tokens unless
// ctx is set) and measures it. Throws qwen3::Error for bad options, naming
// the field (prompt_tokens, gen_tokens, depth, repeat, rounds).
BenchReport run_benchmark(const Settings& settings, const BenchOptions& options);

}  // namespace qwen3
