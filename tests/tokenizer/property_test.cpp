// Properties on random text mixing ASCII, Latin, CJK, emoji, combining marks,
// digits, white space (including U+0085, U+3000, CR LF) and added tokens:
//  - decode(encode(s)) == NFC(s), with ICU's NFC as the reference (the pools
//    only hold characters of Unicode <= 9.0, where all NFCs agree);
//  - the hand-written Qwen2 scanner splits exactly as the regex run by PCRE2;
//  - streaming decode never emits broken UTF-8 and adds up to decode().
#include <gtest/gtest.h>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <random>

#include "common/utf8.h"
#include "tokenizer/qwen2_split.h"
#include "tokenizer/regex_split.h"
#include "tokenizer_test_util.h"

namespace qwen3 {
namespace {

const std::vector<std::string>& pool() {
  static const std::vector<std::string> p = {
      // ASCII words, contractions, punctuation, digits
      "hello",
      "World",
      "the",
      "'s",
      "'T",
      "'re",
      "'VE",
      "'m",
      "'ll",
      "'D",
      "'",
      "don't",
      "x",
      "A",
      "7",
      "42",
      ".",
      ",",
      "!?",
      "(",
      ")",
      "{",
      "}",
      "<",
      ">",
      "|",
      "_",
      "-",
      "/",
      "\"",
      "#",
      "=",
      "+",
      "*",
      "`",
      "~",
      // white space
      " ",
      " ",
      " ",
      "  ",
      "\t",
      "\n",
      "\r",
      "\r\n",
      "\n\n",
      "\v",
      "\f",
      "\xC2\xA0",
      "\xC2\x85",
      "\xE2\x80\xA8",
      "\xE3\x80\x80",
      "\xE2\x80\x89",
      "\xE2\x80\xAF",
      // Latin and other scripts
      "é",
      "ß",
      "ſ",
      "Ǆ",
      "ǅ",
      "Ω",
      "ж",
      "Привет",
      "ا",
      "مرحبا",
      "नमस्ते",
      "ไทย",
      "ĳ",
      "ﬁ",
      // CJK, kana, Hangul (precomposed and as jamo to compose)
      "中",
      "文",
      "字",
      "漢字",
      "ア",
      "の",
      "한",
      "\xE1\x84\x80\xE1\x85\xA1",
      "，",
      "。",
      "「",
      "」",
      // numbers beyond ASCII: Arabic-Indic digit, vulgar fraction (No), Roman numeral (Nl)
      "٣",
      "½",
      "Ⅻ",
      "²",
      // emoji, with modifiers, variation selector, ZWJ sequence
      "😀",
      "👍🏽",
      "❤️",
      "👨‍👩‍👧",
      "🦊",
      "©",
      // combining marks: acute, dot below, diaeresis, ring; a lone mark
      "\xCC\x81",
      "\xCC\xA3",
      "\xCC\x88",
      "\xCC\x8A",
      "e\xCC\x81",
      "A\xCC\x8A",
      "\xE2\x84\xAB",
      // added tokens and near misses
      "<|im_start|>",
      "<|im_end|>",
      "<think>",
      "</think>",
      "<|endoftext|>",
      "<|im_",
      "<think",
  };
  return p;
}

std::string random_text(std::mt19937& rng) {
  std::string s;
  int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) s += pool()[rng() % pool().size()];
  return s;
}

std::string icu_nfc(const std::string& s) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
  icu::UnicodeString u = n->normalize(icu::UnicodeString::fromUTF8(s), status);
  std::string out;
  u.toUTF8String(out);
  EXPECT_TRUE(U_SUCCESS(status));
  return out;
}

TEST(TokenizerProperty, DecodeOfEncodeIsNfc) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  std::mt19937 rng(2026);
  for (int i = 0; i < 3000; ++i) {
    std::string s = random_text(rng);
    ASSERT_EQ(tok.decode(tok.encode(s)), icu_nfc(s)) << "text: " << s;
  }
}

TEST(TokenizerProperty, Qwen2ScannerEqualsRegex) {
  const tokenizer::RegexSplitter regex(tokenizer::kQwen2SplitPattern);
  std::mt19937 rng(7);
  auto check = [&](const std::string& s) {
    std::vector<tokenizer::Piece> a, b;
    tokenizer::qwen2_split(s, a);
    regex.split(s, b);
    ASSERT_EQ(a.size(), b.size()) << "text: " << s;
    for (std::size_t k = 0; k < a.size(); ++k) {
      ASSERT_EQ(a[k].begin, b[k].begin) << "text: " << s;
      ASSERT_EQ(a[k].end, b[k].end) << "text: " << s;
    }
  };
  for (int i = 0; i < 20000; ++i) check(random_text(rng));
  // Plus every short string over a small alphabet that exercises each
  // alternative's edges (space before punctuation, CR/LF after it, runs of
  // white space before text or at the end, contractions).
  const std::vector<std::string> alphabet = {" ", "\n", "\r", "\t",       "a",           "1",
                                             ".", "'",  "s",  "\xC2\x85", "\xE3\x80\x80"};
  std::vector<std::size_t> idx;
  for (std::size_t len = 0; len <= 5; ++len) {
    idx.assign(len, 0);
    while (true) {
      std::string s;
      for (std::size_t k : idx) s += alphabet[k];
      check(s);
      std::size_t p = 0;
      while (p < len && ++idx[p] == alphabet.size()) idx[p++] = 0;
      if (p == len) break;
    }
  }
}

TEST(TokenizerProperty, StreamingNeverEmitsBrokenUtf8) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  std::mt19937 rng(99);
  auto check = [&](const std::vector<TokenId>& ids, bool skip) {
    StreamDecoder stream(tok, skip);
    std::string all;
    for (TokenId id : ids) {
      std::string piece = stream.push(id);
      ASSERT_TRUE(is_valid_utf8(piece));
      all += piece;
    }
    std::string rest = stream.flush();
    ASSERT_TRUE(is_valid_utf8(rest));
    all += rest;
    ASSERT_EQ(all, tok.decode(ids, skip));
  };
  for (int i = 0; i < 1000; ++i) check(tok.encode(random_text(rng)), i % 2 == 1);
  // Arbitrary id sequences, many of them byte tokens that split characters.
  for (int i = 0; i < 2000; ++i) {
    std::vector<TokenId> ids(rng() % 12);
    for (auto& id : ids) {
      unsigned r = rng() % 10;
      id = r < 6   ? static_cast<TokenId>(rng() % 256)
           : r < 9 ? static_cast<TokenId>(rng() % 151643)
                   : static_cast<TokenId>(151643 + rng() % 26);
    }
    check(ids, i % 2 == 1);
  }
}

TEST(TokenizerProperty, CjkSplitAcrossTokensIsHeldBack) {
  const Tokenizer& tok = test::qwen3_tokenizer();
  // Find a character that BPE splits into several tokens.
  for (std::string ch : {"龘", "𠀀", "🦊", "㐀"}) {
    std::vector<TokenId> ids = tok.encode(ch);
    if (ids.size() < 2) continue;
    StreamDecoder stream(tok);
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) EXPECT_EQ(stream.push(ids[i]), "") << ch;
    EXPECT_EQ(stream.push(ids.back()), ch);
    EXPECT_EQ(stream.flush(), "");
    return;
  }
  FAIL() << "no multi-token character found";
}

}  // namespace
}  // namespace qwen3
