// Settings from every source, lowest precedence first, each value checked
// where it is set (see settings/fields.h: assign_general, assign_sampling).
#include <unistd.h>

#include <string>

#include "qwen3/error.h"
#include "qwen3/reasoning.h"
#include "settings/config_file.h"
#include "settings/fields.h"
#include "settings/generation_config.h"

extern char** environ;

namespace qwen3 {

std::string_view source_name(Source source) {
  switch (source) {
    case Source::GenerationConfig:
      return "generation_config";
    case Source::ConfigFile:
      return "config_file";
    case Source::Environment:
      return "environment";
    case Source::CommandLine:
      return "command_line";
    case Source::Request:
      return "request";
    case Source::Builtin:
      break;
  }
  return "builtin";
}

SamplingSettings SamplingSettings::builtin(SamplingMode mode) {
  const auto preset = sampling_preset(mode);
  SamplingSettings s;
  settings::zip_sampling(s, preset, [](std::string_view, auto& setting, const auto& value) { setting.value = value; });
  return s;
}

SamplingParams SamplingSettings::params() const {
  SamplingParams p;
  settings::zip_sampling(p, *this, [](std::string_view, auto& field, const auto& setting) { field = setting.value; });
  return p;
}

RunOptions Settings::run_options() const {
  RunOptions o;
  o.device = device.value;
  o.dtype = dtype.value;
  o.threads = threads.value;
  o.ctx = ctx.value;
  return o;
}

std::vector<std::string> Settings::warnings() const {
  std::vector<std::string> out;
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    const char* table = mode == SamplingMode::Thinking ? "sampling.thinking: " : "sampling.non_thinking: ";
    for (auto& w : sampling_warnings(sampling(mode).params(), mode)) out.push_back(table + w);
  }
  return out;
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    if (name.rfind("QWEN3_", 0) == 0 || name == "XDG_CONFIG_HOME" || name == "HOME") env[name] = entry.substr(eq + 1);
  }
  return env;
}

std::optional<std::filesystem::path> default_config_path(const Environment& environment) {
  auto get = [&](const char* name) -> std::string {
    auto it = environment.find(name);
    return it == environment.end() ? std::string() : it->second;
  };
  // XDG Base Directory: an empty or relative XDG_CONFIG_HOME is ignored.
  const std::string xdg = get("XDG_CONFIG_HOME");
  if (!xdg.empty() && std::filesystem::path(xdg).is_absolute())
    return std::filesystem::path(xdg) / "qwen3" / "config.toml";
  const std::string home = get("HOME");
  if (!home.empty()) return std::filesystem::path(home) / ".config" / "qwen3" / "config.toml";
  return std::nullopt;
}

namespace settings {
namespace {

Settings builtin_settings() {
  Settings s;
  const RunOptions run;
  s.model.value = "";
  s.model_config.value = "";
  s.dummy_weights.value = false;
  s.tokenizer.value = "";
  s.device.value = run.device;
  s.dtype.value = run.dtype;
  s.threads.value = run.threads;
  s.ctx.value = run.ctx;
  s.enable_thinking.value = true;  // Qwen3's chat template default
  s.thinking_budget.value = -1;    // no limit
  s.thinking_budget_text.value = std::string(kDefaultBudgetStopText);
  s.english_only.value = "off";
  s.stop.value = {};
  s.ignore_eos.value = false;
  s.repetition_guard.value = 0;  // off (the server turns it on)
  s.repetition_min_period.value = 4;
  s.thinking = SamplingSettings::builtin(SamplingMode::Thinking);
  s.non_thinking = SamplingSettings::builtin(SamplingMode::NonThinking);
  return s;
}

// QWEN3_<KEY>; an empty variable counts as unset. Sampling variables set both presets.
void apply_environment(Settings& s, const Environment& env) {
  auto lookup = [&](std::string_view key) -> const std::string* {
    auto it = env.find(env_name(key));
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  auto parse = [&](std::string_view key, const std::string& text, auto& value) {
    if (!parse_text(text, value))
      throw Error(env_name(key) + " = \"" + text + "\": expected " +
                  std::string(expected<std::decay_t<decltype(value)>>()));
  };
  visit_general(s, [&](std::string_view key, auto& setting) {
    if (auto text = lookup(key)) {
      decltype(setting.value) value{};
      parse(key, *text, value);
      assign_general(s, setting, std::move(value), Source::Environment, env_name(key));
    }
  });
  for (SamplingSettings* preset : {&s.thinking, &s.non_thinking}) {
    visit_sampling(*preset, [&](std::string_view key, auto& setting) {
      if (auto text = lookup(key)) {
        decltype(setting.value) value{};
        parse(key, *text, value);
        assign_sampling(*preset, setting, value, Source::Environment, env_name(key), "");
      }
    });
  }
}

}  // namespace
}  // namespace settings

Settings resolve(const SettingsSources& sources) {
  using namespace settings;
  const Environment& env = sources.environment;

  std::optional<ConfigFile> config;
  std::optional<std::filesystem::path> explicit_path = sources.config_file;
  std::string named_by = sources.command_line_name ? sources.command_line_name("config") : "config";
  if (!explicit_path) {
    if (auto it = env.find("QWEN3_CONFIG"); it != env.end() && !it->second.empty()) {
      explicit_path = it->second;
      named_by = "QWEN3_CONFIG";
    }
  }
  std::error_code ec;
  if (explicit_path) {
    if (!std::filesystem::is_regular_file(*explicit_path, ec))
      throw Error(named_by + ": config file " + explicit_path->string() +
                  (std::filesystem::exists(*explicit_path, ec) ? " is not a file" : " does not exist") +
                  " (expected a TOML settings file)");
    config = load_config_file(*explicit_path);
  } else if (auto path = default_config_path(env); path && std::filesystem::exists(*path, ec)) {
    config = load_config_file(*path);  // the default file is optional
  }

  auto apply_user_sources = [&](Settings& s) {
    if (config) apply_config_file(s, *config);
    apply_environment(s, env);
    apply_layer(s, sources.command_line, Source::CommandLine, [&](std::string_view key) {
      return sources.command_line_name ? sources.command_line_name(key) : std::string(key);
    });
  };

  // generation_config.json ranks below the config file, but which model's
  // file to read depends on the model those higher sources name: resolve
  // them once to learn it, then build the result in precedence order.
  std::optional<std::filesystem::path> model_dir = sources.model_dir;
  if (!model_dir) {
    Settings probe = builtin_settings();
    apply_user_sources(probe);
    if (!probe.model.value.empty() && std::filesystem::is_directory(probe.model.value, ec))
      model_dir = probe.model.value;
  }

  Settings s = builtin_settings();
  if (model_dir) s.generation_config = apply_generation_config(s, *model_dir);
  apply_user_sources(s);
  if (config) s.config_file = config->path;
  return s;
}

void apply_overrides(Settings& settings, const SettingOverrides& overrides, Source source) {
  settings::apply_layer(settings, overrides, source, [](std::string_view key) { return std::string(key); });
}

}  // namespace qwen3
