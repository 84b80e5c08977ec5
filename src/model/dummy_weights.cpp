// Compiled with -ffp-contract=off (src/model/CMakeLists.txt): the spec rounds
// the multiply and the add separately, and a fused multiply-add would change
// the last bit of some values.
#include "model/dummy_weights.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/file.h"
#include "model/tensor_specs.h"
#include "qwen3/error.h"

namespace qwen3 {

DummyManifest DummyManifest::parse(const std::string& text, const std::string& source) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(source + ": expected a JSON object");
  if (!j.contains("generator") || j["generator"] != "qwen3-dummy-v1")
    throw Error(source + ": generator: expected \"qwen3-dummy-v1\"");
  if (!j.contains("seed") || !j["seed"].is_number_unsigned())
    throw Error(source + ": seed: expected a non-negative integer");
  if (!j.contains("kinds") || !j["kinds"].is_object()) throw Error(source + ": kinds: expected an object");
  DummyManifest m;
  m.seed = j["seed"].get<std::uint64_t>();
  for (const auto& [kind, v] : j["kinds"].items()) {
    if (!v.is_object() || !v.contains("center") || !v["center"].is_number() || !v.contains("scale") ||
        !v["scale"].is_number())
      throw Error(source + ": kinds." + kind + ": expected {\"center\": number, \"scale\": number}");
    m.kinds[kind] = {v["center"].get<double>(), v["scale"].get<double>()};
  }
  return m;
}

DummyManifest DummyManifest::load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) throw Error("missing dummy-weight manifest " + file.string());
  return parse(read_file(file), file.string());
}

std::filesystem::path DummyManifest::file_for_config(const std::filesystem::path& config_json) {
  const std::filesystem::path beside = config_json.parent_path() / "dummy.json";
  if (std::filesystem::exists(beside)) return beside;
  return data_dir() / "models" / "qwen3-4b" / "dummy.json";
}

DummyManifest DummyManifest::for_config(const std::filesystem::path& config_json) {
  return load(file_for_config(config_json));
}

namespace model {

std::uint64_t splitmix64_mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

float dummy_value_f32(std::uint64_t base, std::uint64_t k, double center, double scale) {
  const std::uint64_t z = splitmix64_mix(base + (k + 1) * 0x9E3779B97F4A7C15ULL);
  const double u = static_cast<double>(z >> 11) * 0x1.0p-53;
  const double s = 2.0 * u - 1.0;
  const double scaled = scale * s;
  return static_cast<float>(center + scaled);
}

void require_kinds(const DummyManifest& manifest, const ModelConfig& config, const std::string& source) {
  for (const TensorSpec& spec : qwen3_tensor_specs(config)) {
    const std::string kind = tensor_kind(spec.name);
    if (!manifest.kinds.count(kind)) throw Error(source + ": kinds: missing \"" + kind + "\"");
  }
}

namespace {

// The bf16 bits of elements [begin, begin + n) of tensor `name`, by
// put(i, bits) for i in [0, n). Multithreaded.
template <class Put>
void generate_range(const DummyManifest& manifest, const std::string& name, std::int64_t begin, std::int64_t n,
                    Put put) {
  const std::string kind = tensor_kind(name);
  const auto it = manifest.kinds.find(kind);
  if (it == manifest.kinds.end())
    throw Error("dummy-weight manifest has no kind \"" + kind + "\" (needed for " + name + ")");
  const double center = it->second.center, scale = it->second.scale;
  const std::uint64_t base = manifest.seed ^ fnv1a64(name);
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < n; ++k) {
    const float f = dummy_value_f32(base, static_cast<std::uint64_t>(begin + k), center, scale);
    std::uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    put(k, static_cast<std::uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16));
  }
}

}  // namespace

void generate_dummy_bf16(const DummyManifest& manifest, const std::string& name, std::int64_t n, std::uint16_t* out) {
  generate_range(manifest, name, 0, n, [out](std::int64_t k, std::uint16_t bits) { out[k] = bits; });
}

void generate_dummy_f32(const DummyManifest& manifest, const std::string& name, std::int64_t begin, std::int64_t n,
                        float* out) {
  generate_range(manifest, name, begin, n, [out](std::int64_t k, std::uint16_t bits) {
    const std::uint32_t wide = static_cast<std::uint32_t>(bits) << 16;
    std::memcpy(&out[k], &wide, sizeof wide);
  });
}

}  // namespace model
}  // namespace qwen3
