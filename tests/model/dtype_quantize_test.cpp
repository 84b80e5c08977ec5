// dtype q8_0 / q4_0: float weights quantized while loading as llama-quantize
// quantizes them. A quantized fixture made by llama-quantize Q8_0 from the
// qwen3-dummy-v1 weights of its config.json and dummy.json (every matrix
// Q8_0) is reproduced exactly: our dummy weights quantized while loading give
// the file's logits bit for bit, so the same blocks. A safetensors checkpoint
// loads quantized, close to its bf16 logits; a quantized GGUF is not
// quantized again.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "common/gguf.h"
#include "common/test_paths.h"
#include "model/gguf_fixtures.h"
#include "qwen3/error.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;

RunOptions options(WeightDType dtype) {
  RunOptions o;
  o.threads = 2;
  o.ctx = 64;
  o.dtype = dtype;
  return o;
}

std::vector<float> logits(const Model& m, const std::vector<TokenId>& tokens) {
  Session s = m.new_session();
  std::vector<float> out(static_cast<std::size_t>(tokens.size()) * m.config().vocab_size);
  m.forward_all(tokens, s, out.data());
  return out;
}

const std::vector<TokenId> kTokens = {151644, 872, 198, 9707, 11, 1879, 0, 151645, 198, 151644, 77091};

TEST(DtypeQuantize, DummyWeightsAsQ8_0EqualLlamaQuantizesFile) {
  int compared = 0;
  for (const auto& fx : test::gguf_fixtures()) {
    if (!fx.name.ends_with("/Q8_0")) continue;
    const fs::path config_json = fx.gguf.parent_path() / "config.json";
    if (!fs::exists(config_json) || !fs::exists(fx.gguf.parent_path() / "dummy.json")) continue;
    const ModelConfig config = ModelConfig::load(config_json);
    const auto ours = Model::dummy(config, DummyManifest::for_config(config_json), options(WeightDType::Q8_0));
    const auto file = Model::load(fx.gguf, options(WeightDType::Auto));
    EXPECT_EQ(ours->weight_dtype(), "q8_0");
    EXPECT_EQ(ours->weight_bytes(), file->weight_bytes()) << fx.name;
    EXPECT_EQ(logits(*ours, kTokens), logits(*file, kTokens)) << fx.name;
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "no Q8_0 fixture with config.json and dummy.json";
}

TEST(DtypeQuantize, ACheckpointLoadsQuantizedCloseToBf16) {
  const fs::path dir = test::fixture_dir();
  const auto bf16 = Model::load(dir, options(WeightDType::Auto));
  const auto want = logits(*bf16, kTokens);
  double scale = 0;
  for (float v : want) scale += static_cast<double>(v) * v;
  scale = std::sqrt(scale / want.size());
  for (const auto& [dtype, name, bound] :
       {std::tuple{WeightDType::Q8_0, "q8_0", 0.05}, std::tuple{WeightDType::Q4_0, "q4_0", 0.5}}) {
    const auto m = Model::load(dir, options(dtype));
    EXPECT_EQ(m->weight_dtype(), name);
    EXPECT_LT(m->weight_bytes(), bf16->weight_bytes());
    const auto got = logits(*m, kTokens);
    double ss = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_TRUE(std::isfinite(got[i])) << name << " " << i;
      ss += static_cast<double>(got[i] - want[i]) * (got[i] - want[i]);
    }
    std::printf("[ %s ] logits RMS off bf16: %.3g of their RMS\n", name, std::sqrt(ss / got.size()) / scale);
    EXPECT_LT(std::sqrt(ss / got.size()) / scale, bound) << name;
    EXPECT_GT(std::sqrt(ss / got.size()), 0) << name;
  }
}

TEST(DtypeQuantize, AQuantizedGgufIsNotQuantizedAgain) {
  for (const auto& fx : test::gguf_fixtures()) {
    const gguf::File f(fx.gguf);
    if (gguf::type_name(f.tensor("blk.0.attn_q.weight")->type) == "Q8_0") {
      EXPECT_EQ(Model::load(fx.gguf, options(WeightDType::Q8_0))->weight_dtype(), "q8_0");
      continue;
    }
    try {
      Model::load(fx.gguf, options(WeightDType::Q8_0));
      ADD_FAILURE() << fx.name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("already quantized"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fx.gguf.string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace qwen3
