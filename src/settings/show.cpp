// `qwen3 config show`: the effective settings with the source of each value,
// as commented TOML (which is itself a valid config file) or as JSON.
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "qwen3/settings.h"

namespace qwen3 {
namespace {

template <typename T>
std::string describe_source(const Setting<T>& s) {
  std::string text(source_name(s.source));
  if (!s.origin.empty()) text += " (" + s.origin + ")";
  return text;
}

class TomlWriter {
 public:
  template <typename T>
  void line(std::string_view key, const Setting<T>& s) {
    std::string text = std::string(key) + " = " + to_toml(s.value);
    if (text.size() < kCommentColumn) text.resize(kCommentColumn, ' ');
    out_ << text << "  # " << describe_source(s) << "\n";
  }
  void raw(std::string_view text) { out_ << text << "\n"; }
  std::string str() const { return out_.str(); }

 private:
  static constexpr std::size_t kCommentColumn = 32;
  std::ostringstream out_;
};

std::string path_or(const std::optional<std::filesystem::path>& p, std::string_view none) {
  return p ? p->string() : std::string(none);
}

using Json = nlohmann::ordered_json;

template <typename T>
Json json_value(const T& v) {
  return v;
}
Json json_value(float v) { return shortest(v); }
Json json_value(WeightDType v) {
  auto text = to_toml(v);
  return text.substr(1, text.size() - 2);  // without the TOML quotes
}
Json json_value(KvDType v) {
  auto text = to_toml(v);
  return text.substr(1, text.size() - 2);
}
Json json_value(std::uint64_t seed) { return seed == kRandomSeed ? Json("random") : Json(seed); }

template <typename T>
Json json_setting(const Setting<T>& s) {
  Json j{{"value", json_value(s.value)}, {"source", std::string(source_name(s.source))}};
  if (!s.origin.empty()) j["origin"] = s.origin;
  return j;
}

}  // namespace

std::string settings_to_toml(const Settings& s) {
  TomlWriter w;
  w.raw("# qwen3 effective settings; each value's source in the comment.");
  w.raw("# Precedence: command_line > environment > config_file > generation_config or ollama_params > builtin.");
  w.raw("# config file: " + path_or(s.config_file, "none"));
  w.raw("# generation_config.json: " + path_or(s.generation_config, "none"));
  if (s.ollama_params) w.raw("# Ollama params: " + s.ollama_params->string());
  w.raw("");
  visit_general(s, [&](std::string_view key, const auto& setting) {
    if (key == "model" && setting.source == Source::Builtin)
      w.raw("# model: not set (QWEN3_MODEL, model = \"...\" in the config file, or the command line)");
    else if (key == "api_key")  // a secret: whether it is set and where, never the key
      w.raw(setting.source == Source::Builtin ? "# api_key: not set"
                                              : "# api_key: set, not shown (" + describe_source(setting) + ")");
    else
      w.line(key, setting);
  });
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    w.raw("");
    w.raw(mode == SamplingMode::Thinking ? "[sampling.thinking]" : "[sampling.non_thinking]");
    visit_sampling(s.sampling(mode), [&](std::string_view key, const auto& setting) { w.line(key, setting); });
  }
  return w.str();
}

std::string settings_to_json(const Settings& s) {
  Json j;
  j["config_file"] = s.config_file ? Json(s.config_file->string()) : Json(nullptr);
  j["generation_config"] = s.generation_config ? Json(s.generation_config->string()) : Json(nullptr);
  j["ollama_params"] = s.ollama_params ? Json(s.ollama_params->string()) : Json(nullptr);
  visit_general(s, [&](std::string_view key, const auto& setting) {
    j[std::string(key)] = json_setting(setting);
    if (key == "api_key") {  // a secret: whether it is set, never the key
      j[std::string(key)].erase("value");
      j[std::string(key)]["set"] = setting.source != Source::Builtin;
    }
  });
  if (s.model.source == Source::Builtin) j["model"]["value"] = nullptr;
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    auto& table = j["sampling"][mode == SamplingMode::Thinking ? "thinking" : "non_thinking"];
    visit_sampling(s.sampling(mode),
                   [&](std::string_view key, const auto& setting) { table[std::string(key)] = json_setting(setting); });
  }
  return j.dump(2) + "\n";
}

}  // namespace qwen3
