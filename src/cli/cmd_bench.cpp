// `qwen3 bench`: prefill and decode speed of the forward pass, and how much of
// the machine's memory bandwidth decoding uses (qwen3/bench.h).
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "cli/reply_printer.h"
#include "qwen3/bench.h"

namespace qwen3::cli::cmd_bench {
namespace {

struct BenchFlags {
  OptionFlags options;
  BenchOptions bench;
  bool json = false;
};

nlohmann::ordered_json spread_json(const Spread& s) { return {{"median", s.median}, {"min", s.min}, {"max", s.max}}; }

void print_json(const BenchReport& r, const BenchOptions& o) {
  nlohmann::ordered_json out{{"threads", r.threads},
                             {"dtype", r.dtype},
                             {"decode_schedule", r.decode_schedule},
                             {"activations", r.activations},
                             {"prompt_tokens", r.context_tokens},
                             {"synthetic_context", !r.prefill_measured},
                             {"gen_tokens", o.gen_tokens},
                             {"repeat", o.repeat},
                             {"load_s", r.load_s},
                             {"prefill_tokens_per_s", r.prefill_tokens_per_s.median},
                             {"time_to_first_token_s", r.prefill_s.median},
                             {"decode_tokens_per_s", r.decode_tokens_per_s.median},
                             {"decode_weight_bytes_per_token", r.weight_bytes_per_token},
                             {"decode_kv_bytes_per_token", r.kv_bytes_per_token},
                             {"decode_bandwidth_gbs", r.decode_gbs()},
                             {"machine_read_bandwidth_gbs", r.machine_read_gbs.median},
                             {"bandwidth_fraction", r.bandwidth_fraction()},
                             {"prefill_gflops", r.prefill_gflops()},
                             {"machine_bf16_peak_gflops", r.bf16_peak_gflops.median},
                             {"prefill_peak_fraction", r.prefill_peak_fraction()},
                             {"peak_rss_gib", r.peak_resident_gib},
                             {"spread",
                              {{"prefill_tokens_per_s", spread_json(r.prefill_tokens_per_s)},
                               {"time_to_first_token_s", spread_json(r.prefill_s)},
                               {"decode_tokens_per_s", spread_json(r.decode_tokens_per_s)},
                               {"machine_read_bandwidth_gbs", spread_json(r.machine_read_gbs)},
                               {"machine_bf16_peak_gflops", spread_json(r.bf16_peak_gflops)}}}};
  if (r.english_rows > 0)
    out["english_only"] = {{"policy", o.english_only},
                           {"rows", r.english_rows},
                           {"plain_decode_tokens_per_s", r.plain_decode_tokens_per_s},
                           {"english_decode_tokens_per_s", r.english_decode_tokens_per_s},
                           {"speedup", r.english_speedup()}};
  std::cout << dump_json(out) << "\n";
}

// "12.3 (min 11.9, max 12.8)" with `repeat` runs, "12.3" with one.
std::string figure(const Spread& s, const char* format) {
  char buf[128];
  std::snprintf(buf, sizeof buf, format, s.median);
  std::string out = buf;
  if (s.min != s.max) {
    std::snprintf(buf, sizeof buf, format, s.min);
    out += std::string(" (min ") + buf;
    std::snprintf(buf, sizeof buf, format, s.max);
    out += std::string(", max ") + buf + ")";
  }
  return out;
}

void print_text(const BenchReport& r, const BenchOptions& o) {
  std::printf("model             %d layers, hidden %d, %s weights, %s activations, %d threads (load %.2f s)\n",
              r.layers, r.hidden_size, r.dtype.c_str(), r.activations.c_str(), r.threads, r.load_s);
  std::printf("machine           read bandwidth %s GB/s; bf16 peak %s GFLOP/s (same run)\n",
              figure(r.machine_read_gbs, "%.2f").c_str(), figure(r.bf16_peak_gflops, "%.0f").c_str());
  if (r.prefill_measured) {
    std::printf("prefill           %d tokens: %s tokens/s, time to first token %s s\n", r.context_tokens,
                figure(r.prefill_tokens_per_s, "%.2f").c_str(), figure(r.prefill_s, "%.3f").c_str());
    std::printf("prefill compute   %.0f GFLOP/s (%.2f GFLOP per token) = %.0f%% of the bf16 peak\n", r.prefill_gflops(),
                r.prefill_flops_per_token / 1e9, 100.0 * r.prefill_peak_fraction());
  } else {
    std::printf("prefill           not measured: the %d tokens of context are synthetic (--synthetic-depth)\n",
                r.context_tokens);
  }
  std::printf("decode            %d tokens after %d of context: %s tokens/s\n", o.gen_tokens, r.context_tokens,
              figure(r.decode_tokens_per_s, "%.2f").c_str());
  std::printf(
      "decode bandwidth  %.2f GB/s (%.1f MB of weights + %.1f MB of KV cache per token) = %.0f%% of the "
      "measured %.2f GB/s\n",
      r.decode_gbs(), r.weight_bytes_per_token / 1e6, r.kv_bytes_per_token / 1e6, 100.0 * r.bandwidth_fraction(),
      r.machine_read_gbs.median);
  if (!r.decode_schedule.empty()) std::printf("decode schedule   %s\n", r.decode_schedule.c_str());
  std::printf("peak resident     %.2f GiB\n", r.peak_resident_gib);
  if (r.english_rows > 0)
    std::printf("english-only      %s: %d of %d output rows; decode %.2f vs %.2f tokens/s plain = %.3fx\n",
                o.english_only.c_str(), r.english_rows, r.vocab_size, r.english_decode_tokens_per_s,
                r.plain_decode_tokens_per_s, r.english_speedup());
}

const CommandRegistration registration("bench", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("bench", "Measure prefill and decode speed and the decode memory bandwidth");
  auto f = std::make_shared<BenchFlags>();
  add_option_flags(*cmd, f->options, kModelAndTokenizerOptions);
  cmd->add_option("--prompt-tokens", f->bench.prompt_tokens, "Prompt length (prefill, one call)")
      ->capture_default_str();
  cmd->add_option("--gen-tokens", f->bench.gen_tokens, "Tokens decoded one at a time")->capture_default_str();
  cmd->add_option("--depth", f->bench.depth,
                  "Decode after N tokens of context (the prompt is then N tokens; KV-cache reads counted)")
      ->type_name("N");
  cmd->add_flag("--synthetic-depth", f->bench.synthetic_context,
                "With --depth: fill the context's KV cache with pseudo-random keys and values instead of prefilling "
                "it (decode at 16k-32k without minutes of prefill; no prefill figures)");
  cmd->add_option("--repeat", f->bench.repeat, "Independent runs; figures as median (min, max)")->capture_default_str();
  cmd->add_flag("--json", f->json, "One JSON object with every figure");
  cmd->add_option_function<std::string>(
         "--english-only", [f](const std::string& v) { f->bench.english_only = v.empty() ? kDefaultEnglishPolicy : v; },
         "Also decode with only this policy's output rows (ascii, latin (default), ...) and report the speed-up")
      ->expected(0, 1);
  cmd->callback([f] {
    const BenchReport r = run_benchmark(resolve_options(f->options), f->bench);
    if (f->json)
      print_json(r, f->bench);
    else
      print_text(r, f->bench);
  });
});

}  // namespace
}  // namespace qwen3::cli::cmd_bench
