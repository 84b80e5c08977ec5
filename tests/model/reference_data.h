#pragma once
// Reads the reference data of a fixture (tests/…/reference/README.md layout:
// raw little-endian arrays, prompts.json) and compares our logits with it at
// the suggested tolerances: 1e-3 absolute, top-20 order swaps allowed only
// between logits closer than that.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "common/file.h"

namespace qwen3::test {

inline constexpr float kLogitTolerance = 1e-3f;

template <class T>
std::vector<T> read_array(const std::filesystem::path& file) {
  const std::string bytes = qwen3::read_file(file);
  std::vector<T> v(bytes.size() / sizeof(T));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(T));
  return v;
}

struct ReferencePrompt {
  std::string name;
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> greedy;
};

inline std::vector<ReferencePrompt> reference_prompts(const std::filesystem::path& ref) {
  const auto j = nlohmann::json::parse(qwen3::read_file(ref / "prompts.json"));
  std::vector<ReferencePrompt> out;
  for (const auto& p : j.at("prompts"))
    out.push_back({p.at("name").get<std::string>(),
                   read_array<std::int32_t>(ref / (p.at("name").get<std::string>() + ".tokens.i32")),
                   read_array<std::int32_t>(ref / (p.at("name").get<std::string>() + ".greedy_ids.i32"))});
  return out;
}

// argmax with ties broken towards the lower id (as the reference does).
inline std::int32_t argmax(const float* logits, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return best;
}

inline std::vector<std::int32_t> top_k_ids(const float* logits, int n, int k) {
  std::vector<std::int32_t> ids(n);
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  ids.resize(k);
  return ids;
}

// Our top-k at one position against the reference ids/values: values at the
// reference's ids within tolerance, and our ids equal to the reference's
// except where the reference's own logits are closer than the tolerance.
inline void expect_top_k_matches(const float* ours, int vocab, const std::int32_t* ref_ids, const float* ref_logits,
                                 int k, const std::string& where) {
  for (int i = 0; i < k; ++i)
    EXPECT_NEAR(ours[ref_ids[i]], ref_logits[i], kLogitTolerance) << where << " rank " << i << " id " << ref_ids[i];
  const auto mine = top_k_ids(ours, vocab, k);
  for (int i = 0; i < k; ++i) {
    if (mine[i] == ref_ids[i]) continue;
    const float* found = std::find(ref_ids, ref_ids + k, mine[i]) == ref_ids + k
                             ? nullptr
                             : ref_logits + (std::find(ref_ids, ref_ids + k, mine[i]) - ref_ids);
    // Outside the reference's top-k, our id can only displace the last ones by a hair.
    const float ref_value = found ? *found : ref_logits[k - 1];
    EXPECT_LT(std::abs(ref_value - ref_logits[i]), kLogitTolerance)
        << where << " rank " << i << ": ours " << mine[i] << ", reference " << ref_ids[i];
  }
}

inline float max_abs_diff(const float* a, const float* b, std::size_t n) {
  float m = 0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

}  // namespace qwen3::test
