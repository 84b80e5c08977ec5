#include "cli/run_options_flags.h"

#include <algorithm>
#include <charconv>
#include <thread>

#include "qwen3/error.h"

namespace qwen3::cli {
namespace fs = std::filesystem;

CLI::Option* add_run_options(CLI::App& cmd, RunOptions& options) {
  cmd.add_option("--device", options.device, "Where to run: cpu (the only backend so far)")
      ->capture_default_str();
  cmd.add_option_function<std::string>(
         "--dtype",
         [&options](const std::string& s) {
           options.dtype = s == "bf16" ? WeightDType::BF16 : s == "f32" ? WeightDType::F32 : WeightDType::Auto;
         },
         "Weights in memory: auto (as stored), bf16, f32")
      ->check(CLI::IsMember({"auto", "bf16", "f32"}))
      ->default_str("auto");
  cmd.add_option("--threads", options.threads, "Threads (0: all of the machine's cores)")->capture_default_str();
  return cmd.add_option("--ctx", options.ctx, "Context length in tokens: the size of the KV cache")
      ->capture_default_str();
}

void add_model_flags(CLI::App& cmd, ModelFlags& f) {
  auto* model = cmd.add_option("--model", f.model_dir, "Hugging Face checkpoint folder (config.json + safetensors)");
  auto* config = cmd.add_option("--config,--model-config", f.config,
                                "Model config: a carried name (qwen3-4b), a config.json or its folder");
  auto* dummy = cmd.add_flag("--dummy-weights", f.dummy_weights,
                             "Generate qwen3-dummy-v1 weights for --config instead of reading a checkpoint");
  cmd.add_option("--manifest", f.manifest, "qwen3-dummy-v1 manifest (default: dummy.json beside the config, else qwen3-4b's)")
      ->needs(dummy);
  model->excludes(config);
  dummy->needs(config);
  f.ctx_flag = add_run_options(cmd, f.run);
}

ModelConfig ModelFlags::load_config() const {
  if (!model_dir.empty()) return ModelConfig::load(fs::path(model_dir) / "config.json");
  if (config.empty()) throw Error("no model: give --model DIR, or --config NAME|FILE --dummy-weights");
  return ModelConfig::load(resolve_config(config));
}

RunOptions ModelFlags::run_options(const ModelConfig& c, int default_ctx) const {
  RunOptions o = run;
  if (o.threads == 0) o.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const bool given = ctx_flag && ctx_flag->count() > 0;
  if (!given) {
    if (default_ctx > 0) o.ctx = default_ctx;
    o.ctx = static_cast<int>(std::min<std::int64_t>(o.ctx, c.max_context()));
  }
  return o;
}

DummyManifest ModelFlags::load_manifest() const {
  if (!manifest.empty()) return DummyManifest::load(manifest);
  return DummyManifest::for_config(resolve_config(config));
}

std::unique_ptr<Model> ModelFlags::open(int default_ctx) const {
  const ModelConfig c = load_config();
  if (!model_dir.empty()) return Model::load(model_dir, run_options(c, default_ctx));
  if (!dummy_weights)
    throw Error("--config " + config + " has no weights: add --dummy-weights, or give --model DIR");
  return Model::dummy(c, load_manifest(), run_options(c, default_ctx));
}

std::vector<TokenId> parse_ids(const std::string& csv, const std::string& flag) {
  std::vector<TokenId> ids;
  std::size_t at = 0;
  while (at <= csv.size()) {
    const std::size_t end = std::min(csv.find(',', at), csv.size());
    std::string item = csv.substr(at, end - at);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    TokenId v = 0;
    const auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || p != item.data() + item.size() || v < 0)
      throw Error(flag + ": \"" + item + "\" is not a token id (expected comma-separated non-negative integers)");
    ids.push_back(v);
    at = end + 1;
  }
  if (ids.empty()) throw Error(flag + ": no token ids");
  return ids;
}

}  // namespace qwen3::cli
