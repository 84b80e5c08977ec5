// The sampling chain, in transformers' order (generation/utils.py,
// _get_logits_processor): repetition penalty (a "processor"), then the
// "warpers" temperature, top-k, top-p, min-p; then a multinomial draw.
// Presence/frequency penalties (OpenAI/vLLM semantics, not in transformers)
// run right after the repetition penalty, as in vLLM.
//
// Speed: a row has 151,669 logits and we draw one token per forward pass, so
// nothing here sorts the whole row when it can be avoided:
//  - temperature is monotone, so top-k is selected on the raw logits with a
//    k-sized heap in one pass, and temperature is applied to the k survivors;
//  - with top_k = 0 and top_p < 1, only the tokens above a probability
//    threshold that already hold top_p of the mass are sorted.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "qwen3/error.h"
#include "qwen3/sampling.h"

namespace qwen3 {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::uint64_t fresh_seed() {
  std::random_device device;
  std::uint64_t s = (std::uint64_t{device()} << 32) ^ device();
  return s == kRandomSeed ? 0 : s;
}

// Finite logits and -inf (a disallowed id) are fine; NaN or +inf mean the
// forward pass went wrong, and sampling from them would be meaningless.
[[noreturn]] void bad_logit(std::size_t id, float v) {
  throw Error("logits[" + std::to_string(id) + "] = " + (std::isnan(v) ? "nan" : "inf") +
              ": expected a finite value or -inf (a disallowed token)");
}

[[noreturn]] void nothing_to_sample(std::size_t n) {
  throw Error("no token can be sampled: all " + std::to_string(n) + " logits are -inf (every token is disallowed)");
}

// The rows are scanned in blocks of kBlock: a branch-free (vectorised) pass
// finds the block's maximum and whether it holds NaN or +inf, and only the
// few blocks that can matter are looked at element by element.
constexpr std::size_t kBlock = 64;

struct BlockSummary {
  float max;
  bool bad;  // holds NaN or +inf
};

BlockSummary summarize(const float* v, std::size_t n) {
  if (n == kBlock) {
    // Sixteen independent lanes rather than one running maximum: the
    // compiler vectorises this without reassociating float comparisons.
    constexpr std::size_t kLanes = 16;
    float lane_max[kLanes];
    std::uint32_t lane_bad[kLanes];
    for (std::size_t j = 0; j < kLanes; ++j) {
      lane_max[j] = -kInf;
      lane_bad[j] = 0;
    }
    for (std::size_t i = 0; i < kBlock; i += kLanes)
      for (std::size_t j = 0; j < kLanes; ++j) {
        const float x = v[i + j];
        lane_max[j] = x > lane_max[j] ? x : lane_max[j];
        lane_bad[j] |= static_cast<std::uint32_t>(!(x < kInf));
      }
    float m = -kInf;
    std::uint32_t bad = 0;
    for (std::size_t j = 0; j < kLanes; ++j) {
      m = lane_max[j] > m ? lane_max[j] : m;
      bad |= lane_bad[j];
    }
    return {m, bad != 0};
  }
  float m = -kInf;
  bool bad = false;
  for (std::size_t i = 0; i < n; ++i) {
    m = v[i] > m ? v[i] : m;
    bad |= !(v[i] < kInf);
  }
  return {m, bad};
}

[[noreturn]] void report_bad_block(const float* v, std::size_t n, std::size_t first) {
  for (std::size_t i = 0; i < n; ++i)
    if (!(v[i] < kInf)) bad_logit(first + i, v[i]);
  throw Error("Sampler: internal error locating a non-finite logit");
}

}  // namespace

Sampler::Sampler(const SamplingParams& params) : params_(params) {
  validate(params_);
  seed_ = params_.seed == kRandomSeed ? fresh_seed() : params_.seed;
  rng_.seed(seed_);
}

void Sampler::accept(std::int32_t token) {
  if (token < 0) throw Error("Sampler::accept: token id " + std::to_string(token) + " is negative");
  auto id = static_cast<std::size_t>(token);
  if (id >= counts_.size()) counts_.resize(std::max(id + 1, counts_.size() * 2), 0);
  if (counts_[id]++ == 0) seen_.push_back(token);
}

void Sampler::reset_history() {
  for (auto id : seen_) counts_[static_cast<std::size_t>(id)] = 0;
  seen_.clear();
}

int Sampler::count(std::int32_t token) const {
  auto id = static_cast<std::size_t>(token);
  return token >= 0 && id < counts_.size() ? counts_[id] : 0;
}

double Sampler::uniform() {
  // The top 53 bits of one mt19937_64 output: the same doubles on every
  // platform, unlike std::uniform_real_distribution.
  return static_cast<double>(rng_() >> 11) * 0x1.0p-53;
}

// Only ids already generated are touched: O(distinct tokens), not O(vocab).
void Sampler::apply_penalties(std::span<float> logits) const {
  const float rep = params_.repetition_penalty;
  const float presence = params_.presence_penalty;
  const float frequency = params_.frequency_penalty;
  if (rep == 1.0f && presence == 0.0f && frequency == 0.0f) return;
  for (auto token : seen_) {
    auto id = static_cast<std::size_t>(token);
    if (id >= logits.size()) continue;
    float l = logits[id];
    if (l == -kInf) continue;  // a disallowed token stays disallowed
    // transformers' RepetitionPenaltyLogitsProcessor: shrink toward zero.
    if (rep != 1.0f) l = l < 0.0f ? l * rep : l / rep;
    const int c = counts_[id];
    l -= frequency * static_cast<float>(c) + presence;  // c > 0 for every seen id
    logits[id] = l;
  }
}

std::int32_t Sampler::argmax(std::span<const float> logits) const {
  float best = -kInf;
  std::size_t best_id = logits.size();
  for (std::size_t b = 0; b < logits.size(); b += kBlock) {
    const std::size_t n = std::min(kBlock, logits.size() - b);
    const auto block = summarize(logits.data() + b, n);
    if (block.bad) report_bad_block(logits.data() + b, n, b);
    if (block.max > best) {  // strict: ties keep the lowest id (earlier block)
      best = block.max;
      best_id =
          b + static_cast<std::size_t>(std::find(logits.data() + b, logits.data() + b + n, best) - (logits.data() + b));
    }
  }
  if (best_id == logits.size()) nothing_to_sample(logits.size());
  return static_cast<std::int32_t>(best_id);
}

// The k largest finite logits, plus every logit equal to the k-th (transformers
// keeps ties: it removes only scores < the k-th value).
void Sampler::collect_top_k(std::span<const float> logits) {
  const std::size_t k = static_cast<std::size_t>(params_.top_k);
  candidates_.clear();
  // Min-heap on logit: the root is the weakest of the current best k.
  auto weaker = [](const Candidate& a, const Candidate& b) { return a.logit > b.logit; };
  bool rejected_a_tie = false;
  for (std::size_t b = 0; b < logits.size(); b += kBlock) {
    const std::size_t n = std::min(kBlock, logits.size() - b);
    const auto block = summarize(logits.data() + b, n);
    if (block.bad) report_bad_block(logits.data() + b, n, b);
    // Once the heap is full, a block whose best is below the k-th best so far
    // cannot contribute: most of the row is skipped this way.
    if (block.max == -kInf || (candidates_.size() == k && block.max < candidates_.front().logit)) continue;
    for (std::size_t i = b; i < b + n; ++i) {
      const float v = logits[i];
      if (v == -kInf) continue;
      if (candidates_.size() < k) {
        candidates_.push_back({v, 0.0f, static_cast<std::int32_t>(i)});
        std::push_heap(candidates_.begin(), candidates_.end(), weaker);
      } else if (v > candidates_.front().logit) {
        std::pop_heap(candidates_.begin(), candidates_.end(), weaker);
        candidates_.back() = {v, 0.0f, static_cast<std::int32_t>(i)};
        std::push_heap(candidates_.begin(), candidates_.end(), weaker);
      } else if (v == candidates_.front().logit) {
        rejected_a_tie = true;
      }
    }
  }
  if (rejected_a_tie) {
    // Rare: some id equal to the k-th value was left out. Gather every id at
    // or above the final threshold.
    const float threshold = candidates_.front().logit;
    candidates_.clear();
    for (std::size_t i = 0; i < logits.size(); ++i)
      if (logits[i] >= threshold) candidates_.push_back({logits[i], 0.0f, static_cast<std::int32_t>(i)});
  }
}

void Sampler::collect_all(std::span<const float> logits) {
  candidates_.clear();
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const float v = logits[i];
    if (!(v < kInf)) bad_logit(i, v);
    if (v != -kInf) candidates_.push_back({v, 0.0f, static_cast<std::int32_t>(i)});
  }
}

std::size_t Sampler::filter_candidates() {
  auto& c = candidates_;
  // Descending logit, ties by ascending id: a canonical order, so the draw
  // depends only on the logits and the seed.
  auto before = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };

  // Temperature, then softmax weights relative to the best token (weight 1).
  float max_logit = -kInf;
  for (const auto& x : c) max_logit = std::max(max_logit, x.logit);
  // (logit - max) / t rather than logit / t - max / t: no overflow for tiny t.
  const float t = params_.temperature;
  double total = 0.0;
  for (auto& x : c) {
    x.weight = std::exp((x.logit - max_logit) / t);
    total += x.weight;
  }

  std::size_t keep = c.size();
  const bool sorted = params_.top_k > 0;
  if (sorted) std::sort(c.begin(), c.end(), before);  // at most k (+ ties): cheap

  if (params_.top_p < 1.0f) {
    const double needed = static_cast<double>(params_.top_p) * total;
    if (!sorted) {
      // The kept set is the shortest best-first prefix holding top_p of the
      // mass. Any set of best tokens that already holds that mass contains
      // it, so sort only the tokens above a weight threshold, lowering the
      // threshold until their mass suffices (0 = everything, always enough).
      for (double fraction : {1e-3, 1e-5, 1e-7, 0.0}) {
        const double threshold = fraction * total;
        double mass = 0.0;
        auto end = std::partition(c.begin(), c.end(), [&](const Candidate& x) { return x.weight >= threshold; });
        for (auto it = c.begin(); it != end; ++it) mass += it->weight;
        if (mass >= needed || fraction == 0.0) {
          keep = static_cast<std::size_t>(end - c.begin());
          break;
        }
      }
      std::sort(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep), before);
    }
    // transformers removes a token when the mass of the tokens ranked below
    // it (inclusive) is <= 1 - top_p, i.e. keeps it while the mass ranked
    // above it is < top_p; the best token is always kept.
    double above = 0.0;
    std::size_t j = 0;
    while (j < keep && (j == 0 || above < needed)) above += c[j++].weight;
    keep = j;
  }

  if (params_.min_p > 0.0f) {
    // transformers: remove tokens whose probability is < min_p * the best
    // token's probability; relative to the best token that is weight < min_p.
    const float min_weight = params_.min_p;
    auto end = std::stable_partition(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(keep),
                                     [&](const Candidate& x) { return x.weight >= min_weight; });
    keep = static_cast<std::size_t>(end - c.begin());  // the best token (weight 1) always stays
  }

  return keep;
}

std::size_t Sampler::filter(std::span<float> logits) {
  if (logits.empty()) throw Error("Sampler: the logits row is empty (vocabulary size 0)");
  apply_penalties(logits);
  if (params_.greedy()) {
    candidates_.assign(1, {0.0f, 1.0f, argmax(logits)});
    return 1;
  }
  if (params_.top_k > 0)
    collect_top_k(logits);
  else
    collect_all(logits);
  if (candidates_.empty()) nothing_to_sample(logits.size());
  return filter_candidates();
}

std::int32_t Sampler::sample(std::span<float> logits) {
  if (params_.greedy()) {  // no candidate list, no randomness
    if (logits.empty()) throw Error("Sampler: the logits row is empty (vocabulary size 0)");
    apply_penalties(logits);
    return argmax(logits);
  }
  const std::size_t keep = filter(logits);
  const auto& c = candidates_;
  double kept_mass = 0.0;
  for (std::size_t j = 0; j < keep; ++j) kept_mass += c[j].weight;
  const double target = uniform() * kept_mass;
  double cumulative = 0.0;
  for (std::size_t j = 0; j < keep; ++j) {
    cumulative += c[j].weight;
    if (target < cumulative) return c[j].id;
  }
  return c[keep - 1].id;  // only reachable through rounding in the last sum
}

std::vector<Sampler::TokenProbability> Sampler::distribution(std::span<const float> logits) {
  scratch_.assign(logits.begin(), logits.end());
  const std::size_t keep = filter(scratch_);
  double kept_mass = 0.0;
  for (std::size_t j = 0; j < keep; ++j) kept_mass += candidates_[j].weight;
  std::vector<TokenProbability> out;
  out.reserve(keep);
  for (std::size_t j = 0; j < keep; ++j) out.push_back({candidates_[j].id, candidates_[j].weight / kept_mass});
  return out;
}

}  // namespace qwen3
