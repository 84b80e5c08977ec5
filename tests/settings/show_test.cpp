// `config show` output: TOML that is itself a valid config file reproducing
// the values, with each source in a comment; JSON with value/source/origin.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

#include "settings/settings_fixture.h"

namespace qwen3 {
namespace {

using test::SettingsTest;

// The comment of the line that sets `assignment` ("threads = 2"), or
// "(missing)"; values are padded to a column before the comment.
std::string comment_of(const std::string& text, const std::string& assignment) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(assignment + " ", 0) != 0) continue;
    const auto hash = line.find("  # ");
    if (hash == std::string::npos || line.find_first_not_of(' ', assignment.size()) != hash + 2)
      return "(malformed: " + line + ")";
    return line.substr(hash + 4);
  }
  return "(missing)";
}

TEST_F(SettingsTest, TomlOutputNamesEachSource) {
  auto src = with_config("threads = 2\n[sampling.non_thinking]\ntop_k = 7\n");
  src.environment["QWEN3_TOP_P"] = "0.5";
  const auto text = settings_to_toml(resolve(src));
  EXPECT_NE(text.find("# config file: " + config_path() + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# generation_config.json: none\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# model: not set"), std::string::npos) << text;
  EXPECT_EQ(comment_of(text, "threads = 2"), "config_file (" + config_path() + ":1)");
  EXPECT_EQ(comment_of(text, "device = \"cpu\""), "builtin");
  EXPECT_EQ(comment_of(text, "top_p = 0.5"), "environment (QWEN3_TOP_P)");  // first: the thinking table
  EXPECT_EQ(comment_of(text, "top_k = 7"), "config_file (" + config_path() + ":3)");
  EXPECT_EQ(comment_of(text, "seed = \"random\""), "builtin");
  // Tables in order, thinking first, each parameter once per table.
  const auto thinking = text.find("[sampling.thinking]\ntemperature = 0.6 ");
  const auto non_thinking = text.find("[sampling.non_thinking]\ntemperature = 0.7 ");
  ASSERT_NE(thinking, std::string::npos) << text;
  ASSERT_NE(non_thinking, std::string::npos) << text;
  EXPECT_LT(thinking, non_thinking);
}

TEST_F(SettingsTest, TomlOutputReadsBackAsTheSameSettings) {
  auto src = with_config(
      "model = \"Qwen/Qwen3-4B\"\ndtype = \"bf16\"\nenable_thinking = false\nenglish_only = \"latin\"\n"
      "[sampling.thinking]\ntemperature = 1\nseed = 12345\n[sampling.non_thinking]\nmin_p = 0.05\n");
  src.command_line.sampling.presence_penalty = 1.25f;
  const auto original = resolve(src);
  auto again = sources();
  again.config_file = write("shown.toml", settings_to_toml(original));
  const auto reread = resolve(again);
  EXPECT_EQ(reread.thinking.params(), original.thinking.params());
  EXPECT_EQ(reread.non_thinking.params(), original.non_thinking.params());
  EXPECT_EQ(reread.model.value, original.model.value);
  EXPECT_EQ(reread.dtype.value, original.dtype.value);
  EXPECT_EQ(reread.enable_thinking.value, original.enable_thinking.value);
  EXPECT_EQ(reread.english_only.value, original.english_only.value);
  EXPECT_EQ(reread.run_options().ctx, original.run_options().ctx);
  EXPECT_EQ(reread.thinking.seed.source, Source::ConfigFile);
}

TEST_F(SettingsTest, JsonOutputHasValueSourceAndOrigin) {
  auto src = with_config("[sampling.thinking]\ntop_k = 11\n");
  src.command_line.sampling.seed = 99;
  src.command_line.dtype = WeightDType::BF16;
  const auto j = nlohmann::json::parse(settings_to_json(resolve(src)));
  EXPECT_EQ(j["config_file"], config_path());
  EXPECT_TRUE(j["generation_config"].is_null());
  EXPECT_TRUE(j["model"]["value"].is_null());
  EXPECT_EQ(j["model"]["source"], "builtin");
  EXPECT_EQ(j["dtype"]["value"], "bf16");
  EXPECT_EQ(j["dtype"]["source"], "command_line");
  EXPECT_EQ(j["dtype"]["origin"], "dtype");
  EXPECT_EQ(j["sampling"]["thinking"]["top_k"]["value"], 11);
  EXPECT_EQ(j["sampling"]["thinking"]["top_k"]["origin"], config_path() + ":2");
  EXPECT_EQ(j["sampling"]["non_thinking"]["top_k"]["source"], "builtin");
  EXPECT_FALSE(j["sampling"]["non_thinking"]["top_k"].contains("origin"));
  EXPECT_EQ(j["sampling"]["thinking"]["seed"]["value"], 99);
  EXPECT_EQ(j["sampling"]["non_thinking"]["seed"]["value"], 99);
  EXPECT_NEAR(j["sampling"]["non_thinking"]["top_p"]["value"].get<double>(), 0.8, 1e-6);
  for (const char* key : {"device", "threads", "ctx", "enable_thinking", "thinking_budget", "english_only"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["sampling"]["thinking"].size(), 9u);
}

}  // namespace
}  // namespace qwen3
