// `qwen3 vocab` end to end: the files and tables it writes, and its errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/run_cli.h"
#include "qwen3/vocab_reports.h"
#include "vocab/real_vocab.h"

namespace qwen3::vocab {
namespace {

using qwen3::test::CliResult;
using qwen3::test::run_qwen3;

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

class CliVocab : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("qwen3_cli_vocab_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string model() const { return qwen3::test::tokenizer_dir().string(); }
  void expect_error(const CliResult& r, const std::string& mentions) {
    EXPECT_EQ(r.status, 1) << r.err;  // a qwen3::Error, not a usage error (2)
    EXPECT_TRUE(qwen3::test::is_one_line_error(r, mentions)) << r.err;
  }
  std::filesystem::path dir_;
};

TEST_F(CliVocab, EnglishWritesTheMaskAndEachTokensClass) {
  for (const std::string policy : {"ascii", "latin", "ascii+emoji"}) {
    auto out = dir_ / "english.json";
    CliResult r = run_qwen3({"vocab", "--model", model(), "--english", "--policy", policy, "--out", out.string()});
    ASSERT_EQ(r.status, 0) << r.err;
    auto doc = nlohmann::json::parse(slurp(out));
    EXPECT_EQ(doc["policy"], policy);
    EXPECT_EQ(doc["tools"], false);
    EXPECT_EQ(doc["rows"], Tokenizer::kEmbeddingRows);
    auto ids = doc["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(doc["count"], ids.size());
    EXPECT_EQ(ids, test::qwen3_mask(policy).ids());
    auto names = doc["class_names"].get<std::vector<std::string>>();
    auto classes = doc["classes"].get<std::vector<int>>();
    ASSERT_EQ(classes.size(), ids.size());
    ASSERT_EQ(names.size(), static_cast<std::size_t>(kClassCount));
    for (std::size_t i = 0; i < ids.size(); ++i)
      ASSERT_EQ(names.at(classes[i]), class_name(test::qwen3_table().class_of(ids[i]))) << ids[i];
  }
}

TEST_F(CliVocab, EnglishIsDeterministicAndToolsAddTwoIds) {
  CliResult a = run_qwen3({"vocab", "--model", model(), "--english", "--policy", "ascii"});
  CliResult b = run_qwen3({"vocab", "--model", model(), "--english", "--policy", "ascii"});
  CliResult t = run_qwen3({"vocab", "--model", model(), "--english", "--policy", "ascii", "--tools"});
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_EQ(nlohmann::json::parse(t.out)["count"].get<int>(), nlohmann::json::parse(a.out)["count"].get<int>() + 2);
  EXPECT_EQ(nlohmann::json::parse(t.out)["tools"], true);
}

TEST_F(CliVocab, StatsPrintsTheLibraryTable) {
  CliResult r = run_qwen3({"vocab", "--model", model(), "--stats"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, format_stats(test::qwen3_table()));
  CliResult j = run_qwen3({"vocab", "--model", model(), "--stats", "--json"});
  ASSERT_EQ(j.status, 0) << j.err;
  EXPECT_EQ(j.out, format_stats_json(test::qwen3_table()));
}

TEST_F(CliVocab, ValidationReportsAreTheLibrarys) {
  CliResult r = run_qwen3({"vocab", "--model", model(), "--policy", "ascii", "--closure"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, format_closure_report(check_closure(test::qwen3_tokenizer(), test::qwen3_table(), "ascii")));
  std::ofstream(dir_ / "words.txt") << "the\ncafé\n";
  std::ofstream(dir_ / "encoder.json") << R"({"the": 0, "\u0120the": 1})";
  CliResult w = run_qwen3({"vocab", "--model", model(), "--words", (dir_ / "words.txt").string(), "--compare-vocab",
                           (dir_ / "encoder.json").string()});
  ASSERT_EQ(w.status, 0) << w.err;
  EXPECT_EQ(
      w.out,
      format_dictionary_report(check_dictionary(test::qwen3_tokenizer(), test::qwen3_table(), {"the", "café"})) +
          format_vocab_comparison(compare_vocab(test::qwen3_tokenizer(), test::qwen3_table(), {"the", "\xC4\xA0the"})));
}

TEST_F(CliVocab, Errors) {
  expect_error(run_qwen3({"vocab", "--model", (dir_ / "nowhere").string(), "--stats"}), "nowhere");
  expect_error(run_qwen3({"vocab", "--model", model(), "--english", "--policy", "klingon"}), "klingon");
  expect_error(run_qwen3({"vocab", "--model", model()}), "--english");
  expect_error(
      run_qwen3({"vocab", "--model", model(), "--english", "--out", (dir_ / "no" / "such" / "f.json").string()}),
      "--out");
  expect_error(run_qwen3({"vocab", "--model", model(), "--words", (dir_ / "missing.txt").string()}), "missing.txt");
  expect_error(run_qwen3({"vocab", "--model", model(), "--english", "--policy", ""}), "empty policy");
  expect_error(run_qwen3({"vocab", "--model", model(), "--closure", "--policy", "U+0000-U+10FFFF"}),
               "too many code points");
  std::ofstream(dir_ / "bad-words.txt") << "ok\n\xC3(\n";
  expect_error(run_qwen3({"vocab", "--model", model(), "--words", (dir_ / "bad-words.txt").string()}), "line 2");
  std::ofstream(dir_ / "bad-tokenizer.json") << "{ not json";
  CliResult bad = run_qwen3({"vocab", "--model", (dir_ / "bad-tokenizer.json").string(), "--stats"});
  EXPECT_EQ(bad.status, 1) << bad.err;
  // With no --model the fetched Qwen3 tokenizer is used, as on every command.
  CliResult default_model = run_qwen3({"vocab", "--stats"});
  EXPECT_EQ(default_model.status, 0) << default_model.err;
}

}  // namespace
}  // namespace qwen3::vocab
