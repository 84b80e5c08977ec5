// The tokenizer a GGUF file carries (tokenizer.ggml.*) against tokenizer.json:
// the same ids on every golden vector, the same decode, the same added
// tokens; for every fixture GGUF.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/gguf.h"
#include "qwen3/error.h"
#include "tokenizer_test_util.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;

std::vector<fs::path> fixture_ggufs() {
  std::vector<fs::path> out;
  for (const auto& dir : fs::directory_iterator(test::shared_dir() / "fixtures"))
    if (dir.is_directory())
      for (const auto& f : fs::directory_iterator(dir.path()))
        if (f.path().extension() == ".gguf") out.push_back(f.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(GgufTokenizer, SameIdsAsTokenizerJsonOnEveryGoldenVector) {
  const auto golden = test::read_json(test::shared_dir() / "golden" / "tokenizer_vectors.json");
  const Tokenizer& reference = test::qwen3_tokenizer();
  const auto files = fixture_ggufs();
  if (files.empty()) GTEST_SKIP() << "no GGUF fixture";
  for (const fs::path& file : files) {
    const Tokenizer tok = Tokenizer::load(file);  // a GGUF file is a tokenizer source too
    EXPECT_EQ(tok.vocab_size(), reference.vocab_size()) << file;
    ASSERT_EQ(tok.added_tokens().size(), reference.added_tokens().size()) << file;
    for (std::size_t i = 0; i < tok.added_tokens().size(); ++i) {
      EXPECT_EQ(tok.added_tokens()[i].id, reference.added_tokens()[i].id) << file;
      EXPECT_EQ(tok.added_tokens()[i].content, reference.added_tokens()[i].content) << file;
      EXPECT_EQ(tok.added_tokens()[i].special, reference.added_tokens()[i].special)
          << file << " " << tok.added_tokens()[i].content;
    }
    for (const auto& v : golden["vectors"]) {
      const auto ids = v["ids"].get<std::vector<TokenId>>();
      EXPECT_EQ(tok.encode(v["text"].get<std::string>()), ids) << file << " " << v["name"];
      EXPECT_EQ(tok.decode(ids), v["decoded"].get<std::string>()) << file << " " << v["name"];
      EXPECT_EQ(tok.decode(ids, true), v["decoded_skip_special"].get<std::string>()) << file << " " << v["name"];
    }
  }
}

TEST(GgufTokenizer, RefusesAnotherPreTokenizer) {
  // A file that is not a GGUF is read as tokenizer.json (and fails as one);
  // a GGUF without tokenizer metadata names the key.
  const auto files = fixture_ggufs();
  if (files.empty()) GTEST_SKIP() << "no GGUF fixture";
  const gguf::File f(files.front());
  EXPECT_EQ(f.string("tokenizer.ggml.pre"), "qwen2");
  EXPECT_EQ(f.string("tokenizer.ggml.model"), "gpt2");
}

}  // namespace
}  // namespace qwen3
