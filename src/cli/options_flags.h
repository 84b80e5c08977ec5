#pragma once
// The flags of the options model (qwen3/settings.h): every command offers the
// option groups it uses, each flag spelled from the option's key (top_p ->
// --top-p; enable_thinking -> --think / --no-think), with the option's help.
// Values given here are the command-line layer of the precedence; `--config
// FILE` names the settings file on every command.
#include <CLI/CLI.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

#include "qwen3/settings.h"

namespace qwen3::cli {

struct OptionFlags {
  SettingOverrides given;   // what the flags set
  std::string config_file;  // --config FILE
};

// The groups every generating command offers, and the model-running ones.
inline constexpr std::initializer_list<OptionGroup> kAllOptions = {
    OptionGroup::Model,      OptionGroup::Tokenizer, OptionGroup::ModelConfig, OptionGroup::Run,
    OptionGroup::Generation, OptionGroup::Sampling,  OptionGroup::Endpoint};
inline constexpr std::initializer_list<OptionGroup> kModelOptions = {OptionGroup::Model, OptionGroup::ModelConfig,
                                                                     OptionGroup::Run};
inline constexpr std::initializer_list<OptionGroup> kModelAndTokenizerOptions = {
    OptionGroup::Model, OptionGroup::Tokenizer, OptionGroup::ModelConfig, OptionGroup::Run};
inline constexpr std::initializer_list<OptionGroup> kTokenizerOptions = {OptionGroup::Model, OptionGroup::Tokenizer};

// Adds --config and the flags of `groups` to `cmd`; values land in `flags`
// (which must outlive parsing). Text that is not a value of the option's
// type throws qwen3::Error naming the flag; ranges are checked by resolve().
void add_option_flags(CLI::App& cmd, OptionFlags& flags, std::initializer_list<OptionGroup> groups);

// Every source resolved (flags > QWEN3_* > config file > generation_config.json
// > built-in); errors about a flag name the flag.
Settings resolve_options(const OptionFlags& flags);

// The flag that sets an option: "top_p" -> "--top-p", "enable_thinking" -> "--think/--no-think".
std::string flag_name(std::string_view key);

// The policy of a bare --english-only: English text with its typographic
// punctuation (docs/english-tokens.md).
inline constexpr const char* kDefaultEnglishPolicy = "latin";

}  // namespace qwen3::cli
