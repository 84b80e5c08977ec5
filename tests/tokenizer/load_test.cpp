// Loading tokenizer.json: a small valid file works end to end (through the
// PCRE2 split path), and every broken or unsupported file is refused with a
// one-line qwen3::Error naming the file and the field.
#include <gtest/gtest.h>

#include <functional>

#include "qwen3/error.h"
#include "qwen3/tokenizer.h"
#include "tiny_tokenizer.h"

namespace qwen3 {
namespace {

using nlohmann::json;

TEST(TokenizerLoad, TinyTokenizerEncodesAndDecodes) {
  test::TempDir dir;
  Tokenizer tok = Tokenizer::load(dir.write_tokenizer(test::tiny_tokenizer_json().dump()));
  EXPECT_EQ(tok.vocab_size(), 262);
  // "hello" -> he+ll merge to "hell", then "o"; " world" -> "Ġw" + bytes.
  EXPECT_EQ(tok.encode("hello world"), (std::vector<TokenId>{258, 'o', 259, 'o', 'r', 'l', 'd'}));
  EXPECT_EQ(tok.encode("<x>hello<|end|>"), (std::vector<TokenId>{261, 258, 'o', 260}));
  EXPECT_EQ(tok.decode({261, 258, 'o', 260}), "<x>hello<|end|>");
  EXPECT_EQ(tok.decode({261, 258, 'o', 260}, true), "<x>hello");
  EXPECT_TRUE(tok.is_special(260));
  EXPECT_FALSE(tok.is_special(261));
  EXPECT_TRUE(tok.is_added(261));
  EXPECT_EQ(tok.token_to_id("<x>"), 261);
}

TEST(TokenizerLoad, AcceptsTheFileItselfAndLegacyMergeStrings) {
  test::TempDir dir;
  json j = test::tiny_tokenizer_json();
  json legacy = json::array();
  for (const auto& m : j["model"]["merges"]) legacy.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
  j["model"]["merges"] = legacy;
  Tokenizer tok = Tokenizer::load(dir.write_tokenizer(j.dump()) / "tokenizer.json");
  EXPECT_EQ(tok.encode("hello"), (std::vector<TokenId>{258, 'o'}));
}

// Loads a modified tiny tokenizer and returns the error message ("" if it loaded).
std::string load_error(const std::function<void(json&)>& edit) {
  test::TempDir dir;
  json j = test::tiny_tokenizer_json();
  edit(j);
  try {
    Tokenizer::load(dir.write_tokenizer(j.dump()));
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("tokenizer.json"), std::string::npos) << msg;
    return msg;
  }
  return "";
}

void expect_refused(const std::function<void(json&)>& edit, const std::string& expected_fragment) {
  std::string msg = load_error(edit);
  EXPECT_NE(msg.find(expected_fragment), std::string::npos) << "message: " << msg;
}

TEST(TokenizerLoad, MissingFileNamesPath) {
  test::TempDir dir;
  try {
    Tokenizer::load(dir.path());
    FAIL() << "loaded an empty folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir.path() / "tokenizer.json").string()), std::string::npos) << e.what();
  }
}

TEST(TokenizerLoad, CorruptJsonIsRefused) {
  for (std::string bytes : {std::string(""), std::string("{\"model\": "), std::string("not json"),
                            test::tiny_tokenizer_json().dump().substr(0, 500), std::string("[1,2,3]")}) {
    test::TempDir dir;
    try {
      Tokenizer::load(dir.write_tokenizer(bytes));
      FAIL() << "loaded: " << bytes.substr(0, 40);
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find("tokenizer.json"), std::string::npos) << msg;
      EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    }
  }
}

TEST(TokenizerLoad, ModelOtherThanBpeIsRefused) {
  expect_refused([](json& j) { j["model"]["type"] = "WordPiece"; },
                 "model.type: expected \"BPE\", found \"WordPiece\"");
  expect_refused([](json& j) { j["model"].erase("vocab"); }, "model.vocab: missing");
  expect_refused([](json& j) { j.erase("model"); }, "model: missing");
}

TEST(TokenizerLoad, UnsupportedModelOptionsAreRefused) {
  expect_refused([](json& j) { j["model"]["dropout"] = 0.1; }, "model.dropout");
  expect_refused([](json& j) { j["model"]["byte_fallback"] = true; }, "model.byte_fallback");
  expect_refused([](json& j) { j["model"]["ignore_merges"] = true; }, "model.ignore_merges");
  expect_refused([](json& j) { j["model"]["continuing_subword_prefix"] = "##"; }, "model.continuing_subword_prefix");
}

TEST(TokenizerLoad, InconsistentVocabularyIsRefused) {
  expect_refused([](json& j) { j["model"]["merges"].push_back({"x", "nope"}); }, "model.merges[4]");
  expect_refused(
      [](json& j) {
        j["model"]["merges"].push_back({"x", "y"});
      },
      "missing from model.vocab");  // "xy" absent
  expect_refused([](json& j) { j["model"]["merges"][0] = 7; }, "model.merges[0]");
  // A merge listed twice: Hugging Face silently lets the later rank win; it is
  // a broken file, refused with both places named.
  expect_refused([](json& j) { j["model"]["merges"].push_back(j["model"]["merges"][1]); },
                 "model.merges[4]: \"l\" + \"l\" repeats model.merges[1]");
  expect_refused([](json& j) { j["model"]["vocab"]["he"] = 5; }, "used twice");
  expect_refused([](json& j) { j["model"]["vocab"]["he"] = -1; }, "model.vocab");
  expect_refused([](json& j) { j["model"]["vocab"].erase(test::byte_char(0x41)); }, "model.vocab");
  expect_refused([](json& j) { j["added_tokens"][1]["id"] = 270; }, "contiguous");
  expect_refused([](json& j) { j["added_tokens"][1]["id"] = 99'999'999; }, "contiguous");
  expect_refused([](json& j) { j["added_tokens"][1]["id"] = 5; }, "already model.vocab");
}

TEST(TokenizerLoad, UnsupportedPipelineSettingsAreRefused) {
  expect_refused([](json& j) { j["normalizer"] = {{"type", "NFKC"}}; }, "normalizer.type");
  expect_refused([](json& j) { j["pre_tokenizer"] = {{"type", "Whitespace"}}; }, "pre_tokenizer.type");
  expect_refused([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed"; }, "behavior");
  expect_refused(
      [](json& j) {
        j["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {{"String", " "}};
      },
      "String patterns");
  expect_refused([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "(unclosed"; }, "Regex");
  expect_refused([](json& j) { j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+"; }, "\\w");
  expect_refused([](json& j) { j["pre_tokenizer"]["pretokenizers"][1]["add_prefix_space"] = true; },
                 "add_prefix_space");
  expect_refused([](json& j) { j["decoder"] = {{"type", "WordPiece"}}; }, "decoder.type");
  expect_refused([](json& j) { j["decoder"] = nullptr; }, "decoder");
  expect_refused([](json& j) { j["post_processor"] = {{"type", "TemplateProcessing"}}; }, "post_processor.type");
  expect_refused([](json& j) { j["truncation"] = {{"max_length", 8}}; }, "truncation");
  expect_refused([](json& j) { j["added_tokens"][0]["lstrip"] = true; }, "added_tokens[0].lstrip");
  expect_refused([](json& j) { j["added_tokens"][0]["normalized"] = true; }, "added_tokens[0].normalized");
  expect_refused([](json& j) { j["added_tokens"][0]["content"] = ""; }, "added_tokens[0].content");
}

TEST(TokenizerLoad, NullNormalizerSkipsNfc) {
  test::TempDir dir;
  json j = test::tiny_tokenizer_json();
  j["normalizer"] = nullptr;
  Tokenizer tok = Tokenizer::load(dir.write_tokenizer(j.dump()));
  // "e" + COMBINING ACUTE stays two characters (three bytes), not U+00E9.
  EXPECT_EQ(tok.decode(tok.encode("e\xCC\x81")), "e\xCC\x81");
  EXPECT_EQ(tok.encode("e\xCC\x81").size(), 3u);
}

}  // namespace
}  // namespace qwen3
