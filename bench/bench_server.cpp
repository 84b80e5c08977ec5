// Figures for `qwen3 serve` (docs/performance.md, "Server"):
//  1. aggregate decode tokens/s with 1, 2, 4, 8 concurrent streams: one
//     Model::forward_batch per step over every stream (what the scheduler
//     runs), against the single-stream rate;
//  2. time to first token of a short request while a long prompt is being
//     prefilled, with chunked prefill (the server's default) and without.
//
//   bench_server [--model-config qwen3-4b] [--model DIR] [--threads 2] [--streams 1,2,4,8]
//                [--steps 8] [--long 2000] [--chunk 256] [--skip-ttft]
// Without --model: the config's shapes on qwen3-dummy-v1 weights (BF16).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "qwen3/engine.h"
#include "server/scheduler.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace qwen3;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::size_t at = 0;
  while (at < s.size()) {
    const auto comma = s.find(',', at);
    out.push_back(std::stoi(s.substr(at, comma - at)));
    at = comma == std::string::npos ? s.size() : comma + 1;
  }
  return out;
}

// Tokens/s of `streams` sequences decoded together, `steps` steps after a short prefill.
double decode_rate(const Model& model, int streams, int steps) {
  const int V = static_cast<int>(model.config().vocab_size);
  std::vector<Session> sessions;
  std::vector<std::vector<float>> logits(streams, std::vector<float>(V));
  std::vector<std::vector<TokenId>> input(streams);
  for (int i = 0; i < streams; ++i) {
    sessions.push_back(model.new_session());
    for (int t = 0; t < 8; ++t) input[i].push_back(1000 + 97 * i + t);
  }
  auto step = [&] {
    std::vector<BatchEntry> entries;
    for (int i = 0; i < streams; ++i) entries.push_back({input[i], &sessions[i], logits[i].data(), nullptr});
    model.forward_batch(entries);
    for (int i = 0; i < streams; ++i) input[i] = {static_cast<TokenId>(100 + i)};
  };
  step();  // prefill
  step();  // warm
  const auto t0 = Clock::now();
  for (int s = 0; s < steps; ++s) step();
  return streams * steps / seconds_since(t0);
}

// Seconds from submitting a 16-token request until its first token, while a
// `long_tokens` prompt submitted just before it is being prefilled.
double ttft_during_prefill(const Engine& engine, int long_tokens, int chunk) {
  server::Scheduler scheduler(engine, {2, 4, chunk});
  GenerationOptions o = engine.options_for(SamplingMode::NonThinking);
  o.sampling.max_new_tokens = 1;
  o.sampling.seed = 1;
  std::vector<TokenId> long_prompt, short_prompt;
  for (int t = 0; t < long_tokens; ++t) long_prompt.push_back(1000 + t % 5000);
  for (int t = 0; t < 16; ++t) short_prompt.push_back(2000 + t);
  auto long_job = scheduler.submit(long_prompt, o);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto t0 = Clock::now();
  auto short_job = scheduler.submit(short_prompt, o);
  for (bool done = false; !done;)
    for (const auto& e : short_job->wait(std::chrono::milliseconds(100)))
      done = done || e.type == server::JobEvent::Type::Done;
  const double ttft = seconds_since(t0);
  long_job->cancel();
  return ttft;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = "qwen3-4b", model_dir;
  int threads = 2, steps = 8, long_tokens = 2000, chunk = 256;
  bool ttft = true;
  std::vector<int> streams{1, 2, 4, 8};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (a == "--model-config")
      config = next();
    else if (a == "--model")
      model_dir = next();
    else if (a == "--threads")
      threads = std::stoi(next());
    else if (a == "--streams")
      streams = parse_list(next());
    else if (a == "--steps")
      steps = std::stoi(next());
    else if (a == "--long")
      long_tokens = std::stoi(next());
    else if (a == "--chunk")
      chunk = std::stoi(next());
    else if (a == "--skip-ttft")
      ttft = false;
    else {
      std::fprintf(stderr, "bench_server: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  SettingsSources sources;
  if (model_dir.empty()) {
    sources.command_line.model_config = config;
    sources.command_line.dummy_weights = true;
  } else {
    sources.command_line.model = model_dir;
  }
  sources.command_line.threads = threads;
  sources.command_line.ctx = 4096;
  const auto t_load = Clock::now();
  const Engine engine(resolve(sources));
  std::printf("model: %s, %s weights, %d threads (loaded in %.1f s)\n",
              model_dir.empty() ? config.c_str() : model_dir.c_str(), engine.model().weight_dtype().c_str(), threads,
              seconds_since(t_load));

  double single = 0;
  std::printf("%8s %14s %10s\n", "streams", "tokens/s", "x single");
  for (int n : streams) {
    const double rate = decode_rate(engine.model(), n, steps);
    if (n == 1) single = rate;
    std::printf("%8d %14.2f %10.2f\n", n, rate, single > 0 ? rate / single : 0.0);
    std::fflush(stdout);
  }
  if (ttft) {
    const double chunked = ttft_during_prefill(engine, long_tokens, chunk);
    std::printf("time to first token of a 16-token request during a %d-token prefill: %.2f s (chunks of %d)\n",
                long_tokens, chunked, chunk);
    std::fflush(stdout);
    const double whole = ttft_during_prefill(engine, long_tokens, long_tokens + 16);
    std::printf("time to first token of a 16-token request during a %d-token prefill: %.2f s (no chunking)\n",
                long_tokens, whole);
  }
  return 0;
}
