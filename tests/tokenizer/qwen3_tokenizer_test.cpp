// The Qwen3 tokenizer's facts and behaviours beyond the golden vectors:
// sizes, added tokens, lookups, special-token handling, errors.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "qwen3/error.h"
#include "tokenizer_test_util.h"

namespace qwen3 {
namespace {

const Tokenizer& tok() { return test::qwen3_tokenizer(); }

TokenId single_byte_token(unsigned char b) {
  for (TokenId id = 0; id < tok().vocab_size(); ++id)
    if (tok().token_bytes(id) == std::string(1, static_cast<char>(b))) return id;
  throw std::runtime_error("no single-byte token");
}

TEST(Qwen3Tokenizer, Sizes) {
  EXPECT_EQ(tok().vocab_size(), 151669);
  EXPECT_EQ(Tokenizer::kEmbeddingRows, 151936);
  EXPECT_GT(Tokenizer::kEmbeddingRows, tok().vocab_size());
}

TEST(Qwen3Tokenizer, AddedTokens) {
  const auto& added = tok().added_tokens();
  ASSERT_EQ(added.size(), 26u);
  for (std::size_t i = 0; i < added.size(); ++i) {
    EXPECT_EQ(added[i].id, static_cast<TokenId>(151643 + i));
    EXPECT_EQ(added[i].special, added[i].id <= 151656) << added[i].content;  // 151643-151656 are special
    EXPECT_TRUE(tok().is_added(added[i].id));
    EXPECT_EQ(tok().is_special(added[i].id), added[i].special);
    EXPECT_EQ(tok().token_to_id(added[i].content), added[i].id);
    EXPECT_EQ(tok().token_bytes(added[i].id), added[i].content);
    EXPECT_EQ(tok().encode(added[i].content), std::vector<TokenId>{added[i].id});
  }
  EXPECT_EQ(tok().token_string(token::kImStart), "<|im_start|>");
  EXPECT_EQ(tok().token_string(token::kImEnd), "<|im_end|>");
  EXPECT_EQ(tok().token_string(token::kEndOfText), "<|endoftext|>");
  EXPECT_EQ(tok().token_string(token::kThinkStart), "<think>");
  EXPECT_EQ(tok().token_string(token::kThinkEnd), "</think>");
  EXPECT_EQ(tok().token_string(token::kToolCallStart), "<tool_call>");
  EXPECT_EQ(tok().token_string(token::kToolCallEnd), "</tool_call>");
  EXPECT_FALSE(tok().is_added(9707));
}

TEST(Qwen3Tokenizer, EveryTokenStringMapsBackToItsId) {
  for (TokenId id = 0; id < tok().vocab_size(); ++id) ASSERT_EQ(tok().token_to_id(tok().token_string(id)), id) << id;
  EXPECT_EQ(tok().token_to_id("no such token string"), std::nullopt);
}

TEST(Qwen3Tokenizer, TokenBytesUndoTheByteAlphabet) {
  EXPECT_EQ(tok().token_string(9707), "Hello");
  EXPECT_EQ(tok().token_string(1879), "\xC4\xA0world");  // "Ġworld"
  EXPECT_EQ(tok().token_bytes(1879), " world");
  EXPECT_EQ(tok().token_bytes(*tok().token_to_id("\xC4\x8A")), "\n");  // "Ċ"
}

TEST(Qwen3Tokenizer, HelloWorldAndNoBos) {
  EXPECT_EQ(tok().encode("Hello world"), (std::vector<TokenId>{9707, 1879}));
  EXPECT_TRUE(tok().encode("").empty());
  EXPECT_EQ(tok().decode({}), "");
}

TEST(Qwen3Tokenizer, AddedTokensMatchLeftmostLongestInsideText) {
  auto ids = tok().encode("a<|im_start|><|im_start|>b<think></think>");
  EXPECT_EQ(ids,
            (std::vector<TokenId>{64, token::kImStart, token::kImStart, 65, token::kThinkStart, token::kThinkEnd}));
  // Incomplete or altered markers are ordinary text.
  for (const char* text : {"<|im_start|", "<|IM_START|>", "< think>", "<think >"})
    for (TokenId id : tok().encode(text)) EXPECT_FALSE(tok().is_added(id)) << text;
}

TEST(Qwen3Tokenizer, SkipSpecialRemovesOnlySpecialTrueTokens) {
  std::vector<TokenId> ids = tok().encode("<|im_start|>a<think>b</think><tool_call>c<|im_end|>");
  EXPECT_EQ(tok().decode(ids), "<|im_start|>a<think>b</think><tool_call>c<|im_end|>");
  EXPECT_EQ(tok().decode(ids, true), "a<think>b</think><tool_call>c");
}

TEST(Qwen3Tokenizer, DecodeReplacesBrokenUtf8LikeHf) {
  // "中" is E4 B8 AD; its bytes as three single-byte tokens decode fine together...
  std::vector<TokenId> bytes;
  for (unsigned char b : std::string("\xE4\xB8\xAD")) bytes.push_back(single_byte_token(b));
  ASSERT_EQ(bytes.size(), 3u);
  EXPECT_EQ(tok().decode(bytes), "中");
  // ...but cut short, the incomplete sequence becomes one U+FFFD, as from_utf8_lossy does.
  EXPECT_EQ(tok().decode({bytes[0], bytes[1]}), "\xEF\xBF\xBD");
  EXPECT_EQ(tok().decode({bytes[0], bytes[1], 64}),
            "\xEF\xBF\xBD"
            "a");
  // An added token between them breaks the sequence on both sides.
  EXPECT_EQ(tok().decode({bytes[0], token::kThinkStart, bytes[1], bytes[2]}),
            "\xEF\xBF\xBD<think>\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Qwen3Tokenizer, UnknownIdsAreErrors) {
  for (TokenId bad : {-1, 151669, Tokenizer::kEmbeddingRows - 1, 1 << 30}) {
    EXPECT_THROW(tok().decode({9707, bad}), Error) << bad;
    EXPECT_THROW(tok().token_bytes(bad), Error) << bad;
    EXPECT_THROW(tok().token_string(bad), Error) << bad;
    EXPECT_THROW(tok().is_special(bad), Error) << bad;
    StreamDecoder stream(tok());
    EXPECT_THROW(stream.push(bad), Error) << bad;
  }
  try {
    tok().decode({151669});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("151669"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("0 to 151668"), std::string::npos) << e.what();
  }
}

TEST(Qwen3Tokenizer, InvalidUtf8IsAnError) {
  for (std::string bad : {std::string("ab\xFF"), std::string("\xC0\x80"), std::string("x\xE4\xB8"),
                          std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80")}) {
    try {
      tok().encode(bad);
      FAIL() << "accepted invalid UTF-8";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("offset"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(tok().encode(std::string("nul\0inside", 10)));
}

TEST(Qwen3Tokenizer, LongInputsFinish) {
  // One 200 000-letter "word" goes through the heap merge (O(n log n)).
  std::string word(200000, 'a');
  auto ids = tok().encode(word);
  EXPECT_EQ(tok().decode(ids), word);
  EXPECT_LT(ids.size(), word.size() / 4);
  std::string digits(100000, '7');
  EXPECT_EQ(tok().encode(digits).size(), digits.size());  // \p{N} splits digits one by one
}

TEST(Qwen3Tokenizer, EncodeIsThreadSafe) {
  const std::string text =
      "The quick brown fox jumps over the lazy dog. 快速的棕色狐狸 🦊 — again and again.";
  const auto expected = tok().encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i)
        if (tok().encode(text + std::to_string(i % 7)) != tok().encode(text + std::to_string(i % 7)) ||
            tok().encode(text) != expected)
          ++mismatches;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace qwen3
