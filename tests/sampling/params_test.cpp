// Presets, parameter ranges and their one-line messages, warnings, overrides.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "qwen3/error.h"
#include "qwen3/sampling.h"

namespace qwen3 {
namespace {

TEST(SamplingPreset, ThinkingIsQwensRecommendation) {
  const auto p = sampling_preset(SamplingMode::Thinking);
  EXPECT_FLOAT_EQ(p.temperature, 0.6f);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_EQ(p.top_k, 20);
  EXPECT_FLOAT_EQ(p.min_p, 0.0f);
  EXPECT_FLOAT_EQ(p.presence_penalty, 0.0f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_FLOAT_EQ(p.repetition_penalty, 1.0f);
  EXPECT_EQ(p.seed, kRandomSeed);
  EXPECT_EQ(p.max_new_tokens, 32768);
}

TEST(SamplingPreset, NonThinkingIsQwensRecommendation) {
  const auto p = sampling_preset(SamplingMode::NonThinking);
  EXPECT_FLOAT_EQ(p.temperature, 0.7f);
  EXPECT_FLOAT_EQ(p.top_p, 0.8f);
  EXPECT_EQ(p.top_k, 20);
  EXPECT_FLOAT_EQ(p.min_p, 0.0f);
  EXPECT_FLOAT_EQ(p.presence_penalty, 0.0f);
  EXPECT_FLOAT_EQ(p.repetition_penalty, 1.0f);
}

TEST(SamplingPreset, BothPresetsAreValidAndDrawNoWarning) {
  for (auto mode : {SamplingMode::Thinking, SamplingMode::NonThinking}) {
    EXPECT_NO_THROW(validate(sampling_preset(mode)));
    EXPECT_TRUE(sampling_warnings(sampling_preset(mode), mode).empty());
  }
}

std::string validation_message(SamplingParams p) {
  try {
    validate(p);
  } catch (const Error& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(SamplingValidate, MessagesNameParameterValueAndRange) {
  auto p = sampling_preset(SamplingMode::Thinking);
  auto with = [&](auto setter) {
    auto q = p;
    setter(q);
    return validation_message(q);
  };
  EXPECT_EQ(with([](auto& q) { q.top_p = 1.5f; }), "top_p = 1.5 is out of range: expected 0 < top_p <= 1");
  EXPECT_EQ(with([](auto& q) { q.top_p = 0.0f; }), "top_p = 0 is out of range: expected 0 < top_p <= 1");
  EXPECT_EQ(with([](auto& q) { q.temperature = -0.1f; }),
            "temperature = -0.1 is out of range: expected temperature >= 0 (0 = greedy)");
  EXPECT_EQ(with([](auto& q) { q.top_k = -1; }), "top_k = -1 is out of range: expected top_k >= 0 (0 = disabled)");
  EXPECT_EQ(with([](auto& q) { q.min_p = 1.25f; }), "min_p = 1.25 is out of range: expected 0 <= min_p <= 1");
  EXPECT_EQ(with([](auto& q) { q.min_p = -0.5f; }), "min_p = -0.5 is out of range: expected 0 <= min_p <= 1");
  EXPECT_EQ(with([](auto& q) { q.presence_penalty = 2.5f; }),
            "presence_penalty = 2.5 is out of range: expected -2 <= presence_penalty <= 2");
  EXPECT_EQ(with([](auto& q) { q.frequency_penalty = -3.0f; }),
            "frequency_penalty = -3 is out of range: expected -2 <= frequency_penalty <= 2");
  EXPECT_EQ(with([](auto& q) { q.repetition_penalty = 0.0f; }),
            "repetition_penalty = 0 is out of range: expected repetition_penalty > 0 (1 = off)");
  EXPECT_EQ(with([](auto& q) { q.max_new_tokens = 0; }),
            "max_new_tokens = 0 is out of range: expected max_new_tokens >= 1");
}

TEST(SamplingValidate, NonFiniteValuesAreRejected) {
  auto p = sampling_preset(SamplingMode::Thinking);
  p.temperature = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(validation_message(p).rfind("temperature = nan is out of range", 0), 0u);
  p = sampling_preset(SamplingMode::Thinking);
  p.repetition_penalty = std::numeric_limits<float>::infinity();
  EXPECT_EQ(validation_message(p).rfind("repetition_penalty = inf is out of range", 0), 0u);
}

TEST(SamplingValidate, BoundariesAreAccepted) {
  auto p = sampling_preset(SamplingMode::Thinking);
  p.temperature = 0.0f;
  p.top_p = 1.0f;
  p.top_k = 0;
  p.min_p = 1.0f;
  p.presence_penalty = -2.0f;
  p.frequency_penalty = 2.0f;
  p.repetition_penalty = 0.01f;
  p.max_new_tokens = 1;
  EXPECT_EQ(validation_message(p), "(accepted)");
}

TEST(SamplingValidate, SamplerConstructorValidates) {
  auto p = sampling_preset(SamplingMode::NonThinking);
  p.top_p = 2.0f;
  EXPECT_THROW(Sampler{p}, Error);
}

TEST(SamplingWarnings, GreedyInThinkingModeIsDiscouraged) {
  auto p = sampling_preset(SamplingMode::Thinking);
  p.temperature = 0.0f;
  const auto thinking = sampling_warnings(p, SamplingMode::Thinking);
  ASSERT_EQ(thinking.size(), 1u);
  EXPECT_NE(thinking[0].find("greedy"), std::string::npos);
  EXPECT_NE(thinking[0].find("thinking mode"), std::string::npos);
  EXPECT_TRUE(sampling_warnings(p, SamplingMode::NonThinking).empty());
}

TEST(SamplingWarnings, PresencePenaltyAboveQwensAdvice) {
  auto p = sampling_preset(SamplingMode::NonThinking);
  p.presence_penalty = 1.5f;
  EXPECT_TRUE(sampling_warnings(p, SamplingMode::NonThinking).empty());
  p.presence_penalty = 1.8f;
  const auto w = sampling_warnings(p, SamplingMode::NonThinking);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("presence_penalty = 1.8"), std::string::npos);
}

}  // namespace
}  // namespace qwen3
