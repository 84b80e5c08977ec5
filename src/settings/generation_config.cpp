// Reads the keys of generation_config.json that map onto a sampling preset:
// temperature, top_p, top_k, min_p, repetition_penalty, max_new_tokens, and
// do_sample (false means greedy in transformers, so temperature 0 here).
// Other keys (eos_token_id, bos_token_id, ...) belong to the engine. A null
// value is transformers' "not set".
#include <nlohmann/json.hpp>

#include <limits>
#include <string>

#include "common/file.h"
#include "qwen3/error.h"
#include "settings/fields.h"
#include "settings/generation_config.h"
#include "settings/json_values.h"

namespace qwen3::settings {
namespace {
using Json = nlohmann::json;
}  // namespace

std::optional<std::filesystem::path> apply_generation_config(Settings& s, const std::filesystem::path& model_dir) {
  const auto path = model_dir / "generation_config.json";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const std::string origin = path.string();
  Json doc;
  try {
    doc = Json::parse(read_file(path));
  } catch (const Json::exception& e) {
    throw Error(origin + ": malformed JSON: " + e.what());
  }
  if (!doc.is_object()) throw Error(origin + ": expected a JSON object");

  SamplingSettings& preset = s.thinking;
  visit_sampling(preset, [&](std::string_view key, auto& setting) {
    using T = decltype(setting.value);
    if (key == "seed") return;  // a generation_config.json has no seed
    auto it = doc.find(std::string(key));
    if (it == doc.end() || it->is_null()) return;
    T value{};
    if (!read_json(*it, value))
      throw Error(origin + ": \"" + std::string(key) + "\" = " + it->dump() + ": expected " +
                  std::string(expected<T>()));
    assign_sampling(preset, setting, value, Source::GenerationConfig, origin, "");
  });
  if (auto it = doc.find("do_sample"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) throw Error(origin + ": \"do_sample\" = " + it->dump() + ": expected true or false");
    if (!it->get<bool>())  // transformers decodes greedily, whatever the temperature says
      assign_sampling(preset, preset.temperature, 0.0f, Source::GenerationConfig, origin, "");
  }
  return path;
}

}  // namespace qwen3::settings
