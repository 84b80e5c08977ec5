// qwen3-dummy-v1 regenerates published checkpoints bit for bit, checked
// against their per-tensor sha256 (tensors.sha256.json).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/file.h"
#include "common/sha256.h"
#include "common/test_paths.h"
#include "model/dummy_weights.h"
#include "model/safetensors.h"
#include "model/tensor_specs.h"
#include "qwen3/error.h"

namespace qwen3 {
namespace {

nlohmann::json hashes(const std::filesystem::path& dir) {
  return nlohmann::json::parse(read_file(dir / "tensors.sha256.json")).at("tensors");
}

std::string generated_sha(const DummyManifest& m, const model::TensorSpec& spec) {
  std::vector<std::uint16_t> v(spec.elements());
  model::generate_dummy_bf16(m, spec.name, spec.elements(), v.data());
  return sha256_hex(v.data(), v.size() * 2);
}

TEST(DummyWeights, PrimitivesMatchTheirDefinitions) {
  EXPECT_EQ(model::fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(model::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);  // published FNV-1a test vector
  // splitmix64 of state 0 (first output of the reference generator seeded 0).
  EXPECT_EQ(model::splitmix64_mix(0x9E3779B97F4A7C15ULL), 0xe220a8397b1dcdafULL);
}

TEST(DummyWeights, RegeneratesTheFixtureTensorByTensor) {
  const auto dir = test::fixture_dir();
  const ModelConfig c = ModelConfig::load(dir / "config.json");
  const DummyManifest m = DummyManifest::load(dir / "dummy.json");
  const auto expected = hashes(dir);
  const auto specs = model::qwen3_tensor_specs(c);
  EXPECT_EQ(specs.size(), expected.size());
  for (const auto& spec : specs) {
    ASSERT_TRUE(expected.contains(spec.name)) << spec.name;
    EXPECT_EQ(expected[spec.name]["shape"].get<std::vector<std::int64_t>>(), spec.shape) << spec.name;
    EXPECT_EQ(generated_sha(m, spec), expected[spec.name]["sha256"].get<std::string>()) << spec.name;
  }
}

// The writer reproduces the shipped checkpoint file byte for byte.
TEST(DummyWeights, WritesTheFixtureFileByteForByte) {
  const auto dir = test::fixture_dir();
  const ModelConfig c = ModelConfig::load(dir / "config.json");
  const DummyManifest m = DummyManifest::load(dir / "dummy.json");
  std::vector<model::TensorToWrite> tensors;
  for (const auto& spec : model::qwen3_tensor_specs(c))
    tensors.push_back({spec.name, "BF16", spec.shape, [&m, spec](std::byte* out) {
                         model::generate_dummy_bf16(m, spec.name, spec.elements(),
                                                    reinterpret_cast<std::uint16_t*>(out));
                       }});
  const auto tmp = std::filesystem::temp_directory_path() / ("qwen3-dummy-test-" + std::to_string(::getpid()));
  const auto files = model::write_checkpoint(tmp, std::move(tensors), std::uint64_t{1} << 40);
  ASSERT_EQ(files.size(), 1u);
  const std::string ours = read_file(files[0]), theirs = read_file(dir / "model.safetensors");
  EXPECT_EQ(ours.size(), theirs.size());
  EXPECT_TRUE(ours == theirs);
  std::filesystem::remove_all(tmp);
}

// Full-size Qwen3-4B: a few tensors, the 389M-element embedding among them.
TEST(DummyWeights, RegeneratesQwen3_4BTensors) {
  const auto dir = test::shared_dir() / "qwen3-4b";
  const ModelConfig c = ModelConfig::load(dir / "config.json");
  const DummyManifest m = DummyManifest::load(dir / "dummy.json");
  const auto expected = hashes(dir);
  const auto specs = model::qwen3_tensor_specs(c);
  EXPECT_EQ(specs.size(), expected.size());
  int checked = 0;
  for (const auto& spec : specs) {
    if (spec.name != "model.embed_tokens.weight" && spec.name != "model.layers.17.mlp.down_proj.weight" &&
        spec.name != "model.layers.35.self_attn.k_norm.weight" && spec.name != "model.norm.weight" &&
        spec.name != "model.layers.0.self_attn.q_proj.weight")
      continue;
    EXPECT_EQ(generated_sha(m, spec), expected[spec.name]["sha256"].get<std::string>()) << spec.name;
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

TEST(DummyWeights, ManifestErrorsAreNamed) {
  EXPECT_THROW(DummyManifest::parse(R"({"generator": "other", "seed": 1, "kinds": {}})", "d.json"), Error);
  EXPECT_THROW(DummyManifest::parse(R"({"generator": "qwen3-dummy-v1", "seed": -1, "kinds": {}})", "d.json"), Error);
  EXPECT_THROW(DummyManifest::parse(R"({"generator": "qwen3-dummy-v1", "seed": 1, "kinds": {"q_proj": {"center": 0}}})",
                                    "d.json"),
               Error);
  EXPECT_THROW(DummyManifest::parse("{", "d.json"), Error);
  const DummyManifest m = DummyManifest::parse(R"({"generator": "qwen3-dummy-v1", "seed": 1, "kinds": {}})", "d.json");
  std::uint16_t out[4];
  try {
    model::generate_dummy_bf16(m, "model.layers.0.self_attn.q_proj.weight", 4, out);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("q_proj"), std::string::npos);
  }
}

}  // namespace
}  // namespace qwen3
