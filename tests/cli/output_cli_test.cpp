// Output people can script and reproduce: JSON keys in reading order, floats
// in their shortest form, the seed and sampling values reported, streaming
// JSON, prompts from files and standard input, chat commands.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/run_cli.h"
#include "common/test_paths.h"

namespace qwen3 {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using test::CliResult;
using test::run_qwen3;

CliResult generate(std::vector<std::string> extra, const std::string& input = "") {
  std::vector<std::string> args = {"generate", "--model", test::fixture_arg(), "--max-new-tokens", "12",
                                   "--ctx",    "256"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_qwen3(args, input);
}

TEST(ScriptableOutput, ConfigShowPrintsShortestFloatsInDeclarationOrder) {
  const CliResult r = run_qwen3({"config", "show", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["sampling"]["thinking"]["top_p"]["value"].dump(), "0.95");
  EXPECT_EQ(j["sampling"]["thinking"]["temperature"]["value"].dump(), "0.6");
  EXPECT_EQ(j["sampling"]["non_thinking"]["temperature"]["value"].dump(), "0.7");
  EXPECT_EQ(j["sampling"]["non_thinking"]["top_p"]["value"].dump(), "0.8");
  EXPECT_EQ(r.out.find("0.9499999"), std::string::npos);
  // Keys as declared: the model first, the sampling presets last.
  EXPECT_LT(r.out.find("\"model\""), r.out.find("\"threads\""));
  EXPECT_LT(r.out.find("\"threads\""), r.out.find("\"sampling\""));
}

TEST(ScriptableOutput, GenerateJsonReportsWhatTheRunUsed) {
  const CliResult r = generate({"--prompt", "Hi", "--seed", "7", "--no-think", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto& out = r.out;
  // Reading order: the reply first, the figures after.
  EXPECT_LT(out.find("\"reasoning\""), out.find("\"content\""));
  EXPECT_LT(out.find("\"content\""), out.find("\"finish_reason\""));
  EXPECT_LT(out.find("\"seed\""), out.find("\"usage\""));
  const json j = json::parse(out);
  EXPECT_EQ(j["seed"], 7u);
  EXPECT_EQ(j["mode"], "non_thinking");
  EXPECT_EQ(j["sampling"]["temperature"].dump(), "0.7");
  EXPECT_EQ(j["sampling"]["top_p"].dump(), "0.8");
  EXPECT_EQ(j["english_only"], "off");
  EXPECT_EQ(j["thinking_budget"], -1);
}

TEST(ScriptableOutput, AnUnseededRunReportsASeedThatReproducesIt) {
  const CliResult a = generate({"--prompt", "Tell me a story", "--temperature", "1.5", "--json"});
  ASSERT_EQ(a.status, 0) << a.err;
  const json ja = json::parse(a.out);
  const std::string seed = std::to_string(ja["seed"].get<std::uint64_t>());
  const CliResult b = generate({"--prompt", "Tell me a story", "--temperature", "1.5", "--seed", seed, "--json"});
  ASSERT_EQ(b.status, 0) << b.err;
  const json jb = json::parse(b.out);
  EXPECT_EQ(jb["ids"], ja["ids"]);
  EXPECT_EQ(jb["seed"], ja["seed"]);
  // Raw ids report theirs too.
  const CliResult raw = generate({"--prompt-ids", "151644,872,198", "--temperature", "1.5", "--json"});
  ASSERT_EQ(raw.status, 0) << raw.err;
  const json jr = json::parse(raw.out);
  const CliResult again = generate({"--prompt-ids", "151644,872,198", "--temperature", "1.5", "--json", "--seed",
                                    std::to_string(jr["seed"].get<std::uint64_t>())});
  EXPECT_EQ(json::parse(again.out)["ids"], jr["ids"]);
}

TEST(ScriptableOutput, JsonStreamIsAPieceALineThenASummary) {
  const CliResult stream = generate({"--prompt", "Hi", "--seed", "3", "--json-stream"});
  ASSERT_EQ(stream.status, 0) << stream.err;
  const json whole = json::parse(generate({"--prompt", "Hi", "--seed", "3", "--json"}).out);
  std::istringstream lines(stream.out);
  std::string line, reasoning, content;
  json last;
  int pieces = 0;
  while (std::getline(lines, line)) {
    last = json::parse(line);
    if (last["type"] == "reasoning")
      reasoning += last["text"].get<std::string>(), ++pieces;
    else if (last["type"] == "content")
      content += last["text"].get<std::string>(), ++pieces;
  }
  EXPECT_GT(pieces, 0);
  EXPECT_EQ(last["type"], "summary");
  EXPECT_EQ(reasoning, whole["reasoning"]);
  EXPECT_EQ(content, whole["content"]);
  EXPECT_EQ(last["ids"], whole["ids"]);
  EXPECT_EQ(last["seed"], 3u);
}

TEST(ScriptableOutput, PromptFromAFileOrStandardInput) {
  const fs::path file = fs::temp_directory_path() / ("qwen3-prompt-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(file) << "What is 2+2?";
  const json arg = json::parse(generate({"--prompt", "What is 2+2?", "--seed", "5", "--json"}).out);
  const json from_file = json::parse(generate({"--prompt-file", file.string(), "--seed", "5", "--json"}).out);
  const json from_stdin = json::parse(generate({"--prompt", "-", "--seed", "5", "--json"}, "What is 2+2?").out);
  EXPECT_EQ(from_file["ids"], arg["ids"]);
  EXPECT_EQ(from_stdin["ids"], arg["ids"]);
  EXPECT_EQ(from_stdin["usage"]["prompt_tokens"], arg["usage"]["prompt_tokens"]);
  EXPECT_TRUE(test::is_one_line_error(generate({"--prompt-file", "/no/such/prompt.txt"}), "/no/such/prompt.txt"));
  fs::remove(file);
}

TEST(ScriptableOutput, UsageReportsTheSeedOnGenerate) {
  const CliResult r = generate({"--prompt", "Hi", "--seed", "9", "--usage"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("seed 9"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("thinking mode"), std::string::npos) << r.err;
}

CliResult chat(const std::string& input) {
  return run_qwen3({"chat", "--model", test::fixture_arg(), "--seed", "5", "--max-new-tokens", "3", "--ctx", "256"},
                   input);
}

TEST(ChatCommands, HelpUnknownCommandsAndSpaces) {
  CliResult r = chat("/help\n/?\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(std::count(r.out.begin(), r.out.end(), '/'), 8) << r.out;
  EXPECT_NE(r.out.find("/no_think"), std::string::npos);
  r = chat("/rest\n");
  EXPECT_NE(r.out.find("unknown command /rest"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("tokens"), std::string::npos);  // nothing was generated
  r = chat("   /exit   \nHello\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find("Thinking"), std::string::npos) << r.out;  // left before "Hello"
  r = chat("  /no_think \n");
  EXPECT_NE(r.out.find("(thinking off)"), std::string::npos) << r.out;
}

TEST(ChatCommands, JsonAndUsageReportEachTurn) {
  const CliResult r = run_qwen3({"chat", "--model", test::fixture_arg(), "--seed", "5", "--max-new-tokens", "3",
                                 "--ctx", "256", "--json", "--usage"},
                                "Hello\n/no_think\nAgain\n");
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<json> turns;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') turns.push_back(json::parse(line));
  ASSERT_EQ(turns.size(), 2u) << r.out;
  EXPECT_EQ(turns[0]["mode"], "thinking");
  EXPECT_EQ(turns[1]["mode"], "non_thinking");
  for (const auto& t : turns) {
    EXPECT_EQ(t["seed"], 5u);
    EXPECT_EQ(t["sampling"]["max_new_tokens"], 3);
  }
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.err.find("non_thinking mode, seed 5"), std::string::npos) << r.err;
}

TEST(ChatCommands, ALongConversationDropsItsOldestTurns) {
  std::string input;
  for (int i = 0; i < 12; ++i) input += "Tell me about the number " + std::to_string(i) + " please\n";
  const CliResult r = run_qwen3(
      {"chat", "--model", test::fixture_arg(), "--seed", "5", "--max-new-tokens", "8", "--ctx", "120", "--ignore-eos"},
      input);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("dropped the"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("qwen3: error"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace qwen3
