#include "cli/generation_flags.h"

#include <filesystem>
#include <iostream>

#include "cli/run_options_flags.h"
#include "cli/sampling_flags.h"
#include "qwen3/error.h"

namespace qwen3::cli {
namespace fs = std::filesystem;

void add_generation_flags(CLI::App& cmd, GenerationFlags& f) {
  auto& o = f.overrides;
  cmd.add_option_function<std::string>("--model", [&o](const std::string& v) { o.model = v; },
                                       "Model folder (config.json, safetensors, tokenizer files)");
  auto* config = cmd.add_option("--model-config", f.model_config,
                                "Model config for --dummy-weights: a carried name (qwen3-4b) or a config.json");
  cmd.add_flag("--dummy-weights", f.dummy_weights, "Run --model-config with qwen3-dummy-v1 weights (no download)")
      ->needs(config);
  cmd.add_option("--tokenizer", f.tokenizer_dir,
                 "Folder with tokenizer.json and tokenizer_config.json (default: the model folder, "
                 "else the tokenizer fetched by scripts/setup.sh)");
  cmd.add_option("--config", f.settings_file,
                 "Settings file (TOML; default $XDG_CONFIG_HOME/qwen3/config.toml or ~/.config/qwen3/config.toml)");
  cmd.add_option_function<std::string>("--device", [&o](const std::string& v) { o.device = v; },
                                       "Where to run: cpu (the only backend so far)");
  cmd.add_option_function<std::string>(
         "--dtype",
         [&o](const std::string& v) {
           o.dtype = v == "bf16" ? WeightDType::BF16 : v == "f32" ? WeightDType::F32 : WeightDType::Auto;
         },
         "Weights in memory: auto (as stored), bf16, f32")
      ->check(CLI::IsMember({"auto", "bf16", "f32"}));
  cmd.add_option_function<int>("--threads", [&o](int v) { o.threads = v; }, "Threads (0: all cores)");
  cmd.add_option_function<int>("--ctx", [&o](int v) { o.ctx = v; }, "Context length in tokens (KV cache)");
  add_sampling_flags(cmd, o.sampling);
  auto* think = cmd.add_flag("--think", f.think, "Thinking mode (the default): reason in <think> before answering");
  cmd.add_flag("--no-think", f.no_think, "Non-thinking mode: answer directly (enable_thinking=false)")->excludes(think);
  cmd.add_option_function<int>("--thinking-budget", [&o](int v) { o.thinking_budget = v; },
                               "Close the think block after N reasoning tokens (0: no thinking; -1: no limit)");
  cmd.add_option("--thinking-budget-text", f.budget_text,
                 "Text inserted when the budget runs out (default: Qwen's early-stop sentence and </think>)");
  cmd.add_flag("--ignore-eos", f.ignore_eos,
               "Do not stop at <|im_end|> or <|endoftext|> (fixed-length runs for benchmarks and tests)");
  cmd.add_option("--stop", f.stop, "Stop when the answer contains this text (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd.add_option_function<std::string>("--english-only",
                                       [&o](const std::string& v) { o.english_only = v.empty() ? kDefaultEnglishPolicy : v; },
                                       "Decode with English tokens only: POLICY ascii, latin (default) or a spec "
                                       "like ascii+emoji (docs/english-tokens.md)")
      ->expected(0, 1);
}

std::optional<bool> requested_thinking(const GenerationFlags& flags, const Settings& settings) {
  if (flags.think) return true;
  if (flags.no_think) return false;
  if (settings.enable_thinking.source != Source::Builtin) return settings.enable_thinking.value;
  return std::nullopt;  // not passed to the template, as transformers' default
}

fs::path default_tokenizer_dir() {
  if (const char* dir = std::getenv("QWEN3_TOKENIZER_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "qwen3/tokenizers/Qwen3";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache/qwen3/tokenizers/Qwen3";
  return {};
}

namespace {

RunOptions run_options_for(const Settings& settings, const ModelConfig& config) {
  RunOptions run = settings.run_options();
  // The default context is Qwen3's native 32,768 tokens, or less when the model has less.
  if (settings.ctx.source == Source::Builtin)
    run.ctx = static_cast<int>(std::min<std::int64_t>(run.ctx, config.max_context()));
  return run;
}

}  // namespace

GenerationSetup open_generation(const GenerationFlags& flags, bool need_template) {
  GenerationSetup setup;
  SettingsSources sources;
  sources.command_line = flags.overrides;
  sources.environment = process_environment();
  if (!flags.settings_file.empty()) sources.config_file = flags.settings_file;
  setup.settings = resolve(sources);
  const Settings& s = setup.settings;

  fs::path tokenizer_dir = flags.tokenizer_dir;
  if (flags.dummy_weights) {
    // The model commands' resolution of a config name and its manifest.
    ModelFlags source;
    source.config = flags.model_config;
    source.dummy_weights = true;
    const ModelConfig config = source.load_config();
    setup.model = Model::dummy(config, source.load_manifest(), run_options_for(s, config));
  } else {
    if (s.model.value.empty())
      throw Error("no model: give --model DIR (or set QWEN3_MODEL, or `model` in the config file), "
                  "or --model-config NAME --dummy-weights");
    const fs::path dir = s.model.value;
    if (!fs::is_directory(dir))
      throw Error("model " + s.model.value + ": not a folder (expected a Hugging Face checkpoint folder)");
    const ModelConfig config = ModelConfig::load(dir / "config.json");
    setup.model = Model::load(dir, run_options_for(s, config));
    if (tokenizer_dir.empty() && fs::exists(dir / "tokenizer.json")) tokenizer_dir = dir;
  }
  if (tokenizer_dir.empty()) tokenizer_dir = default_tokenizer_dir();
  setup.tokenizer = std::make_unique<Tokenizer>(Tokenizer::load(tokenizer_dir));
  if (need_template)
    setup.chat_template = std::make_unique<ChatTemplate>(ChatTemplate::from_tokenizer_config(tokenizer_dir));
  if (s.english_only.value != "off") {
    const auto table = vocab::VocabTable::classify(*setup.tokenizer);
    setup.english_mask = std::make_unique<vocab::TokenMask>(
        vocab::build_mask(table, vocab::Policy::parse(s.english_only.value)));
  }
  return setup;
}

SamplingMode GenerationSetup::mode_for(const ChatRequest& request) const {
  const bool thinking = thinking_expected(request) && settings.thinking_budget.value != 0;
  return thinking ? SamplingMode::Thinking : SamplingMode::NonThinking;
}

GenerationOptions GenerationSetup::options(SamplingMode mode, const GenerationFlags& flags) const {
  GenerationOptions o;
  o.sampling = settings.sampling(mode).params();
  validate(o.sampling);
  for (const auto& w : sampling_warnings(o.sampling, mode)) std::cerr << "qwen3: warning: " << w << "\n";
  if (settings.thinking_budget.value >= 0) o.thinking_budget = settings.thinking_budget.value;
  if (!flags.budget_text.empty()) o.budget_stop_text = flags.budget_text;
  o.stop = flags.stop;
  o.ignore_eos = flags.ignore_eos;
  o.allowed = english_mask.get();
  return o;
}

}  // namespace qwen3::cli
