// `qwen3 bench`: prefill and decode speed of the forward pass, and how much of
// the machine's memory bandwidth decoding uses (decode streams every weight
// once per token, so bytes-per-token x tokens/s against the measured read
// bandwidth says how close to the hardware limit it runs).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/generation_flags.h"
#include "cli/run_options_flags.h"
#include "kernels/bandwidth.h"
#include "kernels/kernels.h"
#include "model/memory.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::cli {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct BenchArgs {
  ModelFlags model;
  int prompt_tokens = 512;
  int gen_tokens = 64;
  bool json = false;
  std::string english_only;  // a policy: also decode with only its rows, in the same run
  std::string tokenizer_dir;
};

// Decodes `n` tokens greedily from the session's position; returns the seconds.
double decode(const Model& model, Session& session, std::vector<float>& logits, int n,
              const std::vector<std::int32_t>* rows) {
  const auto t = Clock::now();
  for (int i = 0; i < n; ++i) {
    const TokenId next = static_cast<TokenId>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    model.forward({&next, 1}, session, logits.data(), rows);
  }
  return seconds_since(t);
}

void run(const BenchArgs& a) {
  if (a.prompt_tokens < 1) throw Error("--prompt-tokens " + std::to_string(a.prompt_tokens) + ": must be >= 1");
  if (a.gen_tokens < 1) throw Error("--gen-tokens " + std::to_string(a.gen_tokens) + ": must be >= 1");
  constexpr int kMaxTokens = 1 << 20;
  if (a.prompt_tokens > kMaxTokens || a.gen_tokens > kMaxTokens)
    throw Error("--prompt-tokens / --gen-tokens: at most " + std::to_string(kMaxTokens) + " each");
  const auto t_load = Clock::now();
  const auto model = a.model.open(a.prompt_tokens + a.gen_tokens);
  const double load_s = seconds_since(t_load);
  const int threads = model->options().threads;

  // A fixed pseudo-random prompt (the speed does not depend on the ids).
  const int V = model->config().vocab_size;
  std::vector<TokenId> prompt(a.prompt_tokens);
  std::uint64_t state = 12345;
  for (TokenId& id : prompt) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    id = static_cast<TokenId>((state >> 33) % static_cast<std::uint64_t>(std::min(V, 151643)));
  }
  std::vector<float> logits(V);
  Session session = model->new_session();
  const auto t_prefill = Clock::now();
  model->forward(prompt, session, logits.data());
  const double prefill_s = seconds_since(t_prefill);

  const std::vector<float> prompt_logits = logits;
  double decode_s = decode(*model, session, logits, a.gen_tokens, nullptr);

  // English-only decoding against plain decoding, alternated in one run (the
  // machine's noise hits both alike): the same steps, only the allowed rows
  // of the output projection computed.
  double english_s = 0, plain_s = 0;
  int english_rows = 0;
  if (!a.english_only.empty()) {
    const auto tokenizer = Tokenizer::load(a.tokenizer_dir.empty() ? default_tokenizer_dir() : std::filesystem::path(a.tokenizer_dir));
    const auto mask = vocab::make_mask(tokenizer, a.english_only);
    english_rows = mask.count();
    for (int round = 0; round < 3; ++round) {
      session.truncate(a.prompt_tokens);
      logits = prompt_logits;
      plain_s += decode(*model, session, logits, a.gen_tokens, nullptr);
      session.truncate(a.prompt_tokens);
      logits = prompt_logits;
      english_s += decode(*model, session, logits, a.gen_tokens, &mask.ids());
    }
  }

  const double prefill_tps = a.prompt_tokens / prefill_s, decode_tps = a.gen_tokens / decode_s;
  const double bytes_per_token = static_cast<double>(model->decode_bytes_per_token());
  const double decode_gbs = bytes_per_token * decode_tps / 1e9;
  // Peak memory is read before the bandwidth probe, whose 1 GiB buffer is not the model's.
  const double peak_rss_gib = static_cast<double>(model::peak_resident_bytes()) / (1024.0 * 1024.0 * 1024.0);
  const double bandwidth_gbs = kernels::measure_read_bandwidth_gbs(threads);
  if (a.json) {
    nlohmann::json out{{"threads", threads},
                                {"dtype", model->weight_dtype()},
                                {"prompt_tokens", a.prompt_tokens},
                                {"gen_tokens", a.gen_tokens},
                                {"load_s", load_s},
                                {"prefill_tokens_per_s", prefill_tps},
                                {"time_to_first_token_s", prefill_s},
                                {"decode_tokens_per_s", decode_tps},
                                {"decode_weight_bytes_per_token", bytes_per_token},
                                {"decode_bandwidth_gbs", decode_gbs},
                                {"machine_read_bandwidth_gbs", bandwidth_gbs},
                                {"bandwidth_fraction", decode_gbs / bandwidth_gbs},
                                {"peak_rss_gib", peak_rss_gib}};
    if (english_rows > 0) {
      out["english_only"] = {{"policy", a.english_only},
                             {"rows", english_rows},
                             {"plain_decode_tokens_per_s", 3 * a.gen_tokens / plain_s},
                             {"english_decode_tokens_per_s", 3 * a.gen_tokens / english_s},
                             {"speedup", plain_s / english_s}};
    }
    std::cout << out.dump() << "\n";
    return;
  }
  std::printf("model             %d layers, hidden %d, %s weights, %d threads (load %.2f s)\n",
              model->config().num_hidden_layers, model->config().hidden_size, model->weight_dtype().c_str(), threads, load_s);
  std::printf("prefill           %d tokens in %.3f s: %.2f tokens/s (time to first token %.3f s)\n", a.prompt_tokens,
              prefill_s, prefill_tps, prefill_s);
  std::printf("decode            %d tokens in %.3f s: %.2f tokens/s\n", a.gen_tokens, decode_s, decode_tps);
  std::printf("decode bandwidth  %.2f GB/s (%.1f MB of weights per token) = %.0f%% of the measured %.2f GB/s\n",
              decode_gbs, bytes_per_token / 1e6, 100.0 * decode_gbs / bandwidth_gbs, bandwidth_gbs);
  std::printf("peak resident     %.2f GiB\n", peak_rss_gib);
  if (english_rows > 0)
    std::printf("english-only      %s: %d of %d output rows; decode %.2f vs %.2f tokens/s plain = %.3fx\n",
                a.english_only.c_str(), english_rows, V, 3 * a.gen_tokens / english_s, 3 * a.gen_tokens / plain_s,
                plain_s / english_s);
}

const CommandRegistration registration("bench", [](CLI::App& program) {
  auto* cmd = program.add_subcommand("bench", "Measure prefill and decode speed and the decode memory bandwidth");
  auto a = std::make_shared<BenchArgs>();
  add_model_flags(*cmd, a->model);
  cmd->add_option("--prompt-tokens", a->prompt_tokens, "Prompt length (prefill, one batch)")->capture_default_str();
  cmd->add_option("--gen-tokens", a->gen_tokens, "Tokens decoded one at a time")->capture_default_str();
  cmd->add_flag("--json", a->json, "One JSON object with every figure");
  cmd->add_option_function<std::string>(
         "--english-only", [a](const std::string& v) { a->english_only = v.empty() ? kDefaultEnglishPolicy : v; },
         "Also decode with only this policy's output rows (ascii, latin (default), ...) and report the speed-up")
      ->expected(0, 1);
  cmd->add_option("--tokenizer", a->tokenizer_dir, "Tokenizer folder for --english-only (default: the fetched Qwen3 tokenizer)");
  cmd->callback([a] { run(*a); });
});

}  // namespace
}  // namespace qwen3::cli
