// Exactness against Hugging Face tokenizers: every vector of the shared golden
// file (ids, decode with and without special tokens, token strings).
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace qwen3 {
namespace {

const nlohmann::json& golden() {
  static const nlohmann::json g = test::read_json(test::shared_dir() / "golden" / "tokenizer_vectors.json");
  return g;
}

TEST(TokenizerGolden, HasVectors) {
  ASSERT_EQ(golden()["vectors"].size(), golden()["header"]["count"].get<std::size_t>());
  EXPECT_GE(golden()["vectors"].size(), 100u);
}

TEST(TokenizerGolden, IdsMatchReference) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  for (const auto& v : golden()["vectors"]) {
    auto expected = v["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(tok.encode(v["text"].get<std::string>()), expected) << v["name"];
  }
}

TEST(TokenizerGolden, TokenStringsMatchReference) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  for (const auto& v : golden()["vectors"]) {
    auto ids = v["ids"].get<std::vector<TokenId>>();
    auto tokens = v["tokens"].get<std::vector<std::string>>();
    ASSERT_EQ(ids.size(), tokens.size()) << v["name"];
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(tok.token_string(ids[i]), tokens[i]) << v["name"] << " #" << i;
      EXPECT_EQ(tok.token_to_id(tokens[i]), ids[i]) << v["name"] << " #" << i;
    }
  }
}

TEST(TokenizerGolden, DecodeMatchesReference) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  for (const auto& v : golden()["vectors"]) {
    auto ids = v["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(tok.decode(ids), v["decoded"].get<std::string>()) << v["name"];
    EXPECT_EQ(tok.decode(ids, /*skip_special=*/true), v["decoded_skip_special"].get<std::string>()) << v["name"];
  }
}

TEST(TokenizerGolden, StreamingDecodeMatchesDecode) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  for (bool skip : {false, true}) {
    for (const auto& v : golden()["vectors"]) {
      StreamDecoder stream(tok, skip);
      std::string text;
      for (TokenId id : v["ids"].get<std::vector<TokenId>>()) text += stream.push(id);
      text += stream.flush();
      EXPECT_EQ(text, v[skip ? "decoded_skip_special" : "decoded"].get<std::string>()) << v["name"];
    }
  }
}

TEST(TokenizerGolden, InRepoCopyIsIdentical) {
  // tests/data keeps a copy for reading alongside the tests; it must not drift.
  EXPECT_EQ(test::read_json(test::test_data() / "tokenizer_vectors.json"), golden());
}

}  // namespace
}  // namespace qwen3
