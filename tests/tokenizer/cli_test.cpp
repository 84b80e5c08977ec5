// `qwen3 tokenize` / `qwen3 detokenize`, run as a user would: the built binary
// (QWEN3_BIN) with standard input from a file, checking standard output,
// standard error and the exit status.
#include <gtest/gtest.h>

#include "common/run_cli.h"
#include "tiny_tokenizer.h"

namespace qwen3 {
namespace {

using test::CliResult;
using test::run_qwen3;

std::string model() { return test::tokenizer_dir().string(); }

// Exit status 1 or 2 (a crash is neither), one line "qwen3: error: ..." naming `fragment`.
void expect_one_line_error(const CliResult& r, const std::string& fragment) {
  EXPECT_TRUE(test::is_one_line_error(r, fragment)) << "status " << r.status << ": " << r.err;
}

TEST(CliTokenize, HelloWorldJson) {
  CliResult r = run_qwen3({"tokenize", "--model", model(), "--json"}, "Hello world");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[9707,1879]\n");
}

TEST(CliTokenize, PlainIsSpaceSeparatedAndInputIsNotTrimmed) {
  CliResult r = run_qwen3({"tokenize", "--model", model()}, "Hello world\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "9707 1879 198\n");  // the trailing newline is a token (198 = "Ċ")
  CliResult empty = run_qwen3({"tokenize", "--model", model(), "--json"}, "");
  EXPECT_EQ(empty.out, "[]\n");
  CliResult special = run_qwen3({"tokenize", "--model", model(), "--json"}, "<|im_start|>user");
  EXPECT_EQ(special.out, "[151644,872]\n");
}

TEST(CliTokenize, DetokenizeRoundTrips) {
  std::string text = "Tokenizers 🦊 split 中文 too.\n<think>\n</think>";
  CliResult ids = run_qwen3({"tokenize", "--model", model()}, text);
  ASSERT_EQ(ids.status, 0) << ids.err;
  CliResult back = run_qwen3({"detokenize", "--model", model()}, ids.out);  // ids from standard input
  EXPECT_EQ(back.status, 0) << back.err;
  EXPECT_EQ(back.out, text);
  CliResult json = run_qwen3({"tokenize", "--model", model(), "--json"}, text);
  EXPECT_EQ(run_qwen3({"detokenize", "--model", model()}, json.out).out, text);
}

TEST(CliTokenize, DetokenizeIdsOption) {
  CliResult r = run_qwen3({"detokenize", "--model", model(), "--ids", "9707,1879"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Hello world");
  CliResult skip = run_qwen3({"detokenize", "--model", model(), "--ids", "151644,9707,151645", "--skip-special"});
  EXPECT_EQ(skip.out, "Hello");
  EXPECT_EQ(run_qwen3({"detokenize", "--model", model(), "--ids", "151644,9707,151645"}).out,
            "<|im_start|>Hello<|im_end|>");
}

TEST(CliTokenize, HelpWorks) {
  for (const char* cmd : {"tokenize", "detokenize"}) {
    CliResult r = run_qwen3({cmd, "--help"});
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("--model"), std::string::npos) << r.out;
  }
}

TEST(CliTokenize, InvalidUtf8Input) {
  CliResult r = run_qwen3({"tokenize", "--model", model()}, "ok \xC3\x28 bad");
  expect_one_line_error(r, "not valid UTF-8");
  EXPECT_NE(r.err.find("offset 3"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliTokenize, UnknownIdsAndMalformedIdLists) {
  expect_one_line_error(run_qwen3({"detokenize", "--model", model(), "--ids", "9707,151669"}), "151669");
  expect_one_line_error(run_qwen3({"detokenize", "--model", model(), "--ids", "-5"}), "-5");
  expect_one_line_error(run_qwen3({"detokenize", "--model", model(), "--ids", "1,x,3"}), "\"x\"");
  expect_one_line_error(run_qwen3({"detokenize", "--model", model(), "--ids", "99999999999"}), "99999999999");
  expect_one_line_error(run_qwen3({"detokenize", "--model", model()}, "[1,2"), "']'");
}

TEST(CliTokenize, BrokenTokenizerFiles) {
  test::TempDir empty;
  expect_one_line_error(run_qwen3({"tokenize", "--model", empty.path().string()}, "x"),
                        (empty.path() / "tokenizer.json").string());
  test::TempDir corrupt;
  corrupt.write_tokenizer("{\"model\": {\"type\": \"BPE\", \"vocab\": {");
  expect_one_line_error(run_qwen3({"tokenize", "--model", corrupt.path().string()}, "x"), "not valid JSON");
  test::TempDir wordpiece;
  nlohmann::json j = test::tiny_tokenizer_json();
  j["model"]["type"] = "WordPiece";
  wordpiece.write_tokenizer(j.dump());
  expect_one_line_error(run_qwen3({"detokenize", "--model", wordpiece.path().string(), "--ids", "1"}),
                        "expected \"BPE\"");
  // Usage errors are CLI11's (reported by the shared main): non-zero, naming the option.
  CliResult usage = run_qwen3({"tokenize", "--modle", model()}, "x");
  EXPECT_EQ(usage.status, 2);
  EXPECT_NE(usage.err.find("--modle"), std::string::npos) << usage.err;
  expect_one_line_error(run_qwen3({"tokenize", "--model", "/no/such/tokenizer"}, "x"), "/no/such/tokenizer");
}

}  // namespace
}  // namespace qwen3
