// `qwen3 tokenize` / `qwen3 detokenize`, run as a user would: the built binary
// (QWEN3_BIN) with standard input from a file, checking standard output,
// standard error and the exit status.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tiny_tokenizer.h"

namespace qwen3 {
namespace {

struct CliRun {
  int status;
  std::string out, err;
};

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

CliRun run(const std::vector<std::string>& args, const std::string& input = "") {
  test::TempDir io;
  std::ofstream(io.path() / "in", std::ios::binary) << input;
  std::string cmd = quote(test::qwen3_bin().string());
  for (const auto& a : args) cmd.append(" ").append(quote(a));
  cmd.append(" < ").append(quote((io.path() / "in").string()));
  cmd.append(" 2> ").append(quote((io.path() / "err").string()));
  CliRun r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream e(io.path() / "err", std::ios::binary);
  std::stringstream ss;
  ss << e.rdbuf();
  r.err = ss.str();
  return r;
}

std::string model() { return test::tokenizer_dir().string(); }

void expect_one_line_error(const CliRun& r, const std::string& fragment) {
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128) << "crashed";
  EXPECT_EQ(r.err.rfind("qwen3: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
}

TEST(CliTokenize, HelloWorldJson) {
  CliRun r = run({"tokenize", "--model", model(), "--json"}, "Hello world");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[9707,1879]\n");
}

TEST(CliTokenize, PlainIsSpaceSeparatedAndInputIsNotTrimmed) {
  CliRun r = run({"tokenize", "--model", model()}, "Hello world\n");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "9707 1879 198\n");  // the trailing newline is a token (198 = "Ċ")
  CliRun empty = run({"tokenize", "--model", model(), "--json"}, "");
  EXPECT_EQ(empty.out, "[]\n");
  CliRun special = run({"tokenize", "--model", model(), "--json"}, "<|im_start|>user");
  EXPECT_EQ(special.out, "[151644,872]\n");
}

TEST(CliTokenize, DetokenizeRoundTrips) {
  std::string text = "Tokenizers 🦊 split 中文 too.\n<think>\n</think>";
  CliRun ids = run({"tokenize", "--model", model()}, text);
  ASSERT_EQ(ids.status, 0) << ids.err;
  CliRun back = run({"detokenize", "--model", model()}, ids.out);  // ids from standard input
  EXPECT_EQ(back.status, 0) << back.err;
  EXPECT_EQ(back.out, text);
  CliRun json = run({"tokenize", "--model", model(), "--json"}, text);
  EXPECT_EQ(run({"detokenize", "--model", model()}, json.out).out, text);
}

TEST(CliTokenize, DetokenizeIdsOption) {
  CliRun r = run({"detokenize", "--model", model(), "--ids", "9707,1879"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "Hello world");
  CliRun skip = run({"detokenize", "--model", model(), "--ids", "151644,9707,151645", "--skip-special"});
  EXPECT_EQ(skip.out, "Hello");
  EXPECT_EQ(run({"detokenize", "--model", model(), "--ids", "151644,9707,151645"}).out, "<|im_start|>Hello<|im_end|>");
}

TEST(CliTokenize, HelpWorks) {
  for (const char* cmd : {"tokenize", "detokenize"}) {
    CliRun r = run({cmd, "--help"});
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("--model"), std::string::npos) << r.out;
  }
}

TEST(CliTokenize, InvalidUtf8Input) {
  CliRun r = run({"tokenize", "--model", model()}, "ok \xC3\x28 bad");
  expect_one_line_error(r, "not valid UTF-8");
  EXPECT_NE(r.err.find("offset 3"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliTokenize, UnknownIdsAndMalformedIdLists) {
  expect_one_line_error(run({"detokenize", "--model", model(), "--ids", "9707,151669"}), "151669");
  expect_one_line_error(run({"detokenize", "--model", model(), "--ids", "-5"}), "-5");
  expect_one_line_error(run({"detokenize", "--model", model(), "--ids", "1,x,3"}), "\"x\"");
  expect_one_line_error(run({"detokenize", "--model", model(), "--ids", "99999999999"}), "99999999999");
  expect_one_line_error(run({"detokenize", "--model", model()}, "[1,2"), "']'");
}

TEST(CliTokenize, BrokenTokenizerFiles) {
  test::TempDir empty;
  expect_one_line_error(run({"tokenize", "--model", empty.path().string()}, "x"),
                        (empty.path() / "tokenizer.json").string());
  test::TempDir corrupt;
  corrupt.write_tokenizer("{\"model\": {\"type\": \"BPE\", \"vocab\": {");
  expect_one_line_error(run({"tokenize", "--model", corrupt.path().string()}, "x"), "not valid JSON");
  test::TempDir wordpiece;
  nlohmann::json j = test::tiny_tokenizer_json();
  j["model"]["type"] = "WordPiece";
  wordpiece.write_tokenizer(j.dump());
  expect_one_line_error(run({"detokenize", "--model", wordpiece.path().string(), "--ids", "1"}), "expected \"BPE\"");
  // Usage errors are CLI11's (reported by the shared main): non-zero, naming the option.
  CliRun usage = run({"tokenize"}, "x");
  EXPECT_NE(usage.status, 0);
  EXPECT_NE(usage.err.find("--model"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace qwen3
