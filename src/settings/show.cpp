// `qwen3 config show`: the effective settings with the source of each value,
// as commented TOML (which is itself a valid config file) or as JSON.
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "settings/fields.h"

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
    std::string text = std::string(key) + " = " + settings::to_toml(s.value);
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

template <typename T>
nlohmann::json json_value(const T& v) {
  return v;
}
nlohmann::json json_value(WeightDType v) {
  auto text = settings::to_toml(v);
  return text.substr(1, text.size() - 2);  // without the TOML quotes
}
nlohmann::json json_value(std::uint64_t seed) {
  return seed == kRandomSeed ? nlohmann::json("random") : nlohmann::json(seed);
}

template <typename T>
nlohmann::json json_setting(const Setting<T>& s) {
  nlohmann::json j{{"value", json_value(s.value)}, {"source", std::string(source_name(s.source))}};
  if (!s.origin.empty()) j["origin"] = s.origin;
  return j;
}

}  // namespace

std::string settings_to_toml(const Settings& s) {
  TomlWriter w;
  w.raw("# qwen3 effective settings; each value's source in the comment.");
  w.raw("# Precedence: command_line > environment > config_file > generation_config > builtin.");
  w.raw("# config file: " + path_or(s.config_file, "none"));
  w.raw("# generation_config.json: " + path_or(s.generation_config, "none"));
  w.raw("");
  settings::visit_general(s, [&](std::string_view key, const auto& setting) {
    if (key == "model" && setting.source == Source::Builtin)
      w.raw("# model: not set (set model: QWEN3_MODEL or model = \"...\" in the config file)");
    else
      w.line(key, setting);
  });
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    w.raw("");
    w.raw(mode == SamplingMode::Thinking ? "[sampling.thinking]" : "[sampling.non_thinking]");
    settings::visit_sampling(s.sampling(mode),
                             [&](std::string_view key, const auto& setting) { w.line(key, setting); });
  }
  return w.str();
}

std::string settings_to_json(const Settings& s) {
  nlohmann::json j;
  j["config_file"] = s.config_file ? nlohmann::json(s.config_file->string()) : nlohmann::json(nullptr);
  j["generation_config"] =
      s.generation_config ? nlohmann::json(s.generation_config->string()) : nlohmann::json(nullptr);
  settings::visit_general(s, [&](std::string_view key, const auto& setting) {
    j[std::string(key)] = json_setting(setting);
  });
  if (s.model.source == Source::Builtin) j["model"]["value"] = nullptr;
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    auto& table = j["sampling"][mode == SamplingMode::Thinking ? "thinking" : "non_thinking"];
    settings::visit_sampling(s.sampling(mode), [&](std::string_view key, const auto& setting) {
      table[std::string(key)] = json_setting(setting);
    });
  }
  return j.dump(2) + "\n";
}

}  // namespace qwen3
