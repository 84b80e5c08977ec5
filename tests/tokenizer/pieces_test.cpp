// The tokenizer's building blocks, each against an independent reference:
// lossy UTF-8 (Rust's from_utf8_lossy), Unicode 9.0 NFC, the Oniguruma ->
// PCRE2 pattern translation, BPE scan vs heap.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>

#include "qwen3/error.h"
#include "tokenizer/bpe.h"
#include "tokenizer/nfc.h"
#include "tokenizer/regex_split.h"
#include "tokenizer/utf8_lossy.h"

namespace qwen3::tokenizer {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

std::string lossy(std::string_view bytes) {
  std::string out;
  append_utf8_lossy(out, bytes);
  return out;
}

TEST(Utf8Lossy, ReplacesMaximalSubpartsLikeRust) {
  // Cases from the Unicode standard's table 3-8 style examples, as
  // String::from_utf8_lossy renders them.
  EXPECT_EQ(lossy("plain ascii"), "plain ascii");
  EXPECT_EQ(lossy("中文"), "中文");
  EXPECT_EQ(lossy("\xFF"), kFffd);
  EXPECT_EQ(lossy("\xC0\x80"), kFffd + kFffd);              // C0 never starts a sequence
  EXPECT_EQ(lossy("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // surrogate: ED A0 is not a prefix
  EXPECT_EQ(lossy("\xE4\xB8"), kFffd);                      // truncated: one replacement
  EXPECT_EQ(lossy("\xE4\xB8"
                  "a"),
            kFffd + "a");
  EXPECT_EQ(lossy("\xF0\x9F\x98"
                  "\xF0\x9F\x98\x80"),
            kFffd + "\xF0\x9F\x98\x80");
  EXPECT_EQ(lossy("\x80\x80"), kFffd + kFffd);
  EXPECT_EQ(lossy("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(lossy("a\xE0\x80"
                  "b"),
            "a" + kFffd + kFffd + "b");  // overlong E0 80
}

TEST(Utf8Lossy, IncompleteTailIsOnlyACompletablePrefix) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE4"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE4\xB8"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("a\xE4\xB8\xAD"), 0u);  // complete
  EXPECT_EQ(incomplete_utf8_tail("\xF0\x9F\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xED\xA0"), 0u);  // can never complete
  EXPECT_EQ(incomplete_utf8_tail("\xB8"), 0u);      // stray continuation byte
  EXPECT_EQ(incomplete_utf8_tail("\xC0"), 0u);
}

std::string nfc(std::string_view s) {
  static const Nfc n;
  std::string out;
  n.append_normalized(out, s);
  return out;
}

TEST(Nfc, ComposesAsUnicode9) {
  EXPECT_EQ(nfc("e\xCC\x81"), "\xC3\xA9");                      // e + U+0301 -> é
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");                   // ANGSTROM SIGN -> Å (singleton)
  EXPECT_EQ(nfc("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");   // Hangul L+V -> 가
  EXPECT_EQ(nfc("a\xCC\x81\xCC\xA3"), "\xE1\xBA\xA1\xCC\x81");  // reorders ccc 230/220, composes ạ
  EXPECT_EQ(nfc("plain"), "plain");
}

TEST(Nfc, LeavesCharactersNewerThanUnicode9Alone) {
  // U+11935 U+11930 (Dives Akuru, Unicode 13) compose to U+11938 in modern NFC.
  EXPECT_EQ(nfc("\xF0\x91\xA4\xB5\xF0\x91\xA4\xB0"), "\xF0\x91\xA4\xB5\xF0\x91\xA4\xB0");
  // U+1DF9 got ccc 220 in Unicode 10; under 9.0 it is a starter, so no reordering.
  EXPECT_EQ(nfc("x\xE1\xB7\xB9\xCC\x81"), "x\xE1\xB7\xB9\xCC\x81");
  Nfc n;
  EXPECT_TRUE(n.is_normalized("x\xE1\xB7\xB9\xCC\x81"));
  EXPECT_FALSE(n.is_normalized("e\xCC\x81"));
}

TEST(RegexTranslation, CarriesOnigurumaMeaningToPcre2) {
  EXPECT_EQ(translate_onig_pattern("a|b"), "a|b");
  EXPECT_EQ(translate_onig_pattern("(?i:'s)"), "(?:'[Ss])");
  EXPECT_NE(translate_onig_pattern("\\s+").find("\\x{85}"), std::string::npos);
  EXPECT_NE(translate_onig_pattern("[^\\s\\p{L}]").find("\\x{3000}\\p{L}]"), std::string::npos);
  EXPECT_EQ(translate_onig_pattern("\\p{L}+"), "\\p{L}+");
  EXPECT_THROW(translate_onig_pattern("\\w+"), Error);
  EXPECT_THROW(translate_onig_pattern("[\\S]"), Error);
  EXPECT_THROW(translate_onig_pattern("(?x)a"), Error);
  EXPECT_THROW(translate_onig_pattern("(a"), Error);
}

std::vector<std::string> split_with(const RegexSplitter& r, std::string_view text) {
  std::vector<Piece> pieces;
  r.split(text, pieces);
  std::vector<std::string> out;
  for (const auto& p : pieces) out.emplace_back(text.substr(p.begin, p.end - p.begin));
  return out;
}

TEST(RegexSplit, IsolatedKeepsGapsAsPieces) {
  RegexSplitter digits("\\d+");
  EXPECT_EQ(split_with(digits, "ab12cd345"), (std::vector<std::string>{"ab", "12", "cd", "345"}));
  EXPECT_EQ(split_with(digits, ""), std::vector<std::string>{});
  RegexSplitter maybe("x*");  // empty matches make no pieces
  EXPECT_EQ(split_with(maybe, "axxb"), (std::vector<std::string>{"a", "xx", "b"}));
}

TEST(Bpe, ScanAndHeapAgreeOnRandomMergeTables) {
  std::mt19937 rng(12345);
  for (int table = 0; table < 50; ++table) {
    // Symbols 0..3 are bytes; each merge joins two existing symbols into a new one.
    MergeTable merges;
    merges.reserve(64);
    TokenId next = 4;
    for (std::uint32_t rank = 0; rank < 40; ++rank) {
      TokenId a = static_cast<TokenId>(rng() % next), b = static_cast<TokenId>(rng() % next);
      if (merges.insert(a, b, {rank, next})) ++next;
    }
    std::array<TokenId, 256> byte_ids{};
    for (int b = 0; b < 256; ++b) byte_ids[b] = b % 4;
    for (int word = 0; word < 60; ++word) {
      // Up to 127 symbols: all three; longer (up to 700, many blocks of the
      // in-place merge): the heap and the in-place merge.
      const std::size_t n = 1 + rng() % (word < 40 ? 127 : 700);
      std::string bytes(n, '\0');
      for (auto& c : bytes) c = static_cast<char>(rng() % 4);
      std::vector<TokenId> symbols(bytes.begin(), bytes.end());
      std::vector<TokenId> heap = symbols, in_place;
      bpe_merge_by_heap(merges, heap);
      ASSERT_TRUE(bpe_merge_long(merges, bytes, byte_ids, in_place));
      ASSERT_EQ(in_place, heap) << "table " << table << " word " << word;
      if (n < kBpeScanLimit) {
        bpe_merge_by_scan(merges, symbols);
        ASSERT_EQ(symbols, heap) << "table " << table << " word " << word;
      }
    }
  }
}

TEST(Bpe, InPlaceMergeFallsBackWhenIdsDoNotFitItsCells) {
  MergeTable merges;
  merges.reserve(4);
  merges.insert(0, 0, {0, 1 << 23});  // an id beyond the 23 bits of a cell
  std::array<TokenId, 256> byte_ids{};
  std::vector<TokenId> out;
  EXPECT_FALSE(bpe_merge_long(merges, std::string(200, '\0'), byte_ids, out));
  EXPECT_TRUE(out.empty());
  bpe_merge(merges, std::string(200, '\0'), byte_ids, out);  // the heap instead
  EXPECT_EQ(out, std::vector<TokenId>(100, 1 << 23));
}

TEST(Bpe, LaterDuplicateMergeReplacesEarlierAsInHf) {
  MergeTable merges;
  merges.reserve(4);
  EXPECT_TRUE(merges.insert(1, 2, {0, 10}));
  EXPECT_FALSE(merges.insert(1, 2, {5, 11}));
  ASSERT_NE(merges.find(1, 2), nullptr);
  EXPECT_EQ(merges.find(1, 2)->rank, 5u);
  EXPECT_EQ(merges.find(2, 1), nullptr);
}

}  // namespace
}  // namespace qwen3::tokenizer
