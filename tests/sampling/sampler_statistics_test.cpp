// Statistical tests of the draw: many samples from small known distributions,
// fixed seeds, Pearson's chi-square against the distribution each filter and
// the temperature should produce. The significance level is 1e-6, so a
// correct sampler essentially never fails; each test also checks that the
// distribution the parameter should have changed is rejected, so the test
// has the power to notice a filter that does nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "qwen3/sampling.h"
#include "sampling/test_params.h"

namespace qwen3 {
namespace {

using test::plain;  // temperature alone (test_params.h)

constexpr double kAlpha = 1e-6;
constexpr int kDraws = 100000;

// Upper tail of the chi-square distribution with `df` degrees of freedom:
// Q(df/2, x/2), from the series of the lower regularized gamma function.
double chi_square_p_value(double statistic, int df) {
  const double s = df / 2.0, x = statistic / 2.0;
  if (x <= 0.0) return 1.0;
  double term = 1.0 / s, sum = term;
  for (int n = 1; n < 100000 && term > sum * 1e-17; ++n) {
    term *= x / (s + n);
    sum += term;
  }
  const double lower = sum * std::exp(-x + s * std::log(x) - std::lgamma(s));
  return std::max(0.0, 1.0 - lower);
}

TEST(ChiSquare, PValueMatchesKnownQuantiles) {
  EXPECT_NEAR(chi_square_p_value(3.841, 1), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(9.488, 4), 0.05, 1e-4);
  EXPECT_NEAR(chi_square_p_value(23.209, 10), 0.01, 1e-4);
}

std::vector<int> histogram(const SamplingParams& params, const std::vector<float>& logits,
                           const std::vector<std::int32_t>& accepted = {}) {
  Sampler s(params);
  for (auto t : accepted) s.accept(t);
  std::vector<int> counts(logits.size(), 0);
  for (int i = 0; i < kDraws; ++i) {
    auto row = logits;
    ++counts[static_cast<std::size_t>(s.sample(row))];
  }
  return counts;
}

// p-value of the counts under `expected` (probabilities; zeros must never be drawn).
double fit(const std::vector<int>& counts, const std::vector<double>& expected) {
  double statistic = 0.0;
  int categories = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (expected[i] == 0.0) {
      if (counts[i] != 0) return 0.0;
      continue;
    }
    const double e = expected[i] * kDraws;
    statistic += (counts[i] - e) * (counts[i] - e) / e;
    ++categories;
  }
  return chi_square_p_value(statistic, categories - 1);
}

// softmax(logits / t) restricted to `keep` (1 = kept), renormalised.
std::vector<double> softmax(const std::vector<float>& logits, double t, std::vector<int> keep = {}) {
  if (keep.empty()) keep.assign(logits.size(), 1);
  std::vector<double> p(logits.size(), 0.0);
  double z = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i)
    if (keep[i]) z += p[i] = std::exp(logits[i] / t);
  for (auto& v : p) v /= z;
  return p;
}

const std::vector<float> kLogits{1.2f, 0.9f, 0.3f, 0.0f, -0.4f, -1.1f};

TEST(SamplerStatistics, TemperatureOneIsTheSoftmax) {
  const auto counts = histogram(plain(1.0f, 10), kLogits);
  EXPECT_GT(fit(counts, softmax(kLogits, 1.0)), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 0.8)), kAlpha);
}

TEST(SamplerStatistics, TemperatureScalesTheLogits) {
  for (float t : {0.5f, 0.7f, 2.0f}) {
    const auto counts = histogram(plain(t, 11), kLogits);
    EXPECT_GT(fit(counts, softmax(kLogits, t)), kAlpha) << "t " << t;
    EXPECT_LT(fit(counts, softmax(kLogits, 1.0)), kAlpha) << "t " << t;
  }
}

TEST(SamplerStatistics, TopKRenormalisesOverTheKBest) {
  auto p = plain(1.0f, 12);
  p.top_k = 3;
  const auto counts = histogram(p, kLogits);
  EXPECT_GT(fit(counts, softmax(kLogits, 1.0, {1, 1, 1, 0, 0, 0})), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 1.0, {1, 1, 1, 1, 0, 0})), kAlpha);
}

TEST(SamplerStatistics, TopPRenormalisesOverTheNucleus) {
  // softmax(kLogits): 0.34 0.25 0.14 0.10 0.07 0.03 (approximately);
  // top_p 0.7: 0.34 + 0.25 < 0.7 <= 0.34 + 0.25 + 0.14, so three tokens.
  auto p = plain(1.0f, 13);
  p.top_p = 0.7f;
  const auto counts = histogram(p, kLogits);
  EXPECT_GT(fit(counts, softmax(kLogits, 1.0, {1, 1, 1, 0, 0, 0})), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 1.0)), kAlpha);
}

TEST(SamplerStatistics, MinPRenormalisesOverTokensNearTheBest) {
  // Relative to the best: 1, 0.74, 0.41, 0.30, 0.20, 0.10 -> min_p 0.35 keeps three.
  auto p = plain(1.0f, 14);
  p.min_p = 0.35f;
  const auto counts = histogram(p, kLogits);
  EXPECT_GT(fit(counts, softmax(kLogits, 1.0, {1, 1, 1, 0, 0, 0})), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 1.0)), kAlpha);
}

TEST(SamplerStatistics, ThinkingPresetOnASmallVocabulary) {
  // 0.6 / 0.95 / 20 on 30 tokens: top-k keeps 20, then top-p at t = 0.6.
  std::vector<float> logits;
  for (int i = 0; i < 30; ++i) logits.push_back(static_cast<float>(std::sin(i * 1.7) * 1.5));
  auto p = sampling_preset(SamplingMode::Thinking);
  p.seed = 15;
  // Reference: rank, keep 20 best, softmax at 0.6, shortest prefix with mass >= 0.95.
  std::vector<int> order(30);
  for (int i = 0; i < 30; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  std::vector<int> keep(30, 0);
  for (int r = 0; r < 20; ++r) keep[order[r]] = 1;
  const auto in_top_k = softmax(logits, 0.6, keep);
  std::vector<int> nucleus(30, 0);
  double above = 0.0;
  for (int r = 0; r < 20 && (r == 0 || above < 0.95); ++r) {
    nucleus[order[r]] = 1;
    above += in_top_k[order[r]];
  }
  const auto counts = histogram(p, logits);
  EXPECT_GT(fit(counts, softmax(logits, 0.6, nucleus)), kAlpha);
  EXPECT_LT(fit(counts, softmax(logits, 0.6, keep)), kAlpha);  // top-p did act
}

TEST(SamplerStatistics, PresencePenaltyLowersARepeatedToken) {
  auto p = plain(1.0f, 16);
  p.presence_penalty = 1.0f;
  const auto counts = histogram(p, kLogits, {0, 0, 0});
  auto penalised = kLogits;
  penalised[0] -= 1.0f;
  EXPECT_GT(fit(counts, softmax(penalised, 1.0)), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 1.0)), kAlpha);
}

TEST(SamplerStatistics, FrequencyPenaltyScalesWithTheCount) {
  auto p = plain(1.0f, 17);
  p.frequency_penalty = 0.4f;
  const auto counts = histogram(p, kLogits, {0, 0, 0, 1});
  auto penalised = kLogits;
  penalised[0] -= 1.2f;
  penalised[1] -= 0.4f;
  EXPECT_GT(fit(counts, softmax(penalised, 1.0)), kAlpha);
  EXPECT_LT(fit(counts, softmax(kLogits, 1.0)), kAlpha);
}

}  // namespace
}  // namespace qwen3
