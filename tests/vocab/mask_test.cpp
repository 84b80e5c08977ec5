// VocabTable and TokenMask on a small made-up vocabulary laid out like
// Qwen3's (regular tokens, then the added tokens at their real ids, then padding).
#include <gtest/gtest.h>

#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab {
namespace {

// Ids 0..5 regular, 151643..151668 added, up to 151936 rows.
VocabTable small_table() {
  std::vector<std::string> bytes(token::kThinkEnd + 1, "filler");
  bytes[0] = " the";
  bytes[1] = "\xC3";  // partial
  bytes[2] = " café";
  bytes[3] = "中";
  bytes[4] = "\n";
  bytes[5] = "😀";
  std::vector<TokenId> added;
  for (TokenId id = token::kEndOfText; id <= token::kThinkEnd; ++id) {
    bytes[id] = "<added " + std::to_string(id) + ">";
    added.push_back(id);
  }
  return VocabTable::classify(std::move(bytes), added, Tokenizer::kEmbeddingRows);
}

TEST(VocabTable, ClassesOfEveryRow) {
  VocabTable t = small_table();
  EXPECT_EQ(t.rows(), Tokenizer::kEmbeddingRows);
  EXPECT_EQ(t.class_of(0), TokenClass::kAsciiLetters);
  EXPECT_EQ(t.class_of(1), TokenClass::kPartialUtf8);
  EXPECT_EQ(t.class_of(3), TokenClass::kHan);
  EXPECT_EQ(t.class_of(token::kImEnd), TokenClass::kSpecial);
  EXPECT_EQ(t.class_of(token::kThinkEnd + 1), TokenClass::kUnused);
  EXPECT_EQ(t.class_of(Tokenizer::kEmbeddingRows - 1), TokenClass::kUnused);
  EXPECT_EQ(t.bytes_of(2), " café");
  EXPECT_EQ(t.bytes_of(Tokenizer::kEmbeddingRows - 1), "");
  auto counts = t.class_counts();
  EXPECT_EQ(counts[int(TokenClass::kSpecial)], 26);
  EXPECT_EQ(counts[int(TokenClass::kUnused)], Tokenizer::kEmbeddingRows - token::kThinkEnd - 1);
  int sum = 0;
  for (int n : counts) sum += n;
  EXPECT_EQ(sum, t.rows());
}

TEST(VocabTable, RejectsBadInput) {
  EXPECT_THROW(small_table().class_of(-1), Error);
  EXPECT_THROW(small_table().class_of(Tokenizer::kEmbeddingRows), Error);
  EXPECT_THROW(VocabTable::classify({"a", "b"}, {2}, 4), Error) << "added id past the tokens";
  EXPECT_THROW(VocabTable::classify({"a", "b", "c"}, {}, 2), Error) << "more tokens than rows";
}

TEST(TokenMask, AsciiKeepsChatTokensOnly) {
  VocabTable t = small_table();
  TokenMask m = build_mask(t, Policy::parse("ascii"));
  EXPECT_EQ(m.rows(), t.rows());
  EXPECT_TRUE(m.allows(0));
  EXPECT_FALSE(m.allows(1));
  EXPECT_FALSE(m.allows(2));
  EXPECT_FALSE(m.allows(3));
  EXPECT_TRUE(m.allows(4));
  EXPECT_FALSE(m.allows(5));
  for (TokenId id : chat_token_ids()) EXPECT_TRUE(m.allows(id)) << id;
  for (TokenId id : tool_call_token_ids()) EXPECT_FALSE(m.allows(id)) << id;
  EXPECT_FALSE(m.allows(token::kImStart)) << "the model never writes <|im_start|> in a reply";
  EXPECT_FALSE(m.allows(token::kThinkEnd + 1));
  EXPECT_FALSE(m.allows(-1));
  EXPECT_FALSE(m.allows(Tokenizer::kEmbeddingRows));
}

TEST(TokenMask, IdsAreSortedAndMatchTheBytes) {
  VocabTable t = small_table();
  MaskOptions tools;
  tools.allow_tool_calls = true;
  TokenMask m = build_mask(t, Policy::parse("latin+emoji"), tools);
  EXPECT_TRUE(std::is_sorted(m.ids().begin(), m.ids().end()));
  int on = 0;
  for (auto b : m.allowed()) on += b;
  EXPECT_EQ(on, m.count());
  for (TokenId id : m.ids()) EXPECT_TRUE(m.allows(id));
  EXPECT_TRUE(m.allows(2));
  EXPECT_TRUE(m.allows(5));
  EXPECT_FALSE(m.allows(3));
  for (TokenId id : tool_call_token_ids()) EXPECT_TRUE(m.allows(id)) << id;
  // 6 regular ids minus partial and Han, the filler ids, 4 chat + 2 tool ids.
  EXPECT_EQ(m.count(), 4 + (token::kEndOfText - 6) + 6);
}

TEST(Stats, TableListsEveryClassAndPolicy) {
  VocabTable t = small_table();
  std::string text = format_stats(t);
  for (int k = 0; k < kClassCount; ++k)
    EXPECT_NE(text.find(std::string(class_name(static_cast<TokenClass>(k)))), std::string::npos);
  for (const auto& b : builtin_policies()) EXPECT_NE(text.find(std::string(b.spec)), std::string::npos);
  EXPECT_NE(text.find("151936 ids"), std::string::npos) << text;
  EXPECT_NE(format_stats_json(t).find("\"rows\": 151936"), std::string::npos);
  EXPECT_EQ(format_stats(t), format_stats(small_table())) << "deterministic";
}

}  // namespace
}  // namespace qwen3::vocab
