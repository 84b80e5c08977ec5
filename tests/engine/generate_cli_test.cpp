// `qwen3 generate` and `qwen3 chat` end to end on the fixture model.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/run_cli.h"
#include "qwen3/reasoning.h"
#include "qwen3/tokenizer.h"

namespace qwen3 {
namespace {

using nlohmann::json;
using test::run_qwen3;

const Tokenizer& fixture_tokenizer() {
  static const Tokenizer t = Tokenizer::load(test::fixture_dir());
  return t;
}

json generate_json(std::vector<std::string> extra) {
  std::vector<std::string> args = {"generate", "--model", test::fixture_arg(), "--prompt", "What is 2+2?",
                                   "--seed",   "11",      "--max-new-tokens",  "24",       "--ctx",
                                   "256",      "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = run_qwen3(args);
  EXPECT_EQ(r.status, 0) << r.err;
  return json::parse(r.out);
}

void expect_matches_parse_of_ids(const json& j) {
  const auto ids = j["ids"].get<std::vector<TokenId>>();
  const ParsedReply parsed = parse_reply(fixture_tokenizer(), ids);
  EXPECT_EQ(j["reasoning"].get<std::string>(), parsed.reasoning);
  EXPECT_EQ(j["content"].get<std::string>(), parsed.content);
  EXPECT_EQ(j["thinking_state"].get<std::string>(), thinking_state_name(parsed.state));
  const auto& u = j["usage"];
  EXPECT_EQ(u["generated_tokens"].get<int>(), static_cast<int>(ids.size()));
  EXPECT_GT(u["prompt_tokens"].get<int>(), 0);
  EXPECT_GE(u["time_to_first_token_ms"].get<double>(), 0.0);
}

TEST(GenerateCli, ThinkingModeJsonMatchesTheParseOfTheIds) {
  const json j = generate_json({"--think"});
  EXPECT_EQ(j["mode"], "thinking");
  EXPECT_EQ(j["finish_reason"], "length");
  EXPECT_EQ(j["ids"].size(), 24u);
  expect_matches_parse_of_ids(j);
}

TEST(GenerateCli, NonThinkingModeJsonMatchesTheParseOfTheIdsAndHasNoReasoning) {
  const json j = generate_json({"--no-think"});
  EXPECT_EQ(j["mode"], "non_thinking");
  EXPECT_EQ(j["reasoning"], "");
  const auto content = j["content"].get<std::string>();
  EXPECT_EQ(content.find("<think>"), std::string::npos);
  EXPECT_EQ(content.find("</think>"), std::string::npos);
  expect_matches_parse_of_ids(j);
  // The non-thinking prompt carries the empty think block: 4 more tokens.
  const json t = generate_json({"--think"});
  EXPECT_EQ(j["usage"]["prompt_tokens"].get<int>(), t["usage"]["prompt_tokens"].get<int>() + 4);
}

TEST(GenerateCli, SameSeedSameOutputOtherSeedOtherOutput) {
  const json a = generate_json({});
  const json b = generate_json({});
  const json c = generate_json({"--seed", "12"});  // the last --seed wins
  EXPECT_EQ(a["ids"], b["ids"]);
  EXPECT_NE(a["ids"], c["ids"]);
}

TEST(GenerateCli, EnglishOnlyEmitsOnlyAsciiText) {
  const json free_run = generate_json({"--temperature", "1.0"});
  const json ascii = generate_json({"--temperature", "1.0", "--english-only=ascii"});
  auto is_ascii = [](const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  };
  EXPECT_FALSE(is_ascii(free_run["content"].get<std::string>()));  // the fixture drifts into other scripts
  EXPECT_TRUE(is_ascii(ascii["content"].get<std::string>())) << ascii["content"];
}

TEST(GenerateCli, ZeroThinkingBudgetRunsInNonThinkingModeWithItsPreset) {
  const json j = generate_json({"--thinking-budget", "0"});
  EXPECT_EQ(j["mode"], "non_thinking");
  EXPECT_EQ(j["reasoning"], "");
  const json n = generate_json({"--no-think"});
  EXPECT_EQ(j["usage"]["prompt_tokens"], n["usage"]["prompt_tokens"]);
  EXPECT_EQ(j["ids"], n["ids"]);  // same prompt, same preset, same seed
}

TEST(GenerateCli, RawIdsHonourEnglishOnlyAndRefuseChatOptions) {
  const auto r =
      run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt-ids", "151644,872,198", "--max-new-tokens", "12",
                 "--seed", "4", "--temperature", "1", "--english-only=ascii", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto ids = json::parse(r.out)["ids"].get<std::vector<TokenId>>();
  ASSERT_EQ(ids.size(), 12u);
  for (auto id : ids)
    for (unsigned char c : fixture_tokenizer().token_bytes(id)) EXPECT_LT(c, 0x80) << id;
  EXPECT_TRUE(test::is_one_line_error(
      run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt-ids", "1,2", "--stop", "x"}), "--prompt-ids"));
}

TEST(GenerateCli, DummyWeightsOfTheFixtureConfigContinueLikeTheCheckpoint) {
  // The fixture's weights are qwen3-dummy-v1 output (its dummy.json beside its config).
  const std::vector<std::string> tail = {
      "--prompt-ids", "151644,872,198", "--max-new-tokens", "6", "--greedy", "--seed", "1", "--json"};
  std::vector<std::string> dummy = {"generate",        "--model-config", (test::fixture_dir() / "config.json").string(),
                                    "--dummy-weights", "--tokenizer",    test::fixture_arg()};
  std::vector<std::string> real = {"generate", "--model", test::fixture_arg()};
  dummy.insert(dummy.end(), tail.begin(), tail.end());
  real.insert(real.end(), tail.begin(), tail.end());
  const auto a = run_qwen3(dummy), b = run_qwen3(real);
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
}

TEST(GenerateCli, RawIdsGreedyIsDeterministic) {
  const auto a = run_qwen3({"generate", "--model", test::fixture_arg(), "--prompt-ids", "1,2,3", "--max-new-tokens",
                            "5", "--greedy", "--json"});
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_EQ(json::parse(a.out)["ids"].size(), 5u);
  EXPECT_EQ(a.err, "");  // no advice about greedy decoding for raw ids
}

TEST(GenerateCli, BadParametersAreOneLineErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--top-p", "1.5"}, "top_p = 1.5"},
      {{"--temperature", "-1"}, "temperature = -1"},
      {{"--top-k", "-3"}, "top_k = -3"},
      {{"--min-p", "2"}, "min_p = 2"},
      {{"--presence-penalty", "3"}, "presence_penalty = 3"},
      {{"--max-new-tokens", "0"}, "max_new_tokens = 0"},
      {{"--thinking-budget", "-5"}, "thinking_budget"},
      {{"--english-only=klingon"}, "klingon"},
      {{"--ctx", "100000"}, "ctx"},
      {{"--prompt", "bad \xC3("}, "UTF-8"},
  };
  for (const auto& [extra, fragment] : cases) {
    std::vector<std::string> args = {"generate",         "--model", test::fixture_arg(), "--prompt", "Hi",
                                     "--max-new-tokens", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_qwen3(args);
    EXPECT_TRUE(test::is_one_line_error(r, fragment)) << fragment << ": status " << r.status << " " << r.err;
  }
  EXPECT_TRUE(test::is_one_line_error(run_qwen3({"generate", "--model", "/no/such/model", "--prompt", "Hi"}),
                                      "/no/such/model"));
}

TEST(ChatCli, AFailedTurnIsReportedAndTheChatGoesOn) {
  const std::string too_long(4000, 'x');  // alone more than the context
  const auto r = run_qwen3(
      {"chat", "--model", test::fixture_arg(), "--seed", "5", "--max-new-tokens", "3", "--ctx", "60", "--usage"},
      "Hello\n" + too_long + "\nHi\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("qwen3: error: the prompt has"), std::string::npos) << r.err;
  // Two answered turns (usage lines) and one error line.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 3) << r.err;
}

TEST(ChatCli, ConversationCommandsAndUsage) {
  const auto r = run_qwen3(
      {"chat", "--model", test::fixture_arg(), "--seed", "5", "--max-new-tokens", "6", "--ctx", "512", "--usage"},
      "Hello\n/no_think\nAgain\n/reset\n/exit\nnever read\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("(thinking off)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(history cleared)"), std::string::npos) << r.out;
  // Two answers, each with its usage line on stderr; the line after /exit is never read.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
  EXPECT_NE(r.err.find("6 answer tokens"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace qwen3

namespace qwen3 {
namespace {

TEST(BenchCli, EnglishOnlyIsMeasuredBesidePlainDecoding) {
  const auto r = test::run_qwen3({"bench", "--model", test::fixture_dir().string(), "--prompt-tokens", "8",
                                  "--gen-tokens", "4", "--threads", "1", "--english-only=ascii", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out)["english_only"];
  EXPECT_EQ(j["policy"], "ascii");
  EXPECT_GT(j["rows"].get<int>(), 90000);
  EXPECT_LT(j["rows"].get<int>(), 151936);
  for (const char* k : {"plain_decode_tokens_per_s", "english_decode_tokens_per_s", "speedup"})
    EXPECT_GT(j[k].get<double>(), 0.0) << k;
}

}  // namespace
}  // namespace qwen3
