// Ollama's params layer onto the settings (see ollama_params.h).
#include "settings/ollama_params.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <string>
#include <vector>

#include "common/file.h"
#include "qwen3/error.h"
#include "settings/fields.h"
#include "settings/json_values.h"

namespace qwen3::settings {
namespace {
using Json = nlohmann::json;
}  // namespace

std::filesystem::path apply_ollama_params(Settings& s, const std::filesystem::path& path) {
  const std::string origin = path.string();
  Json doc;
  try {
    doc = Json::parse(read_file(path));
  } catch (const Json::exception& e) {
    throw Error(origin + ": malformed Ollama params (not JSON: " + e.what() + ")");
  }
  if (!doc.is_object()) throw Error(origin + ": malformed Ollama params (expected a JSON object)");
  // The value of Ollama's `key`, read as a T; nullopt when absent or null.
  auto value_of = [&]<typename T>(const char* key, T& out) {
    const auto it = doc.find(key);
    if (it == doc.end() || it->is_null()) return false;
    if (!read_json(*it, out))
      throw Error(origin + ": Ollama params \"" + key + "\" = " + it->dump() + ": expected " +
                  std::string(expected<T>()));
    return true;
  };
  // Sampling parameters, for both presets (Ollama has one set).
  for (SamplingSettings* preset : {&s.thinking, &s.non_thinking}) {
    visit_sampling(*preset, [&](std::string_view key, auto& setting) {
      using T = decltype(setting.value);
      std::string name(key);
      if (key == "repetition_penalty") name = "repeat_penalty";
      if (key == "max_new_tokens") name = "num_predict";
      T value{};
      if constexpr (std::is_same_v<T, int>) {
        if (!value_of(name.c_str(), value) || (key == "max_new_tokens" && value <= 0)) return;  // -1: no limit
      } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        if (const auto it = doc.find(name); it != doc.end() && it->is_number_integer() && it->get<long long>() < 0)
          return;  // Ollama's -1: a random seed, as here by default
        if (!value_of(name.c_str(), value)) return;
      } else {
        if (!value_of(name.c_str(), value)) return;
      }
      assign_sampling(*preset, setting, value, Source::OllamaParams, origin, "");
    });
  }
  if (std::vector<std::string> stop; value_of("stop", stop))
    assign_general(s, s.stop, std::move(stop), Source::OllamaParams, origin);
  if (int ctx = 0; value_of("num_ctx", ctx)) assign_general(s, s.ctx, ctx, Source::OllamaParams, origin);
  if (int threads = 0; value_of("num_thread", threads))
    assign_general(s, s.threads, threads, Source::OllamaParams, origin);
  return path;
}

}  // namespace qwen3::settings
