#pragma once
// Everything `qwen3 chat` and `qwen3 generate` share: where the model and the
// tokenizer come from, the settings file, run options, sampling flags, mode
// switches, thinking budget, stop strings and English-only decoding. Values
// given here are the top layer of the settings precedence (qwen3/settings.h).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qwen3/chat.h"
#include "qwen3/engine.h"
#include "qwen3/model.h"
#include "qwen3/settings.h"
#include "qwen3/tokenizer.h"
#include "qwen3/vocab.h"

namespace qwen3::cli {

struct GenerationFlags {
  SettingOverrides overrides;      // --model, run options, sampling, modes
  std::string settings_file;       // --config FILE (TOML)
  std::string model_config;        // --model-config NAME|FILE (with --dummy-weights)
  bool dummy_weights = false;
  std::string tokenizer_dir;       // --tokenizer DIR
  bool think = false, no_think = false;
  std::vector<std::string> stop;   // --stop (repeatable)
  std::string budget_text;         // --thinking-budget-text
  bool ignore_eos = false;         // --ignore-eos
};

void add_generation_flags(CLI::App& cmd, GenerationFlags& flags);

// What a generating command runs with, once the settings are resolved.
struct GenerationSetup {
  Settings settings;
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<ChatTemplate> chat_template;
  std::unique_ptr<vocab::TokenMask> english_mask;  // null unless English-only

  // The mode a request will run in: the template's rule (enable_thinking,
  // soft switches), and no thinking at all with a thinking budget of 0.
  SamplingMode mode_for(const ChatRequest& request) const;

  // The generation options for a request in `mode` (the preset of that mode
  // with the user's overrides, budget, stop strings, English-only mask),
  // validated; sampling warnings go to stderr.
  GenerationOptions options(SamplingMode mode, const GenerationFlags& flags) const;
};

// Resolves the settings, loads the model, tokenizer and template; throws
// qwen3::Error naming what is missing or wrong.
GenerationSetup open_generation(const GenerationFlags& flags, bool need_template = true);

// The policy of a bare --english-only: English text with its typographic
// punctuation (docs/english-tokens.md).
inline constexpr const char* kDefaultEnglishPolicy = "latin";

// Where the tokenizer is when no --tokenizer is given and the model folder has
// none: $QWEN3_TOKENIZER_DIR, else the folder scripts/setup.sh fetches it into.
std::filesystem::path default_tokenizer_dir();

// enable_thinking for a request: --think / --no-think, else the settings.
std::optional<bool> requested_thinking(const GenerationFlags& flags, const Settings& settings);

}  // namespace qwen3::cli
