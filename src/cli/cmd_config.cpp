// `qwen3 config show [--config FILE] [--json] [any option's flag]`:
// the effective settings (config file, QWEN3_* environment, the model's
// generation_config.json, built-in presets, these flags) and where each value
// came from. Warnings about discouraged settings go to stderr.
#include <iostream>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/options_flags.h"
#include "qwen3/settings.h"

namespace qwen3::cli::cmd_config {
namespace {

struct ConfigShowFlags {
  OptionFlags options;
  bool json = false;
};

void show(const ConfigShowFlags& flags) {
  const Settings settings = resolve_options(flags.options);
  std::cout << (flags.json ? settings_to_json(settings) : settings_to_toml(settings));
  std::cout.flush();
  for (const auto& warning : settings.warnings()) std::cerr << "qwen3: warning: " << warning << "\n";
}

const CommandRegistration registration{
    "config", [](CLI::App& program) {
      auto* config = program.add_subcommand("config", "Show the effective settings and where each value came from");
      config->require_subcommand(1);
      auto flags = std::make_shared<ConfigShowFlags>();
      auto* show_cmd = config->add_subcommand(
          "show", "Print every option (both sampling presets included) with its source, as TOML or JSON");
      add_option_flags(*show_cmd, flags->options, kAllOptions);
      show_cmd->add_flag("--json", flags->json, "Print JSON instead of commented TOML");
      show_cmd->callback([flags] { show(*flags); });
    }};

}  // namespace
}  // namespace qwen3::cli::cmd_config
