// Sources and precedence: built-in, generation_config.json, config file,
// environment, command line; the default config path; environment parsing.
#include <gtest/gtest.h>
#include <stdlib.h>  // setenv

#include "common/test_paths.h"
#include "settings/settings_fixture.h"

namespace qwen3 {
namespace {

using test::SettingsTest;

TEST_F(SettingsTest, NothingGivenIsTheBuiltInPresetsAndRunOptions) {
  const auto s = resolve(sources());
  EXPECT_FALSE(s.config_file);
  EXPECT_FALSE(s.generation_config);
  EXPECT_EQ(s.model.value, "");
  EXPECT_EQ(s.model.source, Source::Builtin);
  const RunOptions defaults;
  const auto run = s.run_options();
  EXPECT_EQ(run.device, defaults.device);
  EXPECT_EQ(run.dtype, defaults.dtype);
  EXPECT_EQ(run.threads, defaults.threads);
  EXPECT_EQ(run.ctx, defaults.ctx);
  EXPECT_TRUE(s.enable_thinking.value);
  EXPECT_EQ(s.default_mode(), SamplingMode::Thinking);
  EXPECT_EQ(s.thinking_budget.value, -1);  // no limit
  EXPECT_EQ(s.english_only.value, "off");
  EXPECT_EQ(s.thinking.params(), sampling_preset(SamplingMode::Thinking));
  EXPECT_EQ(s.non_thinking.params(), sampling_preset(SamplingMode::NonThinking));
  EXPECT_EQ(s.thinking.top_p.source, Source::Builtin);
  EXPECT_TRUE(s.thinking.top_p.origin.empty());
  EXPECT_TRUE(s.warnings().empty());
}

TEST(SettingsSourceNames, AreStable) {
  EXPECT_EQ(source_name(Source::Builtin), "builtin");
  EXPECT_EQ(source_name(Source::GenerationConfig), "generation_config");
  EXPECT_EQ(source_name(Source::ConfigFile), "config_file");
  EXPECT_EQ(source_name(Source::Environment), "environment");
  EXPECT_EQ(source_name(Source::CommandLine), "command_line");
}

TEST(SettingsDefaultPath, XdgConfigHomeThenHome) {
  EXPECT_EQ(default_config_path({{"XDG_CONFIG_HOME", "/x"}, {"HOME", "/h"}}),
            std::filesystem::path("/x/qwen3/config.toml"));
  EXPECT_EQ(default_config_path({{"HOME", "/h"}}), std::filesystem::path("/h/.config/qwen3/config.toml"));
  // The XDG spec: a relative or empty XDG_CONFIG_HOME is ignored.
  EXPECT_EQ(default_config_path({{"XDG_CONFIG_HOME", "rel"}, {"HOME", "/h"}}),
            std::filesystem::path("/h/.config/qwen3/config.toml"));
  EXPECT_EQ(default_config_path({{"XDG_CONFIG_HOME", ""}, {"HOME", "/h"}}),
            std::filesystem::path("/h/.config/qwen3/config.toml"));
  EXPECT_FALSE(default_config_path({}));
}

TEST_F(SettingsTest, TheDefaultFileIsReadWhenPresent) {
  const auto path = write("home/.config/qwen3/config.toml", "threads = 3\n");
  const auto s = resolve(sources());
  ASSERT_TRUE(s.config_file);
  EXPECT_EQ(*s.config_file, path);
  EXPECT_EQ(s.threads.value, 3);
  EXPECT_EQ(s.threads.source, Source::ConfigFile);
  EXPECT_EQ(s.threads.origin, path.string() + ":1");
}

TEST_F(SettingsTest, TheXdgDefaultFileWinsOverHome) {
  write("home/.config/qwen3/config.toml", "threads = 3\n");
  const auto xdg = write("xdg/qwen3/config.toml", "threads = 5\n");
  auto src = sources();
  src.environment["XDG_CONFIG_HOME"] = (dir_ / "xdg").string();
  const auto s = resolve(src);
  EXPECT_EQ(*s.config_file, xdg);
  EXPECT_EQ(s.threads.value, 5);
}

TEST_F(SettingsTest, AMissingDefaultFileIsFineAMissingExplicitOneIsNot) {
  EXPECT_NO_THROW(resolve(sources()));
  auto src = sources();
  src.config_file = dir_ / "nope.toml";
  EXPECT_EQ(error_of(src),
            "config: config file " + (dir_ / "nope.toml").string() + " does not exist (expected a TOML settings file)");
  src = sources();
  src.environment["QWEN3_CONFIG"] = (dir_ / "nope.toml").string();
  EXPECT_EQ(error_of(src), "QWEN3_CONFIG: config file " + (dir_ / "nope.toml").string() +
                               " does not exist (expected a TOML settings file)");
}

TEST_F(SettingsTest, QwenConfigVariableNamesTheFileAndTheFlagWins) {
  const auto env_file = write("env.toml", "ctx = 100\n");
  const auto flag_file = write("flag.toml", "ctx = 200\n");
  auto src = sources();
  src.environment["QWEN3_CONFIG"] = env_file.string();
  EXPECT_EQ(resolve(src).ctx.value, 100);
  src.config_file = flag_file;
  EXPECT_EQ(resolve(src).ctx.value, 200);
}

// ---- generation_config.json ------------------------------------------------

TEST_F(SettingsTest, QwenGenerationConfigSuppliesTheThinkingPreset) {
  auto src = sources();
  src.model_dir = test::shared_dir() / "qwen3-4b";
  const auto s = resolve(src);
  ASSERT_TRUE(s.generation_config);
  EXPECT_EQ(*s.generation_config, test::shared_dir() / "qwen3-4b" / "generation_config.json");
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.6f);
  EXPECT_FLOAT_EQ(s.thinking.top_p.value, 0.95f);
  EXPECT_EQ(s.thinking.top_k.value, 20);
  for (auto source : {s.thinking.temperature.source, s.thinking.top_p.source, s.thinking.top_k.source})
    EXPECT_EQ(source, Source::GenerationConfig);
  EXPECT_EQ(s.thinking.temperature.origin, s.generation_config->string());
  EXPECT_EQ(s.thinking.min_p.source, Source::Builtin);            // not in the file
  EXPECT_EQ(s.non_thinking.temperature.source, Source::Builtin);  // never from the file
}

TEST_F(SettingsTest, GenerationConfigValuesAreUsedAndChecked) {
  write("model/generation_config.json",
        R"({"temperature": 0.5, "top_p": 0.9, "top_k": 30, "repetition_penalty": 1.05,
            "min_p": null, "eos_token_id": [1, 2]})");
  auto src = sources();
  src.model_dir = dir_ / "model";
  const auto s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.5f);
  EXPECT_FLOAT_EQ(s.thinking.top_p.value, 0.9f);
  EXPECT_EQ(s.thinking.top_k.value, 30);
  EXPECT_FLOAT_EQ(s.thinking.repetition_penalty.value, 1.05f);
  EXPECT_EQ(s.thinking.min_p.source, Source::Builtin);  // null: not set
  EXPECT_FLOAT_EQ(s.non_thinking.temperature.value, 0.7f);

  const auto path = (dir_ / "model" / "generation_config.json").string();
  write("model/generation_config.json", R"({"top_k": 20.5})");
  EXPECT_EQ(error_of(src), path + ": \"top_k\" = 20.5: expected an integer from -2147483648 to 2147483647");
  write("model/generation_config.json", R"({"top_p": 1.5})");
  EXPECT_EQ(error_of(src), path + ": top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  write("model/generation_config.json", R"({"temperature": 0.6,)");
  EXPECT_EQ(error_of(src).rfind(path + ": malformed JSON: ", 0), 0u) << error_of(src);
  write("model/generation_config.json", R"([1, 2])");
  EXPECT_EQ(error_of(src), path + ": expected a JSON object");
  write("model/generation_config.json", R"({"do_sample": "no"})");
  EXPECT_EQ(error_of(src), path + ": \"do_sample\" = \"no\": expected true or false");
}

TEST_F(SettingsTest, GenerationConfigWithoutSamplingMeansGreedy) {
  write("model/generation_config.json", R"({"do_sample": false, "temperature": 0.6})");
  auto src = sources();
  src.model_dir = dir_ / "model";
  const auto s = resolve(src);
  EXPECT_EQ(s.thinking.temperature.value, 0.0f);
  EXPECT_EQ(s.thinking.temperature.source, Source::GenerationConfig);
  ASSERT_EQ(s.warnings().size(), 1u);
  EXPECT_EQ(s.warnings()[0].rfind("sampling.thinking: temperature = 0 (greedy decoding)", 0), 0u);
}

TEST_F(SettingsTest, AModelFolderWithoutGenerationConfigIsFine) {
  std::filesystem::create_directories(dir_ / "model");
  auto src = sources();
  src.model_dir = dir_ / "model";
  const auto s = resolve(src);
  EXPECT_FALSE(s.generation_config);
  EXPECT_EQ(s.thinking.temperature.source, Source::Builtin);
}

TEST_F(SettingsTest, TheModelSettingLocatesGenerationConfig) {
  write("model/generation_config.json", R"({"top_k": 33})");
  auto src = sources();
  src.environment["QWEN3_MODEL"] = (dir_ / "model").string();
  auto s = resolve(src);
  EXPECT_EQ(s.model.source, Source::Environment);
  EXPECT_EQ(s.thinking.top_k.value, 33);
  // A hub name not in the (empty, offline) cache: no generation_config.json yet.
  src.environment["QWEN3_MODEL"] = "Qwen/Qwen3-4B";
  s = resolve(src);
  EXPECT_FALSE(s.generation_config);
  EXPECT_EQ(s.model.value, "Qwen/Qwen3-4B");
}

// A hub name reads the generation_config.json of its snapshot in the
// Hugging Face cache (laid out here as huggingface_hub lays it out).
TEST_F(SettingsTest, AHubModelsGenerationConfigComesFromItsSnapshot) {
  const std::string commit(40, 'c');
  write("hf/models--Qwen--Qwen3-4B/refs/main", commit);
  write("hf/models--Qwen--Qwen3-4B/blobs/e1", R"({"top_k": 31})");
  std::filesystem::create_directories(dir_ / "hf/models--Qwen--Qwen3-4B/snapshots" / commit);
  std::filesystem::create_symlink("../../blobs/e1",
                                  dir_ / "hf/models--Qwen--Qwen3-4B/snapshots" / commit / "generation_config.json");
  auto src = sources();
  src.environment["HF_HUB_CACHE"] = (dir_ / "hf").string();
  src.environment["QWEN3_MODEL"] = "Qwen/Qwen3-4B";
  const auto s = resolve(src);
  EXPECT_EQ(s.thinking.top_k.value, 31);
  EXPECT_EQ(s.thinking.top_k.source, Source::GenerationConfig);
  ASSERT_TRUE(s.generation_config);
  EXPECT_EQ(*s.generation_config, dir_ / "hf/models--Qwen--Qwen3-4B/snapshots" / commit / "generation_config.json");
  EXPECT_EQ(hub_options(s).cache_dir, dir_ / "hf");
  EXPECT_TRUE(hub_options(s).offline);
}

// ---- precedence ---------------------------------------------------------

TEST_F(SettingsTest, EachSourceOverridesTheOnesBelowIt) {
  write("model/generation_config.json", R"({"temperature": 0.5})");
  auto src = with_config("[sampling.thinking]\ntemperature = 0.4\n");
  src.model_dir = dir_ / "model";
  src.environment["QWEN3_TEMPERATURE"] = "0.3";
  src.command_line.sampling.temperature = 0.2f;

  auto s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.2f);
  EXPECT_EQ(s.thinking.temperature.source, Source::CommandLine);
  EXPECT_EQ(s.thinking.temperature.origin, "temperature");

  src.command_line.sampling.temperature.reset();
  s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.3f);
  EXPECT_EQ(s.thinking.temperature.source, Source::Environment);
  EXPECT_EQ(s.thinking.temperature.origin, "QWEN3_TEMPERATURE");

  src.environment.erase("QWEN3_TEMPERATURE");
  s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.4f);
  EXPECT_EQ(s.thinking.temperature.source, Source::ConfigFile);
  EXPECT_EQ(s.thinking.temperature.origin, config_path() + ":2");

  src.config_file.reset();
  s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.5f);
  EXPECT_EQ(s.thinking.temperature.source, Source::GenerationConfig);

  src.model_dir.reset();
  s = resolve(src);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.6f);
  EXPECT_EQ(s.thinking.temperature.source, Source::Builtin);
}

TEST_F(SettingsTest, GeneralSettingsFollowTheSamePrecedence) {
  auto src = with_config("threads = 2\nmodel = \"from-file\"\n");
  src.environment["QWEN3_THREADS"] = "4";
  EXPECT_EQ(resolve(src).threads.value, 4);
  EXPECT_EQ(resolve(src).model.value, "from-file");
  src.command_line.threads = 8;
  src.command_line.model = "from-flag";
  const auto s = resolve(src);
  EXPECT_EQ(s.threads.value, 8);
  EXPECT_EQ(s.threads.origin, "threads");
  EXPECT_EQ(s.model.value, "from-flag");
  EXPECT_EQ(s.run_options().threads, 8);
}

TEST_F(SettingsTest, EnvironmentAndFlagsSetBothPresets) {
  auto src = sources();
  src.environment["QWEN3_TOP_K"] = "5";
  src.command_line.sampling.min_p = 0.1f;
  const auto s = resolve(src);
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    EXPECT_EQ(s.sampling(mode).top_k.value, 5);
    EXPECT_EQ(s.sampling(mode).top_k.source, Source::Environment);
    EXPECT_FLOAT_EQ(s.sampling(mode).min_p.value, 0.1f);
    EXPECT_EQ(s.sampling(mode).min_p.source, Source::CommandLine);
  }
  // The rest of each preset stays its own.
  EXPECT_FLOAT_EQ(s.thinking.top_p.value, 0.95f);
  EXPECT_FLOAT_EQ(s.non_thinking.top_p.value, 0.8f);
}

// ---- environment ----------------------------------------------------------

TEST_F(SettingsTest, EveryEnvironmentVariableIsRead) {
  auto src = sources();
  auto& env = src.environment;
  env["QWEN3_MODEL"] = "Qwen/Qwen3-4B";
  env["QWEN3_DEVICE"] = "cpu";
  env["QWEN3_DTYPE"] = "bf16";
  env["QWEN3_THREADS"] = "6";
  env["QWEN3_CTX"] = "4096";
  env["QWEN3_ENABLE_THINKING"] = "off";
  env["QWEN3_THINKING_BUDGET"] = "512";
  env["QWEN3_ENGLISH_ONLY"] = "latin";
  env["QWEN3_TEMPERATURE"] = "0.9";
  env["QWEN3_TOP_P"] = "0.85";
  env["QWEN3_TOP_K"] = "40";
  env["QWEN3_MIN_P"] = "0.05";
  env["QWEN3_PRESENCE_PENALTY"] = "1.5";
  env["QWEN3_FREQUENCY_PENALTY"] = "-0.5";
  env["QWEN3_REPETITION_PENALTY"] = "1.1";
  env["QWEN3_SEED"] = "42";
  env["QWEN3_MAX_NEW_TOKENS"] = "1000";
  env["QWEN3_BIN"] = "/not/a/setting";  // other QWEN3_* variables are ignored
  const auto s = resolve(src);
  EXPECT_EQ(s.model.value, "Qwen/Qwen3-4B");
  EXPECT_EQ(s.dtype.value, WeightDType::BF16);
  EXPECT_EQ(s.threads.value, 6);
  EXPECT_EQ(s.ctx.value, 4096);
  EXPECT_FALSE(s.enable_thinking.value);
  EXPECT_EQ(s.default_mode(), SamplingMode::NonThinking);
  EXPECT_EQ(s.thinking_budget.value, 512);
  EXPECT_EQ(s.english_only.value, "latin");
  SamplingParams expected;
  expected.temperature = 0.9f;
  expected.top_p = 0.85f;
  expected.top_k = 40;
  expected.min_p = 0.05f;
  expected.presence_penalty = 1.5f;
  expected.frequency_penalty = -0.5f;
  expected.repetition_penalty = 1.1f;
  expected.seed = 42;
  expected.max_new_tokens = 1000;
  EXPECT_EQ(s.non_thinking.params(), expected);
  EXPECT_EQ(s.thinking.params(), expected);
  EXPECT_EQ(s.device.source, Source::Environment);
  EXPECT_EQ(s.thinking.seed.origin, "QWEN3_SEED");
}

TEST_F(SettingsTest, EnvironmentValuesAreParsedStrictly) {
  auto with_env = [&](const std::string& name, const std::string& value) {
    auto src = sources();
    src.environment[name] = value;
    return src;
  };
  EXPECT_EQ(error_of(with_env("QWEN3_THREADS", "abc")),
            "QWEN3_THREADS = \"abc\": expected an integer from -2147483648 to 2147483647");
  EXPECT_EQ(error_of(with_env("QWEN3_THREADS", "4x")),
            "QWEN3_THREADS = \"4x\": expected an integer from -2147483648 to 2147483647");
  EXPECT_EQ(error_of(with_env("QWEN3_TOP_P", "high")), "QWEN3_TOP_P = \"high\": expected a number");
  EXPECT_EQ(error_of(with_env("QWEN3_ENABLE_THINKING", "maybe")),
            "QWEN3_ENABLE_THINKING = \"maybe\": expected true or false");
  EXPECT_EQ(error_of(with_env("QWEN3_DTYPE", "fp16")),
            "QWEN3_DTYPE = \"fp16\": expected \"auto\", \"bf16\", \"f32\", \"q8_0\" or \"q4_0\"");
  EXPECT_EQ(error_of(with_env("QWEN3_SEED", "-1")),
            "QWEN3_SEED = \"-1\": expected an integer from 0 to 18446744073709551614, or \"random\"");
  EXPECT_EQ(error_of(with_env("QWEN3_TOP_P", "1.5")),
            "QWEN3_TOP_P: top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  EXPECT_EQ(error_of(with_env("QWEN3_THREADS", "-2")),
            "QWEN3_THREADS: threads = -2 is out of range: expected 0 <= threads <= 1024 (0 = all cores)");
  EXPECT_EQ(error_of(with_env("QWEN3_DEVICE", "cuda")),
            "QWEN3_DEVICE: device = \"cuda\" is not supported: expected \"cpu\"");
  EXPECT_EQ(error_of(with_env("QWEN3_ENGLISH_ONLY", "klingon"))
                .rfind("QWEN3_ENGLISH_ONLY: english_only = \"klingon\": expected \"off\" or a vocab policy: ", 0),
            0u);
}

TEST_F(SettingsTest, EmptyVariablesCountAsUnsetAndSeedAcceptsRandom) {
  auto src = sources();
  src.environment["QWEN3_THREADS"] = "";
  src.environment["QWEN3_SEED"] = "random";
  src.environment["QWEN3_TEMPERATURE"] = "+0.5";
  const auto s = resolve(src);
  EXPECT_EQ(s.threads.source, Source::Builtin);
  EXPECT_EQ(s.thinking.seed.value, kRandomSeed);
  EXPECT_EQ(s.thinking.seed.source, Source::Environment);
  EXPECT_FLOAT_EQ(s.thinking.temperature.value, 0.5f);
}

TEST_F(SettingsTest, CommandLineValuesAreCheckedAndNamed) {
  auto src = sources();
  src.command_line.sampling.top_p = 0.0f;
  EXPECT_EQ(error_of(src), "top_p: top_p = 0 is out of range: expected 0 < top_p <= 1");
  src = sources();
  src.command_line.ctx = 0;
  EXPECT_EQ(error_of(src), "ctx: ctx = 0 is out of range: expected ctx >= 1 (tokens)");
  src = sources();
  src.command_line.model = "";
  EXPECT_EQ(error_of(src).rfind("model: model = \"\" is empty", 0), 0u);
  src = sources();
  src.command_line.thinking_budget = -2;
  EXPECT_EQ(error_of(src),
            "thinking_budget: thinking_budget = -2 is out of range: expected thinking_budget >= -1 (-1 = no limit, 0 = "
            "no thinking)");
}

TEST_F(SettingsTest, ABadLowerSourceIsReportedEvenIfOverridden) {
  // A broken config file is reported even when a flag gives the same value.
  auto src = with_config("[sampling.thinking]\ntop_p = 1.5\n");
  src.command_line.sampling.top_p = 0.9f;
  EXPECT_EQ(error_of(src),
            config_path() + ":2: sampling.thinking.top_p = 1.5 is out of range: expected 0 < top_p <= 1");
}

}  // namespace
}  // namespace qwen3

namespace qwen3 {
namespace {

TEST(SettingsProcessEnvironment, TakesQwenVariablesXdgAndHomeOnly) {
  ::setenv("QWEN3_SETTINGS_TEST_VALUE", "0.25", 1);
  ::setenv("XDG_CONFIG_HOME", "/xdg-for-test", 1);
  ::setenv("UNRELATED_SETTINGS_TEST_VALUE", "x", 1);
  const auto env = process_environment();
  EXPECT_EQ(env.at("QWEN3_SETTINGS_TEST_VALUE"), "0.25");
  EXPECT_EQ(env.at("XDG_CONFIG_HOME"), "/xdg-for-test");
  EXPECT_EQ(env.count("UNRELATED_SETTINGS_TEST_VALUE"), 0u);
  EXPECT_EQ(env.count("PATH"), 0u);
  ::unsetenv("QWEN3_SETTINGS_TEST_VALUE");
  ::unsetenv("XDG_CONFIG_HOME");
  ::unsetenv("UNRELATED_SETTINGS_TEST_VALUE");
}

// A server request is one more layer: only the fields it sets change, named
// by their keys, checked at once.
TEST_F(SettingsTest, ARequestLayerSetsOnlyItsFields) {
  auto s = resolve(sources());
  SettingOverrides request;
  request.sampling.top_k = 5;
  request.sampling.seed = 7;
  request.enable_thinking = false;
  apply_overrides(s, request, Source::Request);
  auto expected = sampling_preset(SamplingMode::NonThinking);
  expected.top_k = 5;
  expected.seed = 7;
  EXPECT_EQ(s.non_thinking.params(), expected);
  EXPECT_EQ(s.thinking.top_k.value, 5);
  EXPECT_EQ(s.thinking.top_k.source, Source::Request);
  EXPECT_EQ(s.thinking.top_k.origin, "top_k");
  EXPECT_EQ(s.thinking.top_p.source, Source::Builtin);
  EXPECT_FALSE(s.enable_thinking.value);
  EXPECT_EQ(source_name(Source::Request), "request");

  SettingOverrides bad;
  bad.sampling.top_p = 1.5f;
  try {
    apply_overrides(s, bad, Source::Request);
    FAIL() << "top_p = 1.5 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "top_p: top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  }
}

// 2^64-1 is the "random" sentinel: written as a number it is refused rather
// than silently meaning random.
TEST_F(SettingsTest, TheSentinelSeedIsNotANumber) {
  auto env = sources();
  env.environment["QWEN3_SEED"] = "18446744073709551615";
  EXPECT_NE(error_of(env).find("QWEN3_SEED"), std::string::npos);
  env.environment["QWEN3_SEED"] = "random";
  EXPECT_EQ(resolve(env).thinking.seed.value, kRandomSeed);
  env.environment["QWEN3_SEED"] = "18446744073709551614";
  EXPECT_EQ(resolve(env).thinking.seed.value, 18446744073709551614ull);
}

}  // namespace
}  // namespace qwen3
