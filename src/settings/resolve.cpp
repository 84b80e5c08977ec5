// Settings from every source, lowest precedence first, each value checked
// where it is set (see settings/fields.h: assign_general, assign_sampling).
#include <unistd.h>

#include <string>
#include <thread>

#include "common/environment.h"
#include "qwen3/error.h"
#include "qwen3/ollama.h"
#include "qwen3/reasoning.h"
#include "settings/config_file.h"
#include "settings/fields.h"
#include "settings/generation_config.h"
#include "settings/ollama_params.h"

namespace qwen3 {

std::string_view source_name(Source source) {
  switch (source) {
    case Source::GenerationConfig:
      return "generation_config";
    case Source::OllamaParams:
      return "ollama_params";
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
  o.kv_dtype = kv_dtype.value;
  o.activations = activations.value == "bf16" ? ActivationDType::BF16 : ActivationDType::F32;
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

std::vector<std::string> Settings::run_warnings() const {
  std::vector<std::string> out;
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0 && threads.value > static_cast<int>(cores))
    out.push_back("threads = " + std::to_string(threads.value) + " exceeds the machine's " + std::to_string(cores) +
                  " cores: the extra threads only wait for a core and slow every step down");
  return out;
}

Environment process_environment() {
  return environment_variables([](const std::string& name) {
    return name.rfind("QWEN3_", 0) == 0 || name == "XDG_CONFIG_HOME" || name == "HOME" || name.rfind("HF_", 0) == 0 ||
           name == "HUGGING_FACE_HUB_TOKEN" || name == "HUGGINGFACE_HUB_CACHE" || name == "TRANSFORMERS_OFFLINE" ||
           name == "XDG_CACHE_HOME" || name == "OLLAMA_MODELS";
  });
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
  s.offline.value = false;
  s.model_config.value = "";
  s.dummy_weights.value = false;
  s.tokenizer.value = "";
  s.chat_template.value = "auto";
  s.device.value = run.device;
  s.dtype.value = run.dtype;
  s.kv_dtype.value = run.kv_dtype;
  s.activations.value = run.activations == ActivationDType::BF16 ? "bf16" : "f32";
  s.threads.value = run.threads;
  s.ctx.value = run.ctx;
  s.enable_thinking.value = true;  // Qwen3's chat template default
  s.thinking_budget.value = -1;    // no limit
  s.thinking_budget_text.value = std::string(kDefaultBudgetStopText);
  s.english_only.value = "off";
  s.stop.value = {};
  s.special_tokens_in_content.value = "parse";  // as transformers
  s.ignore_eos.value = false;
  s.repetition_guard.value = 0;  // off (the server turns it on)
  s.repetition_min_period.value = 4;
  s.thinking = SamplingSettings::builtin(SamplingMode::Thinking);
  s.non_thinking = SamplingSettings::builtin(SamplingMode::NonThinking);
  return s;
}

// The snapshot folder of a hub model, its generation_config.json downloaded
// if the repository has one. Offline, what the cache holds: nothing when the
// model is not cached (the command that needs the model says so).
std::optional<std::filesystem::path> hub_generation_config_dir(const hub::ModelName& name,
                                                               const hub::HubOptions& options) {
  if (!options.offline) return hub::fetch(name, hub::Files::GenerationConfig, options).folder;
  try {
    return hub::fetch(name, hub::Files::GenerationConfig, options).folder;
  } catch (const Error&) {
    return std::nullopt;
  }
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
  const hub::HubOptions hub_from_environment = hub::options_from_environment(env);
  const std::filesystem::path ollama_models = ollama::models_dir(env);
  std::optional<std::filesystem::path> model_dir = sources.model_dir;
  std::optional<std::filesystem::path> params;  // an Ollama model's params blob
  {
    Settings probe = builtin_settings();
    probe.hub = hub_from_environment;
    apply_user_sources(probe);
    if (const auto ref = ollama::parse(probe.model.value)) {
      // A model missing from the store is reported by the command that opens
      // it (`config show` still works); a malformed params blob, here.
      try {
        params = ollama::resolve(*ref, ollama_models).params;
      } catch (const Error&) {
      }
    } else if (!model_dir) {
      if (!probe.model.value.empty() && std::filesystem::is_directory(probe.model.value, ec))
        model_dir = probe.model.value;
      else if (const auto name = hub::hub_model(probe.model.value); name && !name->gguf())
        model_dir = hub_generation_config_dir(*name, hub_options(probe));
    }
  }

  Settings s = builtin_settings();
  s.hub = hub_from_environment;
  s.ollama_models = ollama_models;
  if (model_dir) s.generation_config = apply_generation_config(s, *model_dir);
  if (params) s.ollama_params = apply_ollama_params(s, *params);
  apply_user_sources(s);
  if (config) s.config_file = config->path;
  return s;
}

std::filesystem::path ollama_store(const Settings& settings) {
  return settings.ollama_models.empty() ? ollama::models_dir(process_environment()) : settings.ollama_models;
}

hub::HubOptions hub_options(const Settings& settings) {
  hub::HubOptions o = settings.hub.cache_dir.empty() ? hub::options_from_environment() : settings.hub;
  o.offline = o.offline || settings.offline.value;
  return o;
}

void apply_overrides(Settings& settings, const SettingOverrides& overrides, Source source) {
  settings::apply_layer(settings, overrides, source, [](std::string_view key) { return std::string(key); });
}

}  // namespace qwen3
