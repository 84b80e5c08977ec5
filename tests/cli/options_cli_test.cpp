// One options model: every command resolves the same options from the same
// sources, and reports a bad value the same way.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/run_cli.h"
#include "common/test_paths.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using test::CliResult;
using test::run_qwen3;

// Each model-running command, ready to run but for the bad value.
std::vector<std::vector<std::string>> every_command() {
  return {
      {"info", "--model", test::fixture_arg()},
      {"logits", "--model", test::fixture_arg(), "--ids", "1,2"},
      {"bench", "--model", test::fixture_arg(), "--prompt-tokens", "2", "--gen-tokens", "1"},
      {"generate", "--model", test::fixture_arg(), "--prompt", "Hi", "--max-new-tokens", "1"},
      {"chat", "--model", test::fixture_arg(), "--max-new-tokens", "1"},
      {"config", "show"},
  };
}

std::string error_line(const CliResult& r) { return r.err; }

TEST(OptionsEverywhere, ABadEnvironmentValueIsTheSameErrorOnEveryCommand) {
  for (const std::string env : {"QWEN3_THREADS=abc", "QWEN3_CTX=-3", "QWEN3_TEMPERATURE=hot"}) {
    std::string first;
    for (const auto& args : every_command()) {
      const CliResult r = run_qwen3(args, "", {env});
      EXPECT_EQ(r.status, 1) << env << " " << args[0] << ": " << r.err;
      EXPECT_TRUE(test::is_one_line_error(r, env.substr(0, env.find('=')))) << args[0] << ": " << r.err;
      if (first.empty()) first = error_line(r);
      EXPECT_EQ(error_line(r), first) << env << " on " << args[0];
    }
  }
}

TEST(OptionsEverywhere, ABadSettingsFileIsTheSameErrorOnEveryCommand) {
  const fs::path dir = fs::temp_directory_path() / ("qwen3-options-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "config.toml";
  std::ofstream(file) << "threads = \"two\"\n";
  for (const auto& config : {file.string(), (dir / "missing.toml").string(), dir.string()}) {
    std::string first;
    for (auto args : every_command()) {
      args.insert(args.end(), {"--config", config});
      const CliResult r = run_qwen3(args);
      EXPECT_EQ(r.status, 1) << args[0] << ": " << r.err;
      EXPECT_TRUE(test::is_one_line_error(r, config)) << args[0] << ": " << r.err;
      if (first.empty()) first = error_line(r);
      EXPECT_EQ(error_line(r), first) << config << " on " << args[0];
    }
  }
  fs::remove_all(dir);
}

TEST(OptionsEverywhere, TheSettingsFileAndEnvironmentReachTheModelCommands) {
  const fs::path dir = fs::temp_directory_path() / ("qwen3-options-model-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "config.toml";
  std::ofstream(file) << "model = \"" << test::fixture_arg() << "\"\nctx = 77\n";
  CliResult r = run_qwen3({"info", "--config", file.string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("at ctx 77"), std::string::npos) << r.out;
  r = run_qwen3({"info"}, "", {"QWEN3_MODEL=" + test::fixture_arg(), "QWEN3_CTX=66"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("at ctx 66"), std::string::npos) << r.out;
  r = run_qwen3({"info", "--ctx", "55"}, "", {"QWEN3_MODEL=" + test::fixture_arg(), "QWEN3_CTX=66"});  // the flag wins
  EXPECT_NE(r.out.find("at ctx 55"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(OptionsEverywhere, ModelAndModelConfigMeanTheSameOnEveryCommand) {
  // --model-config names a model config on every command; --config a settings file.
  CliResult r = run_qwen3({"info", "--model-config", "qwen3-4b", "--dummy-weights", "--ctx", "1024"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("36"), std::string::npos);
  r = run_qwen3({"config", "show", "--model-config", "qwen3-4b", "--dummy-weights", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["model_config"]["value"], "qwen3-4b");
  EXPECT_EQ(j["model_config"]["origin"], "--model-config");
  EXPECT_EQ(j["dummy_weights"]["value"], true);
  // --model is the model on the tokenizer commands too: its tokenizer is found beside it.
  r = run_qwen3({"tokenize", "--model", test::tokenizer_dir().string(), "--json"}, "Hello world");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "[9707,1879]\n");
  r = run_qwen3({"tokenize", "--tokenizer", test::tokenizer_dir().string(), "--json"}, "Hello world");
  EXPECT_EQ(r.out, "[9707,1879]\n");
  EXPECT_TRUE(
      test::is_one_line_error(run_qwen3({"generate", "--model-config", "nosuch", "--dummy-weights", "--prompt", "Hi"}),
                              "model_config = nosuch"));
}

// Thread counts are bounded wherever they come from, and more threads than
// cores is worth a warning, not silence.
TEST(OptionsEverywhere, ThreadCountsAreBounded) {
  for (const auto& args : every_command()) {
    const CliResult r = run_qwen3(args, "", {"QWEN3_THREADS=100000"});
    EXPECT_TRUE(test::is_one_line_error(r, "QWEN3_THREADS: threads = 100000 is out of range")) << args[0] << r.err;
  }
  CliResult r = run_qwen3({"info", "--model", test::fixture_arg(), "--threads", "2147483647"});
  EXPECT_TRUE(test::is_one_line_error(r, "--threads: threads = 2147483647 is out of range")) << r.err;
  r = run_qwen3({"info", "--model", test::fixture_arg(), "--threads", "1000"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("qwen3: warning: threads = 1000 exceeds the machine's"), std::string::npos) << r.err;
}

// Ids are read one way everywhere, and only the tokenizer's ids are tokens.
TEST(OptionsEverywhere, TokenIdsAreParsedAndCheckedTheSameWay) {
  for (const std::string bad : {"1,,2", "1,", "4294967297", "18446744073709551616", "-5", "x"}) {
    const CliResult d = run_qwen3({"detokenize", "--ids", bad});
    const CliResult l = run_qwen3({"logits", "--model", test::fixture_arg(), "--ids", bad});
    EXPECT_TRUE(test::is_one_line_error(d, "--ids")) << bad << ": " << d.err;
    EXPECT_EQ(d.err, l.err) << bad;
  }
  EXPECT_EQ(run_qwen3({"detokenize", "--ids", "[9707, 1879]"}).out, "Hello world");
  // 151669..151935 are padding rows of the embedding, not tokens.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"logits", "--model", test::fixture_arg(), "--ids", "9707,151700"},
           {"generate", "--model", test::fixture_arg(), "--prompt-ids", "9707,151700", "--max-new-tokens", "1"}})
    EXPECT_TRUE(test::is_one_line_error(run_qwen3(args), "token id 151700 at index 1 is not a token")) << args[0];
}

// Libraries name fields, never flags: the CLI alone knows the flags.
TEST(OptionsEverywhere, NoLibraryMessageNamesAFlag) {
  const fs::path src = test::source_dir() / "src";
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".h")) continue;
    if (entry.path().parent_path().filename() == "cli") continue;
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const auto comment = line.find("//");
      const std::string code = line.substr(0, comment);
      // A string literal holding --word.
      bool in_string = false;
      for (std::size_t i = 0; i + 2 < code.size(); ++i) {
        if (code[i] == '"' && (i == 0 || code[i - 1] != '\\')) in_string = !in_string;
        if (in_string && code[i] == '-' && code[i + 1] == '-' && std::isalpha(static_cast<unsigned char>(code[i + 2])))
          ADD_FAILURE() << entry.path() << ":" << n << ": " << line;
      }
    }
  }
  EXPECT_GT(files, 20);
}

}  // namespace
}  // namespace qwen3
