// GGUF files: the reader's checks (a malformed file is one qwen3::Error,
// never a crash), ggml's dequantization bit for bit (the fixture's
// dequant_sha256.json), the config from metadata, and loading a model.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "common/file.h"
#include "common/gguf.h"
#include "common/run_cli.h"
#include "common/sha256.h"
#include "kernels/kernels.h"
#include "model/gguf_model.h"
#include "model/gguf_fixtures.h"
#include "qwen3/error.h"
#include "qwen3/model.h"
#include "common/test_paths.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using test::GgufFixture;

class GgufFile : public ::testing::TestWithParam<GgufFixture> {};

TEST_P(GgufFile, DequantizesBitExactlyAsGgml) {
  const GgufFixture& fx = GetParam();
  const auto expected = nlohmann::json::parse(read_file(fx.reference / "dequant_sha256.json")).at("tensors");
  const gguf::File f(fx.gguf);
  ASSERT_EQ(expected.size(), f.tensors().size());
  for (const auto& [name, want] : expected.items()) {
    const gguf::Tensor* t = f.tensor(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(gguf::type_name(t->type), want.at("ggml_type").get<std::string>()) << name;
    EXPECT_EQ(t->ne, want.at("ne").get<std::vector<std::int64_t>>()) << name;
    const auto type = model::weight_type_of(t->type);
    ASSERT_TRUE(type) << name;
    std::vector<float> values(t->elements());
    kernels::to_f32(t->data, *type, t->elements(), values.data());
    EXPECT_EQ(sha256_hex(values.data(), values.size() * sizeof(float)), want.at("sha256_f32").get<std::string>())
        << name << " (" << gguf::type_name(t->type) << ")";
  }
}

TEST_P(GgufFile, ConfigFromMetadataMatchesConfigJson) {
  const GgufFixture& fx = GetParam();
  const fs::path config_json = fx.gguf.parent_path() / "config.json";
  if (!fs::exists(config_json)) GTEST_SKIP() << "no config.json beside " << fx.gguf;
  test::expect_same_config(ModelConfig::load(fx.gguf), ModelConfig::load(config_json), fx.name);
}

TEST_P(GgufFile, LoadsAsAModelWithItsTypes) {
  const GgufFixture& fx = GetParam();
  RunOptions o;
  o.threads = 2;
  o.ctx = 64;
  const auto model = Model::load(fx.gguf, o);
  const gguf::File f(fx.gguf);
  const std::string q = gguf::type_name(f.tensor("blk.0.attn_q.weight")->type);
  std::string lower = q;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_NE(model->weight_dtype().find(lower), std::string::npos) << model->weight_dtype();
  // The weights are the file's tensors as they lie (norms widened to f32),
  // the layers' Q4_K matrices packed (148 bytes per row and super-block
  // where the file has 144).
  EXPECT_LE(model->weight_bytes(), f.size() * 148 / 144);
}

// Every truncation of the header and tables, and random byte changes in
// them, give a qwen3::Error naming the file (or, for a change that keeps the
// file valid, a file that loads): never a crash or a read past the mapping.
TEST_P(GgufFile, MalformedFilesAreOneLineErrors) {
  const GgufFixture& fx = GetParam();
  const gguf::File good(fx.gguf);
  const std::string bytes = read_file(fx.gguf);
  const std::size_t header = good.data_offset();
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-gguf-" + std::to_string(::getpid()) + ".gguf");
  const auto check = [&](const std::string& content, const std::string& what) {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
    }
    try {
      const gguf::File f(tmp);
      // Accepted: every tensor lies inside the file.
      for (const gguf::Tensor& t : f.tensors()) EXPECT_LE(f.data_offset() + t.offset + t.bytes, f.size()) << what;
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.find('\n'), std::string::npos) << what << ": " << m;
      EXPECT_NE(m.find(tmp.string()), std::string::npos) << what << ": " << m;
    }
  };
  std::mt19937 rng(7);
  for (int i = 0; i < 200; ++i) {
    const std::size_t cut = std::uniform_int_distribution<std::size_t>(0, header + 64)(rng);
    check(bytes.substr(0, cut), "truncated at " + std::to_string(cut));
  }
  check(bytes.substr(0, bytes.size() - 1), "last byte missing");
  // Changes in the first bytes (counts, the first keys) and anywhere in the tables.
  for (int i = 0; i < 300; ++i) {
    std::string b = bytes.substr(0, std::min(bytes.size(), header + 4096));
    const std::size_t at = i < 100 ? std::uniform_int_distribution<std::size_t>(0, 64)(rng)
                                   : std::uniform_int_distribution<std::size_t>(0, header - 1)(rng);
    b[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    check(b, "byte " + std::to_string(at) + " changed");
  }
  fs::remove(tmp);
}

// A NaN or infinite f16 scale in any block (d, or dmin of Q4_K / Q5_K) is
// refused at load, naming the tensor, row and block: one tensor of each
// quantized type in the file, its last block's last scale made NaN.
TEST_P(GgufFile, ANonFiniteScaleIsRefusedNamingTheTensor) {
  const GgufFixture& fx = GetParam();
  const gguf::File good(fx.gguf);
  const std::string bytes = read_file(fx.gguf);
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-gguf-scale-" + std::to_string(::getpid()) + ".gguf");
  std::set<std::uint32_t> seen;
  for (const gguf::Tensor& t : good.tensors()) {
    const auto type = model::weight_type_of(t.type);
    if (!type || !kernels::is_quantized(*type) || !seen.insert(t.type).second) continue;
    const std::size_t block = kernels::block_bytes(*type);
    // The last f16 scale of a block: dmin of Q4_K / Q5_K (at 2), d of Q6_K (last), d of Q8_0 / Q4_0 (first).
    const std::size_t scale = *type == kernels::WeightType::Q6_K                                         ? block - 2
                              : *type == kernels::WeightType::Q4_K || *type == kernels::WeightType::Q5_K ? 2
                                                                                                         : 0;
    std::string b = bytes;
    const std::size_t at = good.data_offset() + t.offset + t.bytes - block + scale;
    b[at] = 0x00;
    b[at + 1] = 0x7e;  // f16 NaN
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(b.data(), static_cast<std::streamsize>(b.size()));
    }
    const std::int64_t rows = t.elements() / t.ne[0], blocks = t.ne[0] / kernels::block_elements(*type);
    const std::string want = tmp.string() + ": tensor " + t.name + " (" + gguf::type_name(t.type) + "): row " +
                             std::to_string(rows - 1) + ", block " + std::to_string(blocks - 1) +
                             " has a NaN or infinite scale";
    RunOptions o;
    o.threads = 2;
    o.ctx = 16;
    try {
      Model::load(tmp, o);
      ADD_FAILURE() << fx.name << ": " << t.name << " loaded with a NaN scale";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(want, 0), 0u) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
  }
  EXPECT_FALSE(seen.empty()) << fx.name << " has no quantized tensor";
  fs::remove(tmp);
}

// The program on a GGUF alone: its tokenizer and template from the file (no
// tokenizer.json beside it in the fixture folder), a chat turn, a reply.
TEST_P(GgufFile, ChatRunsOnTheFileAlone) {
  const GgufFixture& fx = GetParam();
  ASSERT_FALSE(fs::exists(fx.gguf.parent_path() / "tokenizer.json"));
  const auto r = test::run_qwen3({"chat", "--model", fx.gguf.string(), "--max-new-tokens", "6", "--seed", "1",
                                  "--threads", "2", "--ctx", "256", "--json"},
                                 "Hello\n");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto reply = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(reply.at("usage").at("generated_tokens").get<int>(), 6) << r.out;
  const auto info = test::run_qwen3({"info", "--model", fx.gguf.string()});
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("dtype"), std::string::npos);
}

TEST(GgufCli, NotAGgufIsOneLineError) {
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-notgguf-" + std::to_string(::getpid()) + ".gguf");
  std::ofstream(tmp) << "not a model";
  const auto r = test::run_qwen3({"info", "--model", tmp.string()});
  EXPECT_TRUE(test::is_one_line_error(r, tmp.string())) << r.err;
  fs::remove(tmp);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, GgufFile, ::testing::ValuesIn(test::gguf_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GgufFile);

// A minimal GGUF written byte by byte, to test single defects.
struct Writer {
  std::string b;
  template <class T>
  void put(T v) {
    b.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    put<std::uint64_t>(s.size());
    b += s;
  }
};

std::string tiny_gguf(std::uint32_t type, std::uint64_t offset, std::int64_t ne0, std::uint32_t version = 3) {
  Writer w;
  w.b = "GGUF";
  w.put<std::uint32_t>(version);
  w.put<std::uint64_t>(1);  // tensors
  w.put<std::uint64_t>(1);  // metadata
  w.str("general.architecture");
  w.put<std::uint32_t>(8);
  w.str("qwen3");
  w.str("t.weight");
  w.put<std::uint32_t>(1);
  w.put<std::int64_t>(ne0);
  w.put<std::uint32_t>(type);
  w.put<std::uint64_t>(offset);
  w.b.resize((w.b.size() + 31) / 32 * 32, '\0');
  w.b.resize(w.b.size() + 64, '\0');
  return w.b;
}

std::string error_of(const std::string& content) {
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-gguf-one-" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  std::string message;
  try {
    gguf::File f(tmp);
  } catch (const Error& e) {
    message = e.what();
  }
  fs::remove(tmp);
  return message;
}

TEST(GgufReader, NamesEachDefect) {
  EXPECT_EQ(error_of(tiny_gguf(0, 0, 16)), "");  // 64 bytes of F32
  EXPECT_NE(error_of(tiny_gguf(0, 0, 16, 1)).find("GGUF version 1 is not supported"), std::string::npos);
  EXPECT_NE(error_of(tiny_gguf(0, 16, 16)).find("not a multiple of the alignment"), std::string::npos);
  EXPECT_NE(error_of(tiny_gguf(0, 32, 16)).find("run past the end"), std::string::npos);
  EXPECT_NE(error_of(tiny_gguf(99, 0, 16)).find("unknown ggml type 99"), std::string::npos);
  EXPECT_NE(error_of(tiny_gguf(8, 0, 16)).find("not a multiple of Q8_0's block of 32"), std::string::npos);
  EXPECT_NE(error_of("GGML").find("not a GGUF file"), std::string::npos);
  EXPECT_NE(error_of("GGUF\3\0\0\0").find("truncated"), std::string::npos);
}

TEST(GgufReader, RefusesUnsupportedTypesByName) {
  // A fixture whose attn_norm is made I32 (a ggml type of the same size that
  // qwen3 does not run): refused, naming the tensor and the type.
  const auto fixtures = test::gguf_fixtures();
  if (fixtures.empty()) GTEST_SKIP() << "no GGUF fixture";
  std::string bytes = read_file(fixtures.front().gguf);
  const std::string key = "blk.0.attn_norm.weight";
  const gguf::File f(fixtures.front().gguf);
  const gguf::Tensor* t = f.tensor(key);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->type, gguf::kF32);
  // In the table: the name, the dimension count, the dimensions, the type.
  const std::size_t at = bytes.find(key);
  ASSERT_NE(at, std::string::npos);
  const std::uint32_t i32 = 26;
  std::memcpy(&bytes[at + key.size() + 4 + 8 * t->ne.size()], &i32, 4);
  const fs::path tmp = fs::temp_directory_path() / ("qwen3-gguf-i32-" + std::to_string(::getpid()) + ".gguf");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  RunOptions o;
  o.threads = 1;
  o.ctx = 16;
  try {
    Model::load(tmp, o);
    ADD_FAILURE() << "loaded a file with an I32 tensor";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(key + " has type I32, which qwen3 does not support"), std::string::npos) << m;
  }
  fs::remove(tmp);
}

TEST(GgufNames, MapsEveryTensorOfTheTable) {
  EXPECT_EQ(model::gguf_tensor_name("model.embed_tokens.weight"), "token_embd.weight");
  EXPECT_EQ(model::gguf_tensor_name("model.layers.12.self_attn.o_proj.weight"), "blk.12.attn_output.weight");
  EXPECT_EQ(model::gguf_tensor_name("model.layers.0.post_attention_layernorm.weight"), "blk.0.ffn_norm.weight");
  EXPECT_EQ(model::gguf_tensor_name("lm_head.weight"), "output.weight");
  EXPECT_THROW(model::gguf_tensor_name("model.layers.0.mlp.experts.weight"), Error);
}

}  // namespace
}  // namespace qwen3
