// The classes and policies on the real Qwen3 vocabulary: every row, checked
// against definitions written out independently here.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "common/utf8.h"
#include "qwen3/error.h"
#include "qwen3/vocab_reports.h"
#include "vocab/real_vocab.h"

namespace qwen3::vocab {
namespace {

using test::qwen3_mask;
using test::qwen3_table;
using test::qwen3_tokenizer;

// Decodes valid UTF-8 (checked by the caller) into code points.
std::vector<char32_t> code_points(std::string_view s) {
  std::vector<char32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    int len = utf8_sequence_length(b);
    char32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

// The character sets as docs/english-tokens.md lists them.
bool in_ascii_set(char32_t cp) { return cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E); }
bool in_latin_set(char32_t cp) {
  static const std::set<char32_t> extra = {0x2013, 0x2014, 0x2018, 0x2019, 0x201C,
                                           0x201D, 0x2022, 0x2026, 0x20AC, 0x2122};
  return in_ascii_set(cp) || (cp >= 0xA0 && cp <= 0xFF && cp != 0xAD) || extra.count(cp);
}

TEST(Qwen3Vocab, RowsAddedAndPadding) {
  const auto& tok = qwen3_tokenizer();
  const auto& t = qwen3_table();
  ASSERT_EQ(t.rows(), Tokenizer::kEmbeddingRows);
  for (TokenId id = 0; id < t.rows(); ++id) {
    TokenClass c = t.class_of(id);
    if (id >= tok.vocab_size())
      ASSERT_EQ(c, TokenClass::kUnused) << id;
    else if (tok.is_added(id))
      ASSERT_EQ(c, TokenClass::kSpecial) << id;
    else
      ASSERT_EQ(c, classify_bytes(tok.token_bytes(id))) << id;
  }
  auto counts = t.class_counts();
  EXPECT_EQ(counts[int(TokenClass::kSpecial)], static_cast<int>(tok.added_tokens().size()));
  EXPECT_EQ(counts[int(TokenClass::kUnused)], Tokenizer::kEmbeddingRows - tok.vocab_size());
}

TEST(Qwen3Vocab, PartialFragmentsAreExactlyTheInvalidUtf8Tokens) {
  const auto& tok = qwen3_tokenizer();
  const auto& t = qwen3_table();
  int partial = 0;
  for (TokenId id = 0; id < tok.vocab_size(); ++id) {
    if (tok.is_added(id)) continue;
    bool valid = is_valid_utf8(tok.token_bytes(id));
    EXPECT_EQ(t.class_of(id) == TokenClass::kPartialUtf8, !valid) << id;
    partial += !valid;
  }
  // Every byte 0x80-0xFF is a single-byte token (byte-level BPE), so at least 128.
  EXPECT_GE(partial, 128);
}

TEST(Qwen3Vocab, NoAllowedTokenHasACharacterOutsideItsPolicy) {
  const auto& tok = qwen3_tokenizer();
  const std::set<TokenId> chat(chat_token_ids().begin(), chat_token_ids().end());
  for (auto [spec, in_set] : {std::pair{"ascii", &in_ascii_set}, std::pair{"latin", &in_latin_set}}) {
    const TokenMask& m = qwen3_mask(spec);
    for (TokenId id : m.ids()) {
      if (chat.count(id)) continue;
      const std::string& bytes = tok.token_bytes(id);
      ASSERT_TRUE(is_valid_utf8(bytes)) << spec << " allows fragment " << id;
      for (char32_t cp : code_points(bytes)) ASSERT_TRUE(in_set(cp)) << spec << " allows " << id << " " << bytes;
    }
    // And conversely every complete token made of the set is allowed.
    for (TokenId id = 0; id < tok.vocab_size(); ++id) {
      if (tok.is_added(id) || !is_valid_utf8(tok.token_bytes(id))) continue;
      auto cps = code_points(tok.token_bytes(id));
      bool inside = std::all_of(cps.begin(), cps.end(), in_set);
      ASSERT_EQ(m.allows(id), inside) << spec << " " << id << " " << tok.token_bytes(id);
    }
  }
}

TEST(Qwen3Vocab, ChatTokensStayAndOtherAddedTokensGo) {
  for (const char* spec : {"ascii", "latin", "latin+emoji"}) {
    const TokenMask& m = qwen3_mask(spec);
    EXPECT_TRUE(m.allows(token::kEndOfText));
    EXPECT_TRUE(m.allows(token::kImEnd));
    EXPECT_TRUE(m.allows(token::kThinkStart));
    EXPECT_TRUE(m.allows(token::kThinkEnd));
    EXPECT_FALSE(m.allows(token::kImStart));
    EXPECT_FALSE(m.allows(token::kToolCallStart));
    for (TokenId id = qwen3_tokenizer().vocab_size(); id < Tokenizer::kEmbeddingRows; ++id)
      ASSERT_FALSE(m.allows(id)) << spec << " allows padding row " << id;
  }
  MaskOptions tools;
  tools.allow_tool_calls = true;
  TokenMask made = make_mask(qwen3_tokenizer(), "latin", tools);
  EXPECT_TRUE(made.allows(token::kToolCallStart));
  EXPECT_EQ(made.count(), qwen3_mask("latin").count() + 2);
  EXPECT_THROW(make_mask(qwen3_tokenizer(), "latin+klingon"), Error);
  auto with_tools = allowed_ids(qwen3_tokenizer(), "ascii", true);
  EXPECT_TRUE(std::binary_search(with_tools.begin(), with_tools.end(), token::kToolCallStart));
  EXPECT_TRUE(std::binary_search(with_tools.begin(), with_tools.end(), token::kToolCallEnd));
  EXPECT_EQ(with_tools.size(), qwen3_mask("ascii").ids().size() + 2);
}

TEST(Qwen3Vocab, LatinContainsAsciiAndComposedPoliciesContainTheirParts) {
  const TokenMask& ascii = qwen3_mask("ascii");
  const TokenMask& latin = qwen3_mask("latin");
  const TokenMask& both = qwen3_mask("latin+emoji");
  EXPECT_LT(ascii.count(), latin.count());
  EXPECT_LT(latin.count(), both.count());
  for (TokenId id : ascii.ids()) ASSERT_TRUE(latin.allows(id)) << id;
  for (TokenId id : latin.ids()) ASSERT_TRUE(both.allows(id)) << id;
  for (TokenId id = 0; id < qwen3_table().rows(); ++id) {
    if (qwen3_table().class_of(id) != TokenClass::kEmoji) continue;
    ASSERT_TRUE(both.allows(id)) << id;
  }
}

TEST(Qwen3Vocab, StatsJsonAgreesWithTheTable) {
  auto doc = nlohmann::json::parse(format_stats_json(qwen3_table()));
  EXPECT_EQ(doc["rows"], Tokenizer::kEmbeddingRows);
  auto counts = qwen3_table().class_counts();
  ASSERT_EQ(doc["classes"].size(), static_cast<std::size_t>(kClassCount));
  for (int k = 0; k < kClassCount; ++k) {
    EXPECT_EQ(doc["classes"][k]["class"], class_name(static_cast<TokenClass>(k)));
    EXPECT_EQ(doc["classes"][k]["tokens"], counts[k]);
  }
  for (const auto& p : doc["policies"])
    EXPECT_EQ(p["tokens"], qwen3_mask(p["policy"].get<std::string>()).count()) << p["policy"];
}

}  // namespace
}  // namespace qwen3::vocab

namespace qwen3::vocab {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(Coverage, LetterTokensAsWordsAndPieces) {
  const std::set<std::string> words = {"the", "cat"};
  const std::set<std::string> pieces = {"t", "h", "e", "th", "he", "the", "c", "a", "ca", "at", "cat"};
  int letters = 0, whole = 0, piece = 0;
  const auto& t = test::qwen3_table();
  for (TokenId id = 0; id < t.rows(); ++id) {
    if (t.class_of(id) != TokenClass::kAsciiLetters) continue;
    std::string body = t.bytes_of(id);
    if (body[0] == ' ') body.erase(0, 1);
    body = lower(body);
    ++letters;
    whole += words.count(body);
    piece += pieces.count(body);
  }
  DictionaryReport r = check_dictionary(test::qwen3_tokenizer(), t, {"The", "cat"});
  EXPECT_EQ(r.words, 2);
  EXPECT_EQ(r.letter_tokens, letters);
  EXPECT_EQ(r.letter_tokens_words, whole);
  EXPECT_EQ(r.letter_tokens_pieces, piece);
  EXPECT_GT(whole, 0);
  EXPECT_GT(piece, whole);
  EXPECT_NE(format_dictionary_report(r).find("ascii_letters tokens: " + std::to_string(letters)), std::string::npos);
}

TEST(Coverage, CompareWithAnotherVocabulary) {
  auto dir = std::filesystem::temp_directory_path() / ("qwen3_vocab_cmp_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "encoder.json")
        << R"({"the": 0, "\u0120the": 1, "\u0120caf\u00c3\u00a9": 2, "zzqqxxyyzzqq": 3})";
    std::ofstream(dir / "bad.json") << "[1, 2]";
    std::ofstream(dir / "broken.json") << "{";
  }
  auto strings = read_vocab_strings(dir / "encoder.json");
  ASSERT_EQ(strings.size(), 4u);
  VocabComparison c = compare_vocab(test::qwen3_tokenizer(), test::qwen3_table(), strings);
  EXPECT_EQ(c.tokens, 4);
  ASSERT_TRUE(test::qwen3_tokenizer().token_to_id("\xC4\xA0the").has_value());
  ASSERT_FALSE(test::qwen3_tokenizer().token_to_id("zzqqxxyyzzqq").has_value());
  bool cafe = test::qwen3_tokenizer()
                  .token_to_id(
                      "\xC4\xA0"
                      "caf\xC3\x83\xC2\xA9")
                  .has_value();
  EXPECT_EQ(c.in_qwen3, 2 + cafe);
  ASSERT_EQ(c.allowed.size(), builtin_policies().size());
  EXPECT_EQ(c.allowed[0], std::make_pair(std::string("ascii"), 2));
  EXPECT_EQ(c.allowed[1], std::make_pair(std::string("latin"), 2 + cafe));
  EXPECT_THROW(read_vocab_strings(dir / "bad.json"), Error);
  EXPECT_THROW(read_vocab_strings(dir / "broken.json"), Error);
  EXPECT_THROW(read_vocab_strings(dir / "missing.json"), Error);
  std::filesystem::remove_all(dir);
}

TEST(Coverage, WordListErrors) {
  auto dir = std::filesystem::temp_directory_path() / ("qwen3_vocab_words_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "invalid.txt") << "good\nb\xFF"
                                        "d\n";
  std::ofstream(dir / "empty.txt") << "\n\n";
  std::ofstream(dir / "crlf.txt") << "one\r\ntwo\r\n";
  try {
    read_word_list(dir / "invalid.txt");
    ADD_FAILURE() << "accepted invalid UTF-8";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_word_list(dir / "empty.txt"), Error);
  EXPECT_THROW(read_word_list(dir / "missing.txt"), Error);
  EXPECT_EQ(read_word_list(dir / "crlf.txt"), (std::vector<std::string>{"one", "two"}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace qwen3::vocab

namespace qwen3::vocab {
namespace {

// docs/english-tokens.md shows exactly what `qwen3 vocab --stats` prints;
// scripts/english-tokens.sh regenerates it when this fails.
TEST(Qwen3Vocab, DocsShowTheCurrentStats) {
  std::ifstream file(qwen3::test::env_path("QWEN3_SOURCE_DIR") / "docs" / "english-tokens.md");
  ASSERT_TRUE(file) << "docs/english-tokens.md missing";
  std::stringstream doc;
  doc << file.rdbuf();
  const std::string begin = "<!-- BEGIN stats -->\n```\n", end = "```\n<!-- END stats -->";
  auto a = doc.str().find(begin), b = doc.str().find(end);
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  EXPECT_EQ(doc.str().substr(a + begin.size(), b - a - begin.size()), format_stats(test::qwen3_table()))
      << "run scripts/english-tokens.sh";
}

}  // namespace
}  // namespace qwen3::vocab
