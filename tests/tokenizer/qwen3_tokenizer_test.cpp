// The Qwen3 tokenizer's facts and behaviours beyond the golden vectors:
// sizes, added tokens, lookups, special-token handling, errors.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <random>
#include <sstream>
#include <thread>

#include "qwen3/error.h"
#include "tiny_tokenizer.h"
#include "tokenizer/bpe.h"
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

// Qwen3's merges read with nlohmann, apart from the loader, for the BPE paths.
struct Qwen3Merges {
  tokenizer::MergeTable table;
  std::array<TokenId, 256> byte_ids{};
};

const Qwen3Merges& qwen3_merges() {
  static const Qwen3Merges merges = [] {
    Qwen3Merges m;
    const auto j = test::read_json(test::tokenizer_dir() / "tokenizer.json");
    const auto& vocab = j["model"]["vocab"];
    m.table.reserve(j["model"]["merges"].size());
    std::uint32_t rank = 0;
    for (const auto& merge : j["model"]["merges"]) {
      std::string l, r;
      if (merge.is_array()) {
        l = merge[0], r = merge[1];
      } else {
        const std::string text = merge;
        l = text.substr(0, text.find(' ')), r = text.substr(text.find(' ') + 1);
      }
      m.table.insert(vocab[l], vocab[r], {rank++, vocab[l + r].get<TokenId>()});
    }
    for (int b = 0; b < 256; ++b) m.byte_ids[b] = vocab[test::byte_char(b)];
    return m;
  }();
  return merges;
}

TEST(Qwen3Tokenizer, LongWordsMergeInPlaceExactlyAsTheHeap) {
  // Long pre-tokenized words are merged in place in 6 bytes per byte; the
  // O(n log n) heap with its linked lists is the reference.
  std::mt19937 rng(7);
  std::vector<std::string> words;
  for (std::size_t n : {128, 129, 1000, 4097, 65539, 200001}) words.push_back(std::string(n, 'a'));
  for (const char* unit : {"z", "é", "中", "ab", "aab"}) {
    std::string w;
    while (w.size() < 5000) w += unit;
    words.push_back(w);
  }
  for (int i = 0; i < 20; ++i) {  // random runs of a few letters: many different merges
    std::string w(200 + rng() % 20000, 'a');
    for (auto& c : w) c = "aaabbcxyz"[rng() % 9];
    words.push_back(w);
  }
  const auto& m = qwen3_merges();
  for (const auto& w : words) {
    std::vector<TokenId> heap, in_place;
    for (unsigned char b : w) heap.push_back(m.byte_ids[b]);
    tokenizer::bpe_merge_by_heap(m.table, heap);
    ASSERT_TRUE(tokenizer::bpe_merge_long(m.table, w, m.byte_ids, in_place));
    ASSERT_EQ(in_place, heap) << w.size() << " bytes of " << w.substr(0, 6);
    ASSERT_EQ(tok().encode(w), heap) << w.size() << " bytes of " << w.substr(0, 6);  // one pre-tokenized word
  }
}

TEST(Qwen3Tokenizer, FiftyMegabytesOfOneLetterStayWithinEightBytesPerByte) {
  // Peak resident memory of a child process (getrusage's high-water mark)
  // before and after encoding 50 MB of 'a', one pre-tokenized word; it was
  // 65 bytes per input byte with the heap and linked lists.
  const Tokenizer& t = tok();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string text(50u << 20, 'a');
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    const auto ids = t.encode(text);
    getrusage(RUSAGE_SELF, &after);
    const std::string report = std::to_string((after.ru_maxrss - before.ru_maxrss) * 1024.0 / text.size()) + " " +
                               std::to_string(ids.size()) + " " + (t.decode(ids) == text ? "1" : "0");
    [[maybe_unused]] auto written = write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string report;
  char buf[256];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::istringstream in(report);
  double per_byte = 0;
  std::size_t count = 0;
  int round_trip = 0;
  ASSERT_TRUE(in >> per_byte >> count >> round_trip) << report;
  RecordProperty("bytes_per_input_byte", std::to_string(per_byte));
  EXPECT_LE(per_byte, 8.0) << report;
  EXPECT_GT(count, 0u);
  EXPECT_EQ(round_trip, 1) << report;
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
