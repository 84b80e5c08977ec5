// `qwen3 bench`: prefill and decode speed of the forward pass, and how much of
// the machine's memory bandwidth decoding uses (qwen3/bench.h).
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "cli/reply_printer.h"
#include "qwen3/bench.h"

namespace qwen3::cli {
namespace {

struct BenchFlags {
  OptionFlags options;
  BenchOptions bench;
  bool json = false;
};

void print_json(const BenchReport& r, const BenchOptions& o) {
  nlohmann::ordered_json out{{"threads", r.threads},
                             {"dtype", r.dtype},
                             {"prompt_tokens", o.prompt_tokens},
                             {"gen_tokens", o.gen_tokens},
                             {"load_s", r.load_s},
                             {"prefill_tokens_per_s", r.prefill_tokens_per_s},
                             {"time_to_first_token_s", r.prefill_s},
                             {"decode_tokens_per_s", r.decode_tokens_per_s},
                             {"decode_weight_bytes_per_token", r.decode_bytes_per_token},
                             {"decode_bandwidth_gbs", r.decode_gbs},
                             {"machine_read_bandwidth_gbs", r.machine_read_gbs},
                             {"bandwidth_fraction", r.bandwidth_fraction()},
                             {"peak_rss_gib", r.peak_resident_gib}};
  if (r.english_rows > 0)
    out["english_only"] = {{"policy", o.english_only},
                           {"rows", r.english_rows},
                           {"plain_decode_tokens_per_s", r.plain_decode_tokens_per_s},
                           {"english_decode_tokens_per_s", r.english_decode_tokens_per_s},
                           {"speedup", r.english_speedup()}};
  std::cout << dump_json(out) << "\n";
}

void print_text(const BenchReport& r, const BenchOptions& o) {
  std::printf("model             %d layers, hidden %d, %s weights, %d threads (load %.2f s)\n", r.layers, r.hidden_size,
              r.dtype.c_str(), r.threads, r.load_s);
  std::printf("prefill           %d tokens in %.3f s: %.2f tokens/s (time to first token %.3f s)\n", o.prompt_tokens,
              r.prefill_s, r.prefill_tokens_per_s, r.prefill_s);
  std::printf("decode            %d tokens: %.2f tokens/s\n", o.gen_tokens, r.decode_tokens_per_s);
  std::printf("decode bandwidth  %.2f GB/s (%.1f MB of weights per token) = %.0f%% of the measured %.2f GB/s\n",
              r.decode_gbs, r.decode_bytes_per_token / 1e6, 100.0 * r.bandwidth_fraction(), r.machine_read_gbs);
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
}  // namespace qwen3::cli
