// `qwen3 config show` end to end: the environment it reads, config files,
// flags, JSON, warnings on stderr, and one-line errors with exit status 1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/run_cli.h"
#include "settings/settings_fixture.h"

namespace qwen3 {
namespace {

using Result = test::CliResult;

// The temporary folder and write() of the library tests.
class ConfigShowCli : public test::SettingsTest {
 protected:
  // Runs `qwen3 config show ARGS` in an empty environment (HOME in the temp
  // folder) plus `env`; arguments are single-quoted.
  Result show(const std::vector<std::string>& args, std::vector<std::string> env = {}) {
    std::vector<std::string> argv = {"config", "show"};
    argv.insert(argv.end(), args.begin(), args.end());
    env.insert(env.begin(), "HOME=" + (dir_ / "home").string());
    return test::run_qwen3(argv, "", env, /*only_env=*/true);
  }

  static void expect_error(const Result& r, const std::string& message) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_EQ(r.err, "qwen3: error: " + message + "\n");
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
};

TEST_F(ConfigShowCli, BuiltInSettingsWithNoFileNoEnvironment) {
  const Result r = show({});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("# config file: none"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[sampling.thinking]\ntemperature = 0.6 "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[sampling.non_thinking]\ntemperature = 0.7 "), std::string::npos) << r.out;
}

TEST_F(ConfigShowCli, JsonReportsEverySource) {
  write("home/.config/qwen3/config.toml", "[sampling.non_thinking]\ntop_k = 30\n");
  const Result r =
      show({"--json", "--top-p", "0.9", "--model", (test::shared_dir() / "qwen3-4b").string()}, {"QWEN3_THREADS=3"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["config_file"], (dir_ / "home/.config/qwen3/config.toml").string());
  EXPECT_EQ(j["threads"]["value"], 3);
  EXPECT_EQ(j["threads"]["source"], "environment");
  EXPECT_EQ(j["model"]["source"], "command_line");
  EXPECT_EQ(j["sampling"]["thinking"]["temperature"]["source"], "generation_config");
  EXPECT_EQ(j["sampling"]["thinking"]["top_k"]["source"], "generation_config");
  EXPECT_EQ(j["sampling"]["thinking"]["top_p"]["source"], "command_line");
  EXPECT_EQ(j["sampling"]["non_thinking"]["top_p"]["origin"], "--top-p");
  EXPECT_EQ(j["sampling"]["non_thinking"]["top_k"]["value"], 30);
  EXPECT_EQ(j["sampling"]["non_thinking"]["top_k"]["source"], "config_file");
  EXPECT_EQ(j["sampling"]["non_thinking"]["temperature"]["source"], "builtin");
}

TEST_F(ConfigShowCli, ExplicitConfigAndXdgAndEnvironmentVariables) {
  const auto file = write("mine.toml", "ctx = 2048\n");
  write("xdg/qwen3/config.toml", "ctx = 4096\n");
  Result r = show({"--json"}, {"XDG_CONFIG_HOME=" + (dir_ / "xdg").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ctx"]["value"], 4096);
  r = show({"--json", "--config", file.string()}, {"XDG_CONFIG_HOME=" + (dir_ / "xdg").string()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ctx"]["value"], 2048);
  r = show({"--json"}, {"QWEN3_CONFIG=" + file.string(), "QWEN3_CTX=1024", "QWEN3_SEED=5"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["config_file"], file.string());
  EXPECT_EQ(j["ctx"]["value"], 1024);
  EXPECT_EQ(j["sampling"]["thinking"]["seed"]["value"], 5);
}

TEST_F(ConfigShowCli, GreedyThinkingIsAWarningOnStderr) {
  const Result r = show({"--temperature", "0"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.rfind("qwen3: warning: sampling.thinking: temperature = 0 (greedy decoding)", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(ConfigShowCli, ErrorsAreOneLineWithExitStatusOne) {
  const auto bad = write("bad.toml", "[sampling.thinking]\ntempreature = 0.6\n");
  expect_error(show({"--config", bad.string()}),
               bad.string() + ":2: unknown key \"sampling.thinking.tempreature\" (did you mean \"temperature\"?)");
  expect_error(
      show({"--config", (dir_ / "missing.toml").string()}),
      "--config: config file " + (dir_ / "missing.toml").string() + " does not exist (expected a TOML settings file)");
  expect_error(show({"--top-p", "1.5"}), "--top-p: top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  expect_error(show({"--top-k", "many"}), "--top-k = \"many\": expected an integer from -2147483648 to 2147483647");
  expect_error(show({"--seed", "-4"}),
               "--seed = \"-4\": expected an integer from 0 to 18446744073709551614, or \"random\"");
  expect_error(show({}, {"QWEN3_MAX_NEW_TOKENS=0"}),
               "QWEN3_MAX_NEW_TOKENS: max_new_tokens = 0 is out of range: expected max_new_tokens >= 1");
  const auto malformed = write("malformed.toml", "threads = = 4\n");
  const Result r = show({"--config", malformed.string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("qwen3: error: " + malformed.string() + ":1: ", 0), 0u) << r.err;
}

TEST_F(ConfigShowCli, EverySamplingFlagIsAccepted) {
  const Result r = show({"--json", "--temperature", "0.9", "--top-p", "0.7", "--top-k", "5", "--min-p", "0.1",
                         "--presence-penalty", "1.5", "--frequency-penalty", "0.5", "--repetition-penalty", "1.2",
                         "--seed", "random", "--max-new-tokens", "64"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto t = nlohmann::json::parse(r.out)["sampling"]["non_thinking"];
  EXPECT_NEAR(t["temperature"]["value"].get<double>(), 0.9, 1e-6);
  EXPECT_NEAR(t["top_p"]["value"].get<double>(), 0.7, 1e-6);
  EXPECT_EQ(t["top_k"]["value"], 5);
  EXPECT_NEAR(t["min_p"]["value"].get<double>(), 0.1, 1e-6);
  EXPECT_NEAR(t["presence_penalty"]["value"].get<double>(), 1.5, 1e-6);
  EXPECT_NEAR(t["frequency_penalty"]["value"].get<double>(), 0.5, 1e-6);
  EXPECT_NEAR(t["repetition_penalty"]["value"].get<double>(), 1.2, 1e-6);
  EXPECT_EQ(t["seed"]["value"], "random");
  EXPECT_EQ(t["seed"]["source"], "command_line");
  EXPECT_EQ(t["max_new_tokens"]["value"], 64);
}

}  // namespace
}  // namespace qwen3
