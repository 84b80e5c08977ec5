#pragma once
// The effective settings of a run and where each value came from.
// Precedence, highest first:
//   1. command-line flags
//   2. environment variables (QWEN3_MODEL, QWEN3_THREADS, QWEN3_TEMPERATURE, ...)
//   3. the TOML config file (--config FILE, else $QWEN3_CONFIG, else
//      $XDG_CONFIG_HOME/qwen3/config.toml or ~/.config/qwen3/config.toml)
//   4. the model folder's generation_config.json (the thinking preset only)
//   5. the built-in presets (qwen3/sampling.h) and RunOptions defaults
// docs/configuration.md lists every key and variable.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/run_options.h"
#include "qwen3/sampling.h"

namespace qwen3 {

enum class Source { Builtin, GenerationConfig, ConfigFile, Environment, CommandLine };

// "builtin", "generation_config", "config_file", "environment", "command_line".
std::string_view source_name(Source source);

template <typename T>
struct Setting {
  T value{};
  Source source = Source::Builtin;
  // Exactly where: "/home/me/.config/qwen3/config.toml:7", "QWEN3_TOP_P",
  // "--top-p", ".../generation_config.json"; empty for built-in values.
  std::string origin;
};

// One sampling preset with the source of each parameter.
struct SamplingSettings {
  Setting<float> temperature;
  Setting<float> top_p;
  Setting<int> top_k;
  Setting<float> min_p;
  Setting<float> presence_penalty;
  Setting<float> frequency_penalty;
  Setting<float> repetition_penalty;
  Setting<std::uint64_t> seed;  // kRandomSeed: a fresh seed per run ("random")
  Setting<int> max_new_tokens;

  static SamplingSettings builtin(SamplingMode mode);
  SamplingParams params() const;
};

struct Settings {
  Setting<std::string> model;        // a checkpoint folder (a hub id is kept as given; loading needs a folder today); empty: none given
  Setting<std::string> device;       // "cpu"
  Setting<WeightDType> dtype;        // "auto" | "bf16" | "f32"
  Setting<int> threads;              // >= 0; 0: all cores
  Setting<int> ctx;                  // >= 1: KV-cache length in tokens
  Setting<bool> enable_thinking;     // the chat template's enable_thinking (Qwen3's default: true)
  Setting<int> thinking_budget;      // tokens of thinking before </think> is forced; 0: no thinking; -1: no limit
  Setting<std::string> english_only; // "off" or a vocab policy spec ("latin", "ascii+emoji", ...)
  SamplingSettings thinking;         // used when thinking is enabled
  SamplingSettings non_thinking;     // used when it is not

  std::optional<std::filesystem::path> config_file;        // the config file read, if any
  std::optional<std::filesystem::path> generation_config;  // the generation_config.json read, if any

  RunOptions run_options() const;
  SamplingMode default_mode() const {
    return enable_thinking.value ? SamplingMode::Thinking : SamplingMode::NonThinking;
  }
  const SamplingSettings& sampling(SamplingMode mode) const {
    return mode == SamplingMode::Thinking ? thinking : non_thinking;
  }
  // Advice about both presets (sampling_warnings), each prefixed with its
  // table, e.g. "sampling.thinking: temperature = 0 (greedy decoding) ...".
  std::vector<std::string> warnings() const;
};

// Values given on the command line. The sampling values apply to both presets:
// a run uses one of them, and a flag means "this run".
struct SettingOverrides {
  std::optional<std::string> model;
  std::optional<std::string> device;
  std::optional<WeightDType> dtype;
  std::optional<int> threads;
  std::optional<int> ctx;
  std::optional<bool> enable_thinking;
  std::optional<int> thinking_budget;
  std::optional<std::string> english_only;
  SamplingOverrides sampling;
};

// Environment variables by name (injectable for tests).
using Environment = std::map<std::string, std::string>;

// The variables resolve() reads from this process: every QWEN3_* variable,
// XDG_CONFIG_HOME and HOME.
Environment process_environment();

struct SettingsSources {
  SettingOverrides command_line;
  Environment environment;
  // --config FILE: must exist. Unset: $QWEN3_CONFIG (must exist), else the
  // default path (may be absent).
  std::optional<std::filesystem::path> config_file;
  // Where to look for generation_config.json. Unset: the resolved model,
  // when it is an existing folder.
  std::optional<std::filesystem::path> model_dir;
};

// The default config path from the environment: $XDG_CONFIG_HOME/qwen3/config.toml,
// else $HOME/.config/qwen3/config.toml; nullopt when neither variable is set.
std::optional<std::filesystem::path> default_config_path(const Environment& environment);

// Applies the sources in precedence order. Throws qwen3::Error, one line,
// naming the file and line, variable or flag of a malformed, unknown, wrongly
// typed or out-of-range value, e.g.
//   config.toml:7: unknown key "sampling.thinking.tempreature" (did you mean "temperature"?)
Settings resolve(const SettingsSources& sources);

// `qwen3 config show`: every value with its source, as TOML with comments
// (valid as a config file) or as JSON.
std::string settings_to_toml(const Settings& settings);
std::string settings_to_json(const Settings& settings);

}  // namespace qwen3
