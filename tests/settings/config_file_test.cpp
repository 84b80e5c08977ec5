// The TOML config file: every key, and errors naming the file and line for
// syntax errors, unknown keys, wrong types and out-of-range values.
#include <gtest/gtest.h>

#include "settings/settings_fixture.h"

namespace qwen3 {
namespace {

using test::SettingsTest;

constexpr const char* kFullExample = R"(# every key
model = "Qwen/Qwen3-4B"
device = "cpu"
dtype = "f32"
threads = 4
ctx = 8192
enable_thinking = false
thinking_budget = 1024
english_only = "ascii+emoji"

[sampling.thinking]
temperature = 0.5
top_p = 0.9
top_k = 40
min_p = 0.01
presence_penalty = 1.0
frequency_penalty = 0.25
repetition_penalty = 1.05
seed = 7
max_new_tokens = 2048

[sampling.non_thinking]
temperature = 1          # integers are fine for numbers
seed = "random"
)";

TEST_F(SettingsTest, EveryKeyOfTheFullExampleIsApplied) {
  const auto s = resolve(with_config(kFullExample));
  ASSERT_TRUE(s.config_file);
  EXPECT_EQ(s.model.value, "Qwen/Qwen3-4B");
  EXPECT_EQ(s.model.origin, config_path() + ":2");
  EXPECT_EQ(s.dtype.value, WeightDType::F32);
  EXPECT_EQ(s.threads.value, 4);
  EXPECT_EQ(s.ctx.value, 8192);
  EXPECT_FALSE(s.enable_thinking.value);
  EXPECT_EQ(s.thinking_budget.value, 1024);
  EXPECT_EQ(s.english_only.value, "ascii+emoji");
  SamplingParams thinking;
  thinking.temperature = 0.5f;
  thinking.top_p = 0.9f;
  thinking.top_k = 40;
  thinking.min_p = 0.01f;
  thinking.presence_penalty = 1.0f;
  thinking.frequency_penalty = 0.25f;
  thinking.repetition_penalty = 1.05f;
  thinking.seed = 7;
  thinking.max_new_tokens = 2048;
  EXPECT_EQ(s.thinking.params(), thinking);
  EXPECT_EQ(s.thinking.max_new_tokens.origin, config_path() + ":20");
  auto non_thinking = sampling_preset(SamplingMode::NonThinking);
  non_thinking.temperature = 1.0f;
  EXPECT_EQ(s.non_thinking.params(), non_thinking);
  EXPECT_EQ(s.non_thinking.temperature.source, Source::ConfigFile);
  EXPECT_EQ(s.non_thinking.seed.source, Source::ConfigFile);
  EXPECT_EQ(s.non_thinking.top_p.source, Source::Builtin);
}

TEST_F(SettingsTest, DottedKeysAreTheSameTables) {
  const auto s = resolve(with_config("sampling.non_thinking.top_k = 9\n"));
  EXPECT_EQ(s.non_thinking.top_k.value, 9);
}

TEST_F(SettingsTest, AnEmptyFileChangesNothing) {
  const auto s = resolve(with_config(""));
  EXPECT_TRUE(s.config_file);
  EXPECT_EQ(s.thinking.params(), sampling_preset(SamplingMode::Thinking));
}

TEST_F(SettingsTest, UnknownKeysNameFileLineAndAClosename) {
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\ntop_k = 20\n\n\n\n\ntempreature = 0.6\n")),
            config_path() + ":7: unknown key \"sampling.thinking.tempreature\" (did you mean \"temperature\"?)");
  EXPECT_EQ(error_of(with_config("modle = \"x\"\n")),
            config_path() + ":1: unknown key \"modle\" (did you mean \"model\"?)");
  EXPECT_EQ(error_of(with_config("\ntemperature = 0.6\n")),
            config_path() +
                ":2: unknown key \"temperature\" (sampling parameters go in [sampling.thinking] or "
                "[sampling.non_thinking])");
  EXPECT_EQ(error_of(with_config("[sampling.creative]\ntop_k = 1\n")),
            config_path() + ":1: unknown key \"sampling.creative\" (expected one of: thinking non_thinking)");
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\nbanana = 1\n"))
                .rfind(config_path() + ":2: unknown key \"sampling.thinking.banana\" (expected one of: temperature", 0),
            0u);
}

TEST_F(SettingsTest, WrongTypesNameFileLineKeyAndWhatWasExpected) {
  EXPECT_EQ(error_of(with_config("threads = \"four\"\n")),
            config_path() + ":1: threads = \"four\": expected an integer from -2147483648 to 2147483647");
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\ntop_k = 20.5\n")),
            config_path() + ":2: sampling.thinking.top_k = 20.5: expected an integer from -2147483648 to 2147483647");
  EXPECT_EQ(error_of(with_config("[sampling.non_thinking]\ntemperature = \"hot\"\n")),
            config_path() + ":2: sampling.non_thinking.temperature = \"hot\": expected a number");
  EXPECT_EQ(error_of(with_config("enable_thinking = 1\n")),
            config_path() + ":1: enable_thinking = 1: expected true or false");
  EXPECT_EQ(error_of(with_config("dtype = \"fp16\"\n")),
            config_path() + ":1: dtype = \"fp16\": expected \"auto\", \"bf16\", \"f32\", \"q8_0\" or \"q4_0\"");
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\nseed = -3\n")),
            config_path() +
                ":2: sampling.thinking.seed = -3: expected an integer from 0 to 18446744073709551614, or \"random\"");
  EXPECT_EQ(
      error_of(with_config("[sampling.thinking]\nseed = \"lucky\"\n")),
      config_path() +
          ":2: sampling.thinking.seed = \"lucky\": expected an integer from 0 to 18446744073709551614, or \"random\"");
  EXPECT_EQ(error_of(with_config("threads = 99999999999\n")),
            config_path() + ":1: threads = 99999999999: expected an integer from -2147483648 to 2147483647");
  EXPECT_EQ(error_of(with_config("model = [\"a\"]\n")), config_path() + ":1: model = an array: expected a string");
  EXPECT_EQ(error_of(with_config("sampling = 3\n")),
            config_path() + ":1: sampling = 3: expected a table with [sampling.thinking] and [sampling.non_thinking]");
  EXPECT_EQ(error_of(with_config("[sampling]\nthinking = 0.6\n")),
            config_path() + ":2: sampling.thinking = 0.6: expected a table of sampling parameters");
}

TEST_F(SettingsTest, OutOfRangeValuesNameFileLineAndRange) {
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\n\ntop_p = 1.5\n")),
            config_path() + ":3: sampling.thinking.top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  EXPECT_EQ(error_of(with_config("[sampling.non_thinking]\npresence_penalty = 2.5\n")),
            config_path() +
                ":2: sampling.non_thinking.presence_penalty = 2.5 is out of range: expected -2 <= "
                "presence_penalty <= 2");
  EXPECT_EQ(error_of(with_config("[sampling.thinking]\ntemperature = 1e300\n")),
            config_path() +
                ":2: sampling.thinking.temperature = inf is out of range: expected temperature >= 0 (0 = greedy)");
  EXPECT_EQ(error_of(with_config("threads = -1\n")),
            config_path() + ":1: threads = -1 is out of range: expected 0 <= threads <= 1024 (0 = all cores)");
  EXPECT_EQ(error_of(with_config("device = \"gpu\"\n")),
            config_path() + ":1: device = \"gpu\" is not supported: expected \"cpu\"");
  EXPECT_EQ(error_of(with_config("model = \"\"\n")).rfind(config_path() + ":1: model = \"\" is empty", 0), 0u);
  EXPECT_EQ(
      error_of(with_config("english_only = \"latin+nonsense\"\n"))
          .rfind(config_path() + ":1: english_only = \"latin+nonsense\": expected \"off\" or a vocab policy: ", 0),
      0u);
}

TEST_F(SettingsTest, SyntaxErrorsNameFileAndLineOnOneLine) {
  const auto message = error_of(with_config("threads = 4\nctx = \n"));
  EXPECT_EQ(message.rfind(config_path() + ":2: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  const auto duplicate = error_of(with_config("threads = 4\nthreads = 5\n"));
  EXPECT_EQ(duplicate.rfind(config_path() + ":2: ", 0), 0u) << duplicate;
}

TEST_F(SettingsTest, AConfigPathThatIsAFolderIsAnError) {
  auto src = sources();
  src.config_file = dir_;
  EXPECT_EQ(error_of(src), "config: config file " + dir_.string() + " is not a file (expected a TOML settings file)");
}

}  // namespace
}  // namespace qwen3
