// Closure: restricting decoding to a policy must never make text of its
// character set unproducible. Any such text encodes only into allowed ids:
// random strings, real English prose, and every word of an English word list.
#include <gtest/gtest.h>

#include <random>

#include "qwen3/vocab_reports.h"
#include "vocab/real_vocab.h"

namespace qwen3::vocab {
namespace {

using test::qwen3_mask;
using test::qwen3_table;
using test::qwen3_tokenizer;

std::string utf8(char32_t cp) {
  std::string s;
  if (cp < 0x80)
    s += static_cast<char>(cp);
  else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Every code point a policy allows (all fit in 3 UTF-8 bytes for the built-ins).
std::vector<std::string> alphabet(const std::string& spec) {
  std::vector<std::string> chars;
  const Policy policy = Policy::parse(spec);  // named: the ranges live in it
  for (auto r : policy.code_points())
    for (char32_t cp = r.first; cp <= r.last; ++cp) chars.push_back(utf8(cp));
  return chars;
}

// The first id of `text`'s encoding the mask does not allow, or -1.
TokenId first_outside(const TokenMask& mask, const std::string& text) {
  for (TokenId id : qwen3_tokenizer().encode(text))
    if (!mask.allows(id)) return id;
  return -1;
}

void expect_closed(const std::string& spec, int strings, int max_chars, unsigned seed) {
  const auto chars = alphabet(spec);
  const TokenMask& mask = qwen3_mask(spec);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, chars.size() - 1);
  std::uniform_int_distribution<int> length(1, max_chars);
  for (int n = 0; n < strings; ++n) {
    std::string text;
    for (int i = length(rng); i > 0; --i) text += chars[pick(rng)];
    TokenId bad = first_outside(mask, text);
    ASSERT_EQ(bad, -1) << spec << ": \"" << text << "\" encodes into id " << bad << " \""
                       << qwen3_tokenizer().token_bytes(bad) << "\"";
  }
}

TEST(Closure, AsciiTextAlwaysEncodesInsideTheAsciiSet) {
  ClosureReport r = check_closure(qwen3_tokenizer(), qwen3_table(), "ascii", 1000);
  EXPECT_EQ(r.characters, 98);
  EXPECT_EQ(r.alone_inside, r.characters);
  EXPECT_EQ(r.contexts_inside, r.characters) << (r.context_outside.empty() ? "" : r.context_outside.front());
  EXPECT_EQ(r.random_inside, r.random_strings);
  EXPECT_EQ(r.outside_ids_fragments + r.outside_ids_other, 0);
}

TEST(Closure, RandomAsciiStrings) { expect_closed("ascii", 3000, 80, 20260101); }

// Latin: every character alone is spelled by allowed ids, so any Latin-1 text
// stays producible. The tokenizer's own encoding in context sometimes takes a
// fragment (" \xC2" + "\xA2" for " ¢"): those are the only disallowed ids met.
TEST(Closure, LatinTextIsProducibleCharacterByCharacter) {
  ClosureReport r = check_closure(qwen3_tokenizer(), qwen3_table(), "latin", 1000);
  EXPECT_EQ(r.characters, 98 + 95 + 10);
  EXPECT_EQ(r.alone_inside, r.characters) << (r.alone_outside.empty() ? "" : r.alone_outside.front());
  EXPECT_EQ(r.outside_ids_other, 0);
  EXPECT_GT(r.contexts_inside, 0);
  EXPECT_LE(r.contexts_inside, r.characters);
  EXPECT_LE(r.random_inside, r.random_strings);
  EXPECT_NE(format_closure_report(r).find("any text of the set can be produced"), std::string::npos);
}

TEST(Closure, LatinTextRespelledCharacterByCharacterDecodesBack) {
  const TokenMask& mask = qwen3_mask("latin");
  const auto chars = alphabet("latin");
  std::mt19937 rng(11);
  for (int n = 0; n < 300; ++n) {
    std::string text;
    std::vector<TokenId> ids;
    for (int i = 1 + static_cast<int>(rng() % 30); i > 0; --i) {
      const std::string& c = chars[rng() % chars.size()];
      text += c;
      for (TokenId id : qwen3_tokenizer().encode(c)) {
        ASSERT_TRUE(mask.allows(id)) << c;
        ids.push_back(id);
      }
    }
    ASSERT_EQ(qwen3_tokenizer().decode(ids), text);
  }
}

TEST(Closure, EnglishProse) {
  const std::string prose =
      "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
      "foolishness...\n\nThe quick brown fox jumps over the lazy dog! Isn't it? \"Yes\" -- she said; (maybe) "
      "[1] {x: 42} <tag> #hash $5.00 100% a&b a*b a_b a|b ~/path `code` ^caret @user.\r\n"
      "\tdef main():\n\t\treturn 0\n";
  const std::string typeset =
      "Café society’s “naïve” résumé — the façade… costs €5 or £4 at 20°C; Zoë & Chloë’s piñata • Fiancée™";
  for (const char* spec : {"ascii", "latin"}) EXPECT_EQ(first_outside(qwen3_mask(spec), prose), -1) << spec;
  EXPECT_EQ(first_outside(qwen3_mask("latin"), typeset), -1);
  EXPECT_NE(first_outside(qwen3_mask("ascii"), typeset), -1) << "typeset text needs the latin policy";
}

TEST(Closure, EveryWordOfTheEnglishWordList) {
  auto words = read_word_list(qwen3::test::english_word_list());
  ASSERT_GT(words.size(), 1000u);
  DictionaryReport report = check_dictionary(qwen3_tokenizer(), qwen3_table(), words);
  ASSERT_EQ(report.checks.size(), builtin_policies().size());
  for (const auto& check : report.checks) {
    EXPECT_GT(check.words, 0) << check.policy;
    EXPECT_EQ(check.encoded_inside, check.words)
        << check.policy << ": e.g. " << (check.failures.empty() ? "" : check.failures.front());
  }
  // Every ASCII word is in ascii's scope, and latin's scope holds all of ascii's.
  EXPECT_LE(report.checks[0].words, report.checks[1].words);
  EXPECT_GT(report.letter_tokens, 0);
  EXPECT_LE(report.letter_tokens_words, report.letter_tokens_pieces);
  EXPECT_LE(report.letter_tokens_pieces, report.letter_tokens);
}

}  // namespace
}  // namespace qwen3::vocab
