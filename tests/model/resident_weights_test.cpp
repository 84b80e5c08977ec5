// A GGUF file's matrices are held in memory of the process's own, not read
// through the file's mapping (packed, or copied as they are: gguf_model.cpp): after
// loading and a forward pass, the mapping of the file holds no more resident
// pages than its header and the pages at the tensors' edges (norms, read once
// as f32). Every GGUF fixture.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/gguf.h"
#include "common/test_paths.h"
#include "model/gguf_fixtures.h"
#include "model/weights.h"
#include "qwen3/model.h"

namespace qwen3 {
namespace {

namespace fs = std::filesystem;

// The resident bytes of every mapping of `file` (/proc/self/smaps).
std::uint64_t mapped_resident_bytes(const fs::path& file) {
  const std::string path = fs::canonical(file).string();
  std::ifstream smaps("/proc/self/smaps");
  std::uint64_t total = 0;
  bool ours = false;
  for (std::string line; std::getline(smaps, line);) {
    std::istringstream in(line);
    std::string first;
    in >> first;
    if (first.find('-') != std::string::npos && first.find(':') == std::string::npos) {  // a mapping's first line
      ours = line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0;
    } else if (ours && first == "Rss:") {
      std::uint64_t kb = 0;
      in >> kb;
      total += kb * 1024;
    }
  }
  return total;
}

// Loads `file`, runs a forward pass over a few tokens, and checks its mapping.
void expect_matrices_outside_the_mapping(const fs::path& file, std::uint64_t header_bytes, std::size_t tensors) {
  RunOptions o;
  o.threads = 2;
  o.ctx = 64;
  const auto model = Model::load(file, o);
  Session session = model->new_session();
  std::vector<float> logits(static_cast<std::size_t>(model->config().vocab_size));
  const std::vector<TokenId> tokens = {9707, 1879, 11, 358};
  model->forward(tokens, session, logits.data());
  const std::uint64_t bound = header_bytes + tensors * 2 * 4096 + 65536;
  ASSERT_LT(bound, fs::file_size(file) / 2) << "the fixture is too small for this check";
  EXPECT_LE(mapped_resident_bytes(file), bound) << file;
}

class ResidentGguf : public ::testing::TestWithParam<test::GgufFixture> {};

TEST_P(ResidentGguf, AGgufFileIsReadFromMemoryOfItsOwn) {
  std::uint64_t data_offset = 0;
  std::size_t tensors = 0;
  {
    const gguf::File f(GetParam().gguf);  // unmapped before the model maps it
    data_offset = f.data_offset();
    tensors = f.tensors().size();
  }
  expect_matrices_outside_the_mapping(GetParam().gguf, data_offset, tensors);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ResidentGguf, ::testing::ValuesIn(test::gguf_fixtures()),
                         [](const auto& info) { return test::test_name(info.param.name); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ResidentGguf);

TEST(ResidentWeights, OnlyAnUntiedEmbeddingTableStaysInTheFile) {
  ModelConfig tied;
  tied.tie_word_embeddings = true;
  ModelConfig untied = tied;
  untied.tie_word_embeddings = false;
  EXPECT_TRUE(detail::stays_in_file("model.embed_tokens.weight", untied));
  EXPECT_FALSE(detail::stays_in_file("model.embed_tokens.weight", tied));
  EXPECT_FALSE(detail::stays_in_file("lm_head.weight", untied));
  EXPECT_FALSE(detail::stays_in_file("model.layers.0.mlp.down_proj.weight", untied));
}

}  // namespace
}  // namespace qwen3
