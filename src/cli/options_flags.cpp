#include "cli/options_flags.h"

#include <algorithm>
#include <iostream>

#include "qwen3/error.h"

namespace qwen3::cli {
namespace {

bool offered(std::initializer_list<OptionGroup> groups, OptionGroup group) {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

// `--key VALUE`, parsed as the option's type.
template <typename T>
void add_valued(CLI::App& cmd, const OptionInfo& info, std::optional<T>& target) {
  const std::string flag = flag_name(info.key);
  auto* option = cmd.add_option_function<std::string>(
      flag,
      [&target, flag](const std::string& text) {
        T value = target.value_or(T{});
        if (!parse_text(text, value)) throw Error(flag + " = \"" + text + "\": expected " + std::string(expected<T>()));
        target = std::move(value);
      },
      std::string(info.help));
  option->type_name(std::string(info.value_name));
}

// A repeatable option: every occurrence adds one item.
void add_valued(CLI::App& cmd, const OptionInfo& info, std::optional<std::vector<std::string>>& target) {
  cmd.add_option_function<std::vector<std::string>>(
         flag_name(info.key), [&target](const std::vector<std::string>& items) { target = items; },
         std::string(info.help))
      ->type_name(std::string(info.value_name))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_switch(CLI::App& cmd, const OptionInfo& info, std::optional<bool>& target) {
  cmd.add_flag_callback(
      flag_name(info.key), [&target] { target = true; }, std::string(info.help));
}

void add_general(CLI::App& cmd, const OptionInfo& info, std::optional<bool>& target) {
  if (info.key != "enable_thinking") return add_switch(cmd, info, target);
  auto* think = cmd.add_flag_callback(
      "--think", [&target] { target = true; }, std::string(info.help));
  cmd.add_flag_callback(
         "--no-think", [&target] { target = false; }, "Non-thinking mode: answer directly (enable_thinking=false)")
      ->excludes(think);
}

template <typename T>
void add_general(CLI::App& cmd, const OptionInfo& info, std::optional<T>& target) {
  if constexpr (std::is_same_v<T, std::string>) {
    if (info.key == "english_only") {  // a bare --english-only means the default policy
      cmd.add_option_function<std::string>(
             flag_name(info.key), [&target](const std::string& v) { target = v.empty() ? kDefaultEnglishPolicy : v; },
             std::string(info.help) + " (bare: " + kDefaultEnglishPolicy + ")")
          ->expected(0, 1)
          ->type_name(std::string(info.value_name));
      return;
    }
  }
  add_valued(cmd, info, target);
}

}  // namespace

std::string flag_name(std::string_view key) {
  if (key == "enable_thinking") return "--think/--no-think";
  if (key == "config") return "--config";
  std::string name = "--";
  for (char c : key) name += c == '_' ? '-' : c;
  return name;
}

void add_option_flags(CLI::App& cmd, OptionFlags& flags, std::initializer_list<OptionGroup> groups) {
  cmd.add_option("--config", flags.config_file,
                 "Settings file (TOML; default $QWEN3_CONFIG, else $XDG_CONFIG_HOME/qwen3/config.toml or "
                 "~/.config/qwen3/config.toml)")
      ->type_name("FILE");
  visit_general(flags.given, [&](const OptionInfo& info, auto& target) {
    if (offered(groups, info.group)) add_general(cmd, info, target);
  });
  if (offered(groups, OptionGroup::Sampling))
    visit_sampling(flags.given.sampling, [&](const OptionInfo& info, auto& target) { add_valued(cmd, info, target); });
}

Settings resolve_options(const OptionFlags& flags) {
  SettingsSources sources;
  sources.command_line = flags.given;
  sources.environment = process_environment();
  if (!flags.config_file.empty()) sources.config_file = flags.config_file;
  sources.command_line_name = flag_name;
  Settings settings = resolve(sources);
  for (const auto& warning : settings.run_warnings()) std::cerr << "qwen3: warning: " << warning << "\n";
  return settings;
}

}  // namespace qwen3::cli
