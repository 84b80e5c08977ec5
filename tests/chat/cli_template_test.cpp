// `qwen3 template` run as a user would (the built QWEN3_BIN): exact output
// for every golden vector, and one-line errors with exit status 1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/file.h"
#include "common/run_cli.h"
#include "qwen3/chat.h"

namespace qwen3 {
namespace {

namespace fs = std::filesystem;
using test::CliResult;
using test::run_qwen3;

class CliTemplate : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("qwen3-cli-template-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }
  void expect_error(const CliResult& r, const std::string& fragment) {
    EXPECT_EQ(r.status, 1);  // a qwen3::Error, not a usage error (2)
    EXPECT_EQ(r.out, "");
    EXPECT_TRUE(test::is_one_line_error(r, fragment)) << r.err;
  }
  std::string model() const { return (test::shared_dir() / "qwen3-tokenizer").string(); }
  fs::path dir_;
};

TEST_F(CliTemplate, EveryGoldenVectorPrintsExactlyItsPrompt) {
  const auto golden = OrderedJson::parse(read_file(test::shared_dir() / "golden" / "chat_template_vectors.json"));
  for (const auto& v : golden.at("vectors")) {
    SCOPED_TRACE(v.at("name").get<std::string>());
    // The vector object itself is a valid request (extra keys are ignored).
    const fs::path request = write("request.json", v.dump());
    const CliResult r = run_qwen3({"template", "--model", model(), "--request", request.string()});
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, v.at("rendered").get<std::string>());  // no newline added
  }
}

TEST_F(CliTemplate, ReadsStandardInputAndPrintsIds) {
  const std::string req = R"({"messages": [{"role": "user", "content": "hi"}], "add_generation_prompt": true})";
  CliResult r = run_qwen3({"template", "--model", model(), "--request", "-"}, req);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  r = run_qwen3({"template", "--model", test::tokenizer_dir().string(), "--request", "-", "--ids"}, req);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[151644,872,198,6023,151645,198,151644,77091,198]\n");
}

TEST_F(CliTemplate, HelpDescribesTheOptions) {
  const CliResult r = run_qwen3({"template", "--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--model"), std::string::npos);
  EXPECT_NE(r.out.find("--request"), std::string::npos);
  EXPECT_NE(r.out.find("add_generation_prompt"), std::string::npos);
}

TEST_F(CliTemplate, ErrorsAreOneLineWithStatusOne) {
  const std::string ok = write("ok.json", R"({"messages": [{"role": "user", "content": "hi"}]})").string();
  expect_error(run_qwen3({"template", "--model", model(), "--request", (dir_ / "absent.json").string()}),
               "absent.json");
  expect_error(run_qwen3({"template", "--model", model(), "--request", write("bad.json", "{\"messages\": [").string()}),
               "bad.json: the request is not valid JSON");
  expect_error(run_qwen3({"template", "--model", model(), "--request", write("nomsg.json", "{}").string()}),
               "nomsg.json: messages is missing");
  expect_error(run_qwen3({"template", "--model", model(), "--request",
                          write("role.json", R"({"messages": [{"role": "user"}]})").string()}),
               "role.json: messages[0].content is missing");
  expect_error(
      run_qwen3({"template", "--model", model(), "--request",
                 write("utf8.json", "{\"messages\": [{\"role\": \"user\", \"content\": \"\xed\xa0\x80\"}]}").string()}),
      "not valid UTF-8");
  expect_error(run_qwen3({"template", "--model", dir_.string(), "--request", ok}), "tokenizer_config.json");
  write("tokenizer_config.json", R"({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})");
  expect_error(run_qwen3({"template", "--model", dir_.string(), "--request", ok}),
               "tokenizer_config.json: chat template not supported");
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  expect_error(run_qwen3({"template", "--model", model(), "--request",
                          write("deep.json",
                                R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"a": )" + deep + "}]}")
                              .string()}),
               "deep.json: tools[0] nests deeper than 256 levels");
  // A number beyond a double is a JSON error naming the file, not an internal error.
  expect_error(
      run_qwen3({"template", "--model", model(), "--request",
                 write("huge.json", R"({"messages": [{"role": "user", "content": "x"}], "tools": [1e400]})").string()}),
      "huge.json: the request is not valid JSON: number overflow");
  // Missing required options are usage errors from the option parser.
  const CliResult usage = run_qwen3({"template", "--model", model()});
  EXPECT_NE(usage.status, 0);
  EXPECT_NE(usage.err.find("--request"), std::string::npos) << usage.err;
}

}  // namespace
}  // namespace qwen3
