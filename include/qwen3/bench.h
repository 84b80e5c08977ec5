#pragma once
// `qwen3 bench` as a library call: prefill and decode speed of the model the
// settings name, measured through the engine's generation loop in its
// fixed-length mode (ignore_eos, greedy), and how close decoding runs to the
// machine's memory bandwidth measured in the same run (decoding streams
// every weight once per token).
#include <cstdint>
#include <string>

#include "qwen3/settings.h"

namespace qwen3 {

struct BenchOptions {
  int prompt_tokens = 512;  // prefilled in one call
  int gen_tokens = 64;      // decoded one at a time
  // An English-only policy ("latin", ...): also decode with only its output
  // rows, alternated with plain decoding over `rounds` rounds (the machine's
  // noise hits both alike). Empty: not measured.
  std::string english_only;
  int rounds = 3;
};

struct BenchReport {
  int threads = 0;
  std::string dtype;  // of the weights as held
  int layers = 0, hidden_size = 0, vocab_size = 0;
  double load_s = 0;
  double prefill_s = 0;  // the prompt, to the first token (time to first token)
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  double decode_bytes_per_token = 0;  // weights read per decoded token
  double decode_gbs = 0;              // bytes per token x tokens/s
  double machine_read_gbs = 0;        // the same run's bandwidth probe
  double peak_resident_gib = 0;       // before the probe's own buffer
  // With english_only:
  int english_rows = 0;
  double plain_decode_tokens_per_s = 0, english_decode_tokens_per_s = 0;

  double bandwidth_fraction() const { return machine_read_gbs > 0 ? decode_gbs / machine_read_gbs : 0; }
  double english_speedup() const {
    return plain_decode_tokens_per_s > 0 ? english_decode_tokens_per_s / plain_decode_tokens_per_s : 0;
  }
};

// Loads the model the settings name (a context of prompt + gen tokens unless
// ctx is set) and measures it. Throws qwen3::Error for bad options, naming
// the field (prompt_tokens, gen_tokens, rounds).
BenchReport run_benchmark(const Settings& settings, const BenchOptions& options);

}  // namespace qwen3
