// The KV cache layout and the tiled attention: stored entries read back as
// written (f32) or rounded to nearest even (bf16); attention against a
// float64 softmax over the stored keys and values, across tile boundaries;
// and the same bits for a query whatever the chunking of the queries around
// it and the thread count (the model's batch invariance rests on it).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <memory>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "kernels/test_reference.h"

namespace qwen3::kernels {
namespace {

using test::random_vector;

// A cache of `capacity` positions for one layer, owning its memory.
struct Cache {
  Cache(KvType type, int kv_heads, int head_dim, int capacity) {
    layer.type = type;
    layer.kv_heads = kv_heads;
    layer.head_dim = head_dim;
    layer.head_stride = kv_head_elements(capacity, head_dim);
    const std::size_t bytes = layer.head_stride * kv_heads * (type == KvType::F32 ? 4 : 2);
    keys.assign(bytes, std::byte{0});
    values.assign(bytes, std::byte{0});
    layer.keys = keys.data();
    layer.values = values.data();
  }
  std::vector<std::byte> keys, values;
  KvLayer layer;
};

std::string name(KvType t) { return t == KvType::F32 ? "F32" : "BF16"; }

class Attention : public ::testing::TestWithParam<KvType> {
 protected:
  void TearDown() override { set_num_threads(saved_threads_); }
  const int saved_threads_ = num_threads();
};

TEST_P(Attention, StoredEntriesReadBack) {
  const int H = 3, D = 64, P = 70;
  Cache c(GetParam(), H, D, P);
  const auto k = random_vector(static_cast<std::int64_t>(P) * H * D, 1, -4.f, 4.f);
  const auto v = random_vector(static_cast<std::int64_t>(P) * H * D, 2, -4.f, 4.f);
  kv_store(c.layer, 0, 5, k.data(), v.data());
  kv_store(c.layer, 5, P - 5, &k[5 * H * D], &v[5 * H * D]);
  for (int p = 0; p < P; ++p)
    for (int h = 0; h < H; ++h)
      for (int i = 0; i < D; ++i) {
        const std::size_t at = (static_cast<std::size_t>(p) * H + h) * D + i;
        const float wk = GetParam() == KvType::F32 ? k[at] : detail::bf16_to_f32(detail::f32_to_bf16(k[at]));
        const float wv = GetParam() == KvType::F32 ? v[at] : detail::bf16_to_f32(detail::f32_to_bf16(v[at]));
        ASSERT_EQ(kv_load(c.layer, false, h, p, i), wk) << "key p " << p << " h " << h << " i " << i;
        ASSERT_EQ(kv_load(c.layer, true, h, p, i), wv) << "value p " << p << " h " << h << " i " << i;
      }
}

// Fills a cache of P positions with random keys and values; returns the queries of every position.
std::vector<float> fill(Cache& c, int n_heads, int P, std::uint32_t seed) {
  const int H = c.layer.kv_heads, D = c.layer.head_dim;
  const auto k = random_vector(static_cast<std::int64_t>(P) * H * D, seed, -2.f, 2.f);
  const auto v = random_vector(static_cast<std::int64_t>(P) * H * D, seed + 1, -2.f, 2.f);
  kv_store(c.layer, 0, P, k.data(), v.data());
  return random_vector(static_cast<std::int64_t>(P) * n_heads * D, seed + 2, -2.f, 2.f);
}

TEST_P(Attention, MatchesFloat64Softmax) {
  struct Shape {
    int kv_heads, group, head_dim, positions;
  };
  for (const Shape s : {Shape{2, 4, 128, 300}, Shape{1, 2, 32, 129}, Shape{2, 5, 64, 40}, Shape{1, 7, 96, 260},
                        Shape{2, 2, 8, 50}, Shape{1, 3, 40, 140}}) {
    SCOPED_TRACE("group " + std::to_string(s.group) + " head_dim " + std::to_string(s.head_dim));
    const int NQ = s.kv_heads * s.group, D = s.head_dim, P = s.positions;
    Cache c(GetParam(), s.kv_heads, D, P);
    const auto q = fill(c, NQ, P, 7);
    std::vector<float> out(static_cast<std::size_t>(P) * NQ * D);
    attention(c.layer, q.data(), NQ, 0, P, out.data());  // prefill path
    std::vector<float> one(static_cast<std::size_t>(NQ) * D);
    for (int pos : {0, 1, 31, 127, 128, 129, P - 1}) {
      if (pos >= P) continue;
      attention(c.layer, &q[static_cast<std::size_t>(pos) * NQ * D], NQ, pos, 1, one.data());  // decode path
      for (int h = 0; h < NQ; ++h) {
        const float* qh = &q[(static_cast<std::size_t>(pos) * NQ + h) * D];
        std::vector<double> w(pos + 1);
        double mx = -1e300, sum = 0;
        for (int j = 0; j <= pos; ++j) {
          double dot = 0;
          for (int i = 0; i < D; ++i) dot += static_cast<double>(qh[i]) * kv_load(c.layer, false, h / s.group, j, i);
          w[j] = dot / std::sqrt(static_cast<double>(D));
          mx = std::max(mx, w[j]);
        }
        for (int j = 0; j <= pos; ++j) sum += w[j] = std::exp(w[j] - mx);
        for (int i = 0; i < D; ++i) {
          double ref = 0;
          for (int j = 0; j <= pos; ++j) ref += w[j] / sum * kv_load(c.layer, true, h / s.group, j, i);
          const float got = out[(static_cast<std::size_t>(pos) * NQ + h) * D + i];
          ASSERT_NEAR(got, ref, 2e-5) << "pos " << pos << " head " << h << " i " << i;
          ASSERT_EQ(std::memcmp(&got, &one[static_cast<std::size_t>(h) * D + i], 4), 0)
              << "decode differs from prefill: pos " << pos << " head " << h << " i " << i;
        }
      }
    }
  }
}

// A cache of P positions (2 kv heads, groups of 4, head_dim 128) filled from
// `seed`, its queries, and the prefill path's output on one thread: the bits
// the other paths must give. A position's queries or outputs: kRow floats.
constexpr int kKvHeads = 2, kQHeads = 8, kHeadDim = 128;
constexpr std::size_t kRow = static_cast<std::size_t>(kQHeads) * kHeadDim;
struct Prefilled {
  std::unique_ptr<Cache> cache;
  std::vector<float> q, out;
};
Prefilled prefilled(KvType type, int P, std::uint64_t seed) {
  Prefilled r;
  r.cache = std::make_unique<Cache>(type, kKvHeads, kHeadDim, P);
  r.q = fill(*r.cache, kQHeads, P, seed);
  set_num_threads(1);
  r.out.resize(P * kRow);
  attention(r.cache->layer, r.q.data(), kQHeads, 0, P, r.out.data());
  return r;
}

TEST_P(Attention, SameBitsForAnyChunkingAndThreads) {
  const int P = 700;
  const Prefilled r = prefilled(GetParam(), P, 11);
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int chunk : {1, 2, 3, 4, 5, 33, 128, 300, P}) {
      std::vector<float> got(P * kRow);
      for (int p = 0; p < P; p += chunk) {
        const int n = std::min(chunk, P - p);
        attention(r.cache->layer, &r.q[p * kRow], kQHeads, p, n, &got[p * kRow]);
      }
      for (std::size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(std::memcmp(&r.out[i], &got[i], 4), 0)
            << "chunks of " << chunk << ", " << threads << " threads: position " << i / kRow << " element " << i % kRow;
    }
  }
}

// Decode splits a long context into runs of consecutive tiles (a work item
// each, prefetching ahead): queries at and around the runs' edges, on 1-3
// threads, give the bits of the prefill path.
TEST_P(Attention, DecodeAcrossRunsOfTilesSameBitsAsPrefill) {
  const Prefilled r = prefilled(GetParam(), 2200, 13);
  std::vector<float> got(4 * kRow);
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int pos : {1023, 1024, 1025, 1151, 2047, 2048, 2196}) {
      const int n = pos == 2196 ? 4 : 1;  // 2196: the tile-parallel path with 4 tokens
      attention(r.cache->layer, &r.q[pos * kRow], kQHeads, pos, n, got.data());
      for (std::size_t i = 0; i < n * kRow; ++i)
        ASSERT_EQ(std::memcmp(&r.out[pos * kRow + i], &got[i], 4), 0)
            << threads << " threads, position " << pos + i / kRow << " element " << i % kRow;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothTypes, Attention, ::testing::Values(KvType::BF16, KvType::F32),
                         [](const auto& info) { return name(info.param); });

}  // namespace
}  // namespace qwen3::kernels
