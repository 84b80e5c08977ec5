// `qwen3 config show [--config FILE] [--model DIR|ID] [--json] [sampling flags]`:
// the effective settings (config file, QWEN3_* environment, the model's
// generation_config.json, built-in presets, these flags) and where each value
// came from. Warnings about discouraged settings go to stderr.
#include <iostream>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/sampling_flags.h"
#include "qwen3/settings.h"

namespace qwen3::cli {
namespace {

struct ConfigShowFlags {
  std::string config_file;
  std::string model;
  bool json = false;
  SamplingOverrides sampling;
};

void show(const ConfigShowFlags& flags) {
  SettingsSources sources;
  sources.environment = process_environment();
  if (!flags.config_file.empty()) sources.config_file = flags.config_file;
  if (!flags.model.empty()) sources.command_line.model = flags.model;
  sources.command_line.sampling = flags.sampling;
  const Settings settings = resolve(sources);
  std::cout << (flags.json ? settings_to_json(settings) : settings_to_toml(settings));
  std::cout.flush();
  for (const auto& warning : settings.warnings()) std::cerr << "qwen3: warning: " << warning << "\n";
}

const CommandRegistration registration{"config", [](CLI::App& program) {
  auto* config = program.add_subcommand("config", "Show the effective settings and where each value came from");
  config->require_subcommand(1);
  auto flags = std::make_shared<ConfigShowFlags>();
  auto* show_cmd = config->add_subcommand(
      "show", "Print every setting (both sampling presets included) with its source, as TOML or JSON");
  show_cmd->add_option("--config", flags->config_file,
                       "Settings file (TOML); default $QWEN3_CONFIG, else "
                       "$XDG_CONFIG_HOME/qwen3/config.toml or ~/.config/qwen3/config.toml");
  show_cmd->add_option("--model", flags->model,
                       "Model folder; its generation_config.json supplies the thinking preset");
  show_cmd->add_flag("--json", flags->json, "Print JSON instead of commented TOML");
  add_sampling_flags(*show_cmd, flags->sampling);
  show_cmd->callback([flags] { show(*flags); });
}};

}  // namespace
}  // namespace qwen3::cli
