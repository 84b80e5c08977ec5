#pragma once
// Option values read from JSON sources (generation_config.json, an Ollama
// params blob): false when the JSON value is not of the option's type.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace qwen3::settings {

inline bool read_json(const nlohmann::json& j, float& out) {
  if (!j.is_number()) return false;
  out = j.get<float>();
  return true;
}
inline bool read_json(const nlohmann::json& j, int& out) {
  if (!j.is_number_integer()) return false;
  const auto v = j.get<long long>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return false;
  out = static_cast<int>(v);
  return true;
}
inline bool read_json(const nlohmann::json& j, std::uint64_t& out) {
  if (!j.is_number_unsigned()) return false;
  out = j.get<std::uint64_t>();
  return true;
}
// One string, or a list of them.
inline bool read_json(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_string()) {
    out = {j.get<std::string>()};
    return true;
  }
  if (!j.is_array()) return false;
  out.clear();
  for (const auto& e : j) {
    if (!e.is_string()) return false;
    out.push_back(e.get<std::string>());
  }
  return true;
}

}  // namespace qwen3::settings
