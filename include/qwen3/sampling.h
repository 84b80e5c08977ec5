#pragma once
// Choosing the next token from a row of logits: Qwen's recommended presets,
// validation with one-line errors, and the Sampler that runs the chain
//   penalties -> temperature -> top-k -> top-p -> min-p -> draw
// in transformers' order (docs/sampling.md explains the order and why).
//
// This layer knows nothing about the model or the tokenizer: it works on a
// float array of logits whose size is the number of ids that may be sampled.
// The engine passes the tokenizer's real vocabulary size (151,669 for Qwen3),
// not the padded 151,936 rows of the output matrix, so padding ids can never
// be drawn; ids whose logit is -inf (masks) are never drawn either.
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace qwen3 {

// Qwen3 recommends different sampling for the two chat modes.
enum class SamplingMode { Thinking, NonThinking };

// seed value that asks the Sampler to draw a fresh seed from std::random_device.
inline constexpr std::uint64_t kRandomSeed = ~std::uint64_t{0};

struct SamplingParams {
  float temperature = 0.6f;          // >= 0; 0 = greedy (argmax, ties -> lowest id)
  float top_p = 0.95f;               // 0 < top_p <= 1; 1 = off
  int top_k = 20;                    // >= 0; 0 = off
  float min_p = 0.0f;                // 0 <= min_p <= 1; 0 = off
  float presence_penalty = 0.0f;     // -2 .. 2; Qwen suggests up to 1.5 against endless repetition
  float frequency_penalty = 0.0f;    // -2 .. 2
  float repetition_penalty = 1.0f;   // > 0; 1 = off (HF's multiplicative penalty)
  std::uint64_t seed = kRandomSeed;  // same seed + same logits -> same tokens
  int max_new_tokens = 32768;        // >= 1; Qwen's suggested output length

  bool greedy() const { return temperature == 0.0f; }
  bool operator==(const SamplingParams&) const = default;
};

// Qwen3's published presets: thinking 0.6 / 0.95 / 20 / 0, non-thinking
// 0.7 / 0.8 / 20 / 0; no penalties; random seed; 32768 new tokens.
SamplingParams sampling_preset(SamplingMode mode);

// Throws qwen3::Error for the first out-of-range parameter, naming it, its
// value and the allowed range, e.g.
//   "top_p = 1.5 is out of range: expected 0 < top_p <= 1".
void validate(const SamplingParams& params);

// Advice for valid but discouraged settings (e.g. greedy decoding in thinking
// mode, which Qwen warns leads to endless repetition). The CLI prints each
// to stderr; nothing here is fatal.
std::vector<std::string> sampling_warnings(const SamplingParams& params, SamplingMode mode);

// One generation's sampler. Keeps the counts of the tokens generated so far
// (for the penalties) and the random generator (std::mt19937_64 seeded with
// params.seed; uniform doubles from its top 53 bits, so results do not depend
// on the standard library's distributions).
class Sampler {
 public:
  // Validates params (throws qwen3::Error).
  explicit Sampler(const SamplingParams& params);

  // Picks the next token id in [0, logits.size()). `logits` is scratch: the
  // penalties are applied to it in place (temperature and the filters work on
  // a separate candidate list). Throws qwen3::Error if no id can be chosen
  // (every logit -inf) or a logit is NaN or +inf.
  // Does not record the token: call accept() with what was actually emitted.
  std::int32_t sample(std::span<float> logits);

  // The distribution the next draw would use after the whole chain (penalties
  // on a copy of `logits`, filters, temperature): the surviving ids with
  // probabilities summing to 1, in draw order (best first when top-k or top-p
  // ranked them, id order otherwise). Greedy: the argmax with probability 1.
  // Consumes no randomness. For tests, log-probabilities and diagnostics.
  struct TokenProbability {
    std::int32_t id;
    double probability;
  };
  std::vector<TokenProbability> distribution(std::span<const float> logits);

  // Records a generated token for the presence/frequency/repetition penalties.
  void accept(std::int32_t token);

  // Forgets the generated tokens (a new reply); the random stream continues.
  void reset_history();

  const SamplingParams& params() const { return params_; }
  std::uint64_t seed() const { return seed_; }  // the seed in use (drawn if kRandomSeed)
  int count(std::int32_t token) const;          // times `token` was accepted

 private:
  struct Candidate {
    float logit;
    float weight;  // exp((logit - max) / temperature), filled by filter_candidates
    std::int32_t id;
  };

  void apply_penalties(std::span<float> logits) const;
  std::int32_t argmax(std::span<const float> logits) const;
  void collect_top_k(std::span<const float> logits);
  void collect_all(std::span<const float> logits);
  // Runs the chain on `logits` (penalised in place); leaves the survivors
  // first in candidates_ with their weights, and returns how many survive.
  std::size_t filter(std::span<float> logits);
  std::size_t filter_candidates();
  double uniform();  // [0, 1)

  SamplingParams params_;
  std::uint64_t seed_;
  std::mt19937_64 rng_;
  std::vector<std::int32_t> counts_;   // by id, grown on demand
  std::vector<std::int32_t> seen_;     // distinct accepted ids, in first-seen order
  std::vector<Candidate> candidates_;  // reused between calls: no allocation per token
  std::vector<float> scratch_;         // distribution()'s copy of the logits
};

}  // namespace qwen3
