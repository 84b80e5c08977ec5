// The KV cache layout and causal grouped-query attention over it, in tiles of
// kAttentionTile positions with an online softmax (flash-attention style).
//
// Each query's result is a function of the query, its position and the cache
// only: the tiles start at multiples of kAttentionTile (absolute positions),
// a tile's partial softmax (its max m, sum l and unnormalised output o) is
// computed by one code path whatever the call, and the partials are combined
// strictly in tile order. Decode (a few queries) computes the partials of all
// tiles in parallel and then combines them; prefill gives each thread a block
// of queries and walks the tiles in order, combining as it goes: the same
// operations in the same order, so the bits do not depend on the chunking of
// the prompt, the batch or the thread count.
//
// The work per tile, for the query heads of one key/value head (up to four
// at once, so a key or value is loaded once for all of them):
//  - scores: 32 positions per vector group, one multiply-add per dimension
//    (the keys are stored dimension-major in blocks of 32 positions, so no
//    horizontal sums), masked past the query's position;
//  - m = max, p = exp(s - m), l = sum p (lanes summed in a fixed order);
//  - o = sum_j p_j v_j over the positions, 64 (or 32) dimensions at a time.
#include <hwy/highway.h>
#include <hwy/contrib/math/math-inl.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/convert.h"
#include "kernels/ggml_arith.h"
#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {
namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using DU = hn::RebindToUnsigned<DF>;
using VF = hn::Vec<DF>;

constexpr int kBlock = kKvBlock;  // positions per key block (32)
constexpr int kTile = kAttentionTile;
constexpr int kMaxHeadDim = 512;
// Queries scored against a tile together (a key or value loaded once for
// all): a GQA group's heads, and in prefill two tokens' when the tile is
// whole for both. Each query's own operations do not depend on the company.
constexpr int kQueriesAtOnce = 8;
constexpr int kMaxGroup = 64;  // query heads per key/value head
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
// Prefill: queries (tokens) per work item; a tile of keys and values is read
// once for all of them.
constexpr int kQueryBlock = 32;
// Decode: at most this many tokens take the tile-parallel path.
constexpr int kTileParallelMaxTokens = 4;
// Decode: consecutive tiles per work item (8 x 128 positions: 512 KiB of a
// bf16 head's keys and values), enough items for 2-16 threads from 4k on.
constexpr int kDecodeTilesPerItem = 8;

std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

// The head dimension as stored: a multiple of 32 (the padding holds zeros,
// which add nothing to a score and make outputs that are dropped).
int padded_dim(int head_dim) { return static_cast<int>(round_up(head_dim, 32)); }

// The partial softmax of one query over one tile.
struct Partial {
  float m;   // max score
  float l;   // sum of exp(score - m)
  float* o;  // [head_dim] sum of exp(score - m) * value
};

// Loads of the 32 positions (keys) or 32 dimensions (values) of a group as
// 32 / N vectors, vector v holding entries v*N .. v*N + N - 1, whatever the
// storage type.
template <KvType kType>
struct Group32 {
  static constexpr int kVecs = 32 / static_cast<int>(hn::MaxLanes(DF()));
  // `at`: the element index of the group's first entry.
  static void load(const void* base, std::size_t at, VF* out) {
    const DF d;
    const int N = static_cast<int>(hn::Lanes(d));
    if constexpr (kType == KvType::F32) {
      const float* p = static_cast<const float*>(base) + at;
      for (int v = 0; v < kVecs; ++v) out[v] = hn::LoadU(d, p + v * N);
    } else {
      // 16 words; word i: entry i in the low half, entry 16 + i in the high half.
      const DU du;
      const std::uint32_t* w = reinterpret_cast<const std::uint32_t*>(static_cast<const std::uint16_t*>(base) + at);
      const auto high = hn::Set(du, 0xFFFF0000u);
      for (int v = 0; v < kVecs / 2; ++v) {
        const auto words = hn::LoadU(du, w + v * N);
        out[v] = hn::BitCast(d, hn::ShiftLeft<16>(words));
        out[kVecs / 2 + v] = hn::BitCast(d, hn::And(words, high));
      }
    }
  }
};

// The partials of NH query heads (pre-scaled queries q[h]) over positions
// [begin, end) of one key/value head, begin a multiple of kTile.
//
// `prefetch` (decode, where the cache streams from memory once): while the
// scores run, the tile's values are prefetched, one 64-byte line per key
// line read; while the values are summed, the next tile's keys. Prefetches
// never fault, so the next tile need not exist.
template <KvType kType, int NH>
void tile_partial(const void* keys, const void* values, int D, const float* const* q, int begin, int end, Partial* out,
                  bool prefetch) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  using G = Group32<kType>;
  constexpr int kV = G::kVecs;
  constexpr int kEsize = kType == KvType::F32 ? 4 : 2;
  constexpr int kLinesPerKeyLine = kEsize / 2;  // value lines per 32 keys' line (see the comment above)
  const int len = end - begin;
  alignas(64) float s[NH][kTile];
  const char* value_lines = static_cast<const char*>(values) + static_cast<std::size_t>(begin) * D * kEsize;
  const char* next_keys = static_cast<const char*>(keys) + static_cast<std::size_t>(begin + kTile) * D * kEsize;

  // Scores, one key block (32 positions) at a time.
  for (int b0 = 0; b0 < len; b0 += kBlock) {
    const std::size_t block = static_cast<std::size_t>(begin + b0) / kBlock;
    VF acc[NH][kV];
    for (int h = 0; h < NH; ++h)
      for (int v = 0; v < kV; ++v) acc[h][v] = hn::Zero(d);
    for (int i = 0; i < D; ++i) {
      VF k[kV];
      if (prefetch)
        for (int l = 0; l < kLinesPerKeyLine; ++l, value_lines += 64) _mm_prefetch(value_lines, _MM_HINT_T0);
      G::load(keys, (block * D + i) * kBlock, k);
      for (int h = 0; h < NH; ++h) {
        const VF qi = hn::Set(d, q[h][i]);
        for (int v = 0; v < kV; ++v) acc[h][v] = hn::MulAdd(qi, k[v], acc[h][v]);
      }
    }
    for (int h = 0; h < NH; ++h)
      for (int v = 0; v < kV; ++v) hn::Store(acc[h][v], d, &s[h][b0 + v * N]);
  }
  const int padded = static_cast<int>(round_up(len, kBlock));
  for (int h = 0; h < NH; ++h)
    for (int j = len; j < padded; ++j) s[h][j] = kNegInf;

  // m, p = exp(s - m), l.
  for (int h = 0; h < NH; ++h) {
    VF mx = hn::Load(d, s[h]);
    for (int j = N; j < padded; j += N) mx = hn::Max(mx, hn::Load(d, &s[h][j]));
    const float m = hn::GetLane(hn::MaxOfLanes(d, mx));
    const VF vm = hn::Set(d, m);
    VF sum = hn::Zero(d);
    for (int j = 0; j < padded; j += N) {
      const VF p = hn::Exp(d, hn::Sub(hn::Load(d, &s[h][j]), vm));
      hn::Store(p, d, &s[h][j]);
      sum = hn::Add(sum, p);
    }
    out[h].m = m;
    out[h].l = hn::GetLane(hn::SumOfLanes(d, sum));
  }

  // o = sum_j p_j v_j, CC groups of 32 dimensions at a time.
  auto pass = [&]<int CC>(int c0) {
    VF acc[NH][CC * kV];
    for (int h = 0; h < NH; ++h)
      for (int v = 0; v < CC * kV; ++v) acc[h][v] = hn::Zero(d);
    // The next tile's keys, spread over the first pass's positions.
    const int key_lines_per_pos = prefetch && c0 == 0 ? D * kEsize / 64 : 0;
    for (int j = 0; j < len; ++j) {
      VF x[CC * kV];
      for (int l = 0; l < key_lines_per_pos; ++l, next_keys += 64) _mm_prefetch(next_keys, _MM_HINT_T0);
      const std::size_t row = static_cast<std::size_t>(begin + j) * D;
      for (int c = 0; c < CC; ++c) G::load(values, row + (c0 + c) * 32, x + c * kV);
      for (int h = 0; h < NH; ++h) {
        const VF p = hn::Set(d, s[h][j]);
        for (int v = 0; v < CC * kV; ++v) acc[h][v] = hn::MulAdd(p, x[v], acc[h][v]);
      }
    }
    for (int h = 0; h < NH; ++h)
      for (int v = 0; v < CC * kV; ++v) hn::StoreU(acc[h][v], d, out[h].o + c0 * 32 + v * N);
  };
  // 16 accumulators: 4 queries x 64 dimensions or 8 queries x 32.
  constexpr int kCC = NH <= 4 ? 2 : 1;
  const int groups = D / 32;
  int c = 0;
  for (; c + kCC <= groups; c += kCC) pass.template operator()<kCC>(c);
  if (c < groups) pass.template operator()<1>(c);
}

using TileFn = void (*)(const void*, const void*, int, const float* const*, int, int, Partial*, bool);

template <KvType kType>
TileFn tile_fn(int nh) {
  switch (nh) {
    case 1:
      return tile_partial<kType, 1>;
    case 2:
      return tile_partial<kType, 2>;
    case 3:
      return tile_partial<kType, 3>;
    case 4:
      return tile_partial<kType, 4>;
    case 5:
      return tile_partial<kType, 5>;
    case 6:
      return tile_partial<kType, 6>;
    case 7:
      return tile_partial<kType, 7>;
    default:
      return tile_partial<kType, 8>;
  }
}

// The partials of nq queries q[i] of one key/value head over [begin, end).
void query_partials(const KvLayer& kv, int kv_head, const float* const* q, int nq, int begin, int end, Partial* out,
                    bool prefetch = false) {
  const int D = padded_dim(kv.head_dim);
  const std::size_t esize = kv.type == KvType::F32 ? 4 : 2;
  const void* keys = static_cast<const std::byte*>(kv.keys) + kv_head * kv.head_stride * esize;
  const void* values = static_cast<const std::byte*>(kv.values) + kv_head * kv.head_stride * esize;
  for (int i0 = 0; i0 < nq; i0 += kQueriesAtOnce) {
    const int n = std::min(kQueriesAtOnce, nq - i0);
    const TileFn fn = kv.type == KvType::F32 ? tile_fn<KvType::F32>(n) : tile_fn<KvType::BF16>(n);
    fn(keys, values, D, q + i0, begin, end, out + i0, prefetch);
  }
}

// The partials of all `group` query heads of one key/value head.
void group_partials(const KvLayer& kv, int kv_head, const float* q_group, int group, int begin, int end, Partial* out,
                    bool prefetch) {
  const int D = padded_dim(kv.head_dim);
  const float* q[kMaxGroup];
  for (int h = 0; h < group; ++h) q[h] = q_group + static_cast<std::size_t>(h) * D;
  query_partials(kv, kv_head, q, group, begin, end, out, prefetch);
}

// acc <- the combination of acc (tiles so far) and the next tile's partial p;
// acc.m == -inf: no tile yet. One compiled copy for every path.
[[gnu::noinline]] void combine(Partial& acc, const Partial& p, int D) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  if (acc.m == kNegInf) {
    acc.m = p.m;
    acc.l = p.l;
    std::memcpy(acc.o, p.o, static_cast<std::size_t>(D) * sizeof(float));
    return;
  }
  const float m = std::max(acc.m, p.m);
  const float ea = std::exp(acc.m - m), ep = std::exp(p.m - m);
  acc.l = std::fma(p.l, ep, acc.l * ea);
  const VF va = hn::Set(d, ea), vp = hn::Set(d, ep);
  for (int i = 0; i < D; i += N)
    hn::StoreU(hn::MulAdd(hn::LoadU(d, p.o + i), vp, hn::Mul(hn::LoadU(d, acc.o + i), va)), d, acc.o + i);
  acc.m = m;
}

[[gnu::noinline]] void finish(const Partial& acc, int D, float* out) {
  const DF d;
  const int N = static_cast<int>(hn::Lanes(d));
  const VF l = hn::Set(d, acc.l);
  for (int i = 0; i < D; i += N) hn::StoreU(hn::Div(hn::LoadU(d, acc.o + i), l), d, out + i);
}

void check_layer(const KvLayer& kv, const char* who) {
  if (kv.head_dim < 1 || kv.head_dim > kMaxHeadDim)
    throw Error(std::string("kernels::") + who + ": head_dim " + std::to_string(kv.head_dim) +
                " is not supported: expected 1 .. " + std::to_string(kMaxHeadDim));
}

}  // namespace

std::size_t kv_head_elements(int capacity, int head_dim) {
  return round_up(static_cast<std::size_t>(std::max(capacity, 1)), kTile) * padded_dim(head_dim);
}

void kv_store(const KvLayer& kv, int pos, int T, const float* k, const float* v) {
  check_layer(kv, "kv_store");
  const int D = kv.head_dim, Dp = padded_dim(D);
  for (int t = 0; t < T; ++t) {
    const std::size_t p = static_cast<std::size_t>(pos + t);
    const std::size_t block = p / kBlock;
    const int i = static_cast<int>(p % kBlock);
    for (int h = 0; h < kv.kv_heads; ++h) {
      const float* kh = k + (static_cast<std::size_t>(t) * kv.kv_heads + h) * D;
      const float* vh = v + (static_cast<std::size_t>(t) * kv.kv_heads + h) * D;
      const std::size_t head = static_cast<std::size_t>(h) * kv.head_stride;
      if (kv.type == KvType::F32) {
        float* K = static_cast<float*>(kv.keys) + head;
        float* V = static_cast<float*>(kv.values) + head;
        for (int j = 0; j < Dp; ++j) K[(block * Dp + j) * kBlock + i] = j < D ? kh[j] : 0.0f;
        for (int j = 0; j < Dp; ++j) V[p * Dp + j] = j < D ? vh[j] : 0.0f;
      } else {
        // See Group32: entry e of a group of 32 is the low half of word e, or
        // the high half of word e - 16.
        auto slot = [](int e) { return e < 16 ? 2 * e : 2 * (e - 16) + 1; };
        std::uint16_t* K = static_cast<std::uint16_t*>(kv.keys) + head;
        std::uint16_t* V = static_cast<std::uint16_t*>(kv.values) + head;
        const int ks = slot(i);
        for (int j = 0; j < Dp; ++j) K[(block * Dp + j) * kBlock + ks] = j < D ? detail::f32_to_bf16(kh[j]) : 0;
        for (int j = 0; j < Dp; ++j) V[p * Dp + (j / 32) * 32 + slot(j % 32)] = j < D ? detail::f32_to_bf16(vh[j]) : 0;
      }
    }
  }
}

void kv_gather(const KvLayer& kv, bool value, int kv_head, int pos, int n, float* out) {
  const std::size_t head = static_cast<std::size_t>(kv_head) * kv.head_stride;
  const int D = kv.head_dim, Dp = padded_dim(D);
  for (int t = 0; t < n; ++t) {
    const std::size_t p = static_cast<std::size_t>(pos + t);
    float* o = out + static_cast<std::size_t>(t) * D;
    if (kv.type == KvType::F32) {
      const float* base = static_cast<const float*>(value ? kv.values : kv.keys) + head;
      if (value) {
        std::memcpy(o, base + p * Dp, sizeof(float) * D);
      } else {
        const float* k = base + (p / kBlock) * Dp * kBlock + p % kBlock;
        for (int i = 0; i < D; ++i) o[i] = k[static_cast<std::size_t>(i) * kBlock];
      }
    } else {
      for (int i = 0; i < D; ++i) o[i] = kv_load(kv, value, kv_head, static_cast<int>(p), i);
    }
  }
}

float kv_load(const KvLayer& kv, bool value, int kv_head, int pos, int i) {
  const std::size_t head = static_cast<std::size_t>(kv_head) * kv.head_stride;
  const std::size_t p = static_cast<std::size_t>(pos);
  const int D = padded_dim(kv.head_dim);
  if (kv.type == KvType::F32) {
    const float* base = static_cast<const float*>(value ? kv.values : kv.keys) + head;
    return value ? base[p * D + i] : base[((p / kBlock) * D + i) * kBlock + p % kBlock];
  }
  auto slot = [](int e) { return e < 16 ? 2 * e : 2 * (e - 16) + 1; };
  const std::uint16_t* base = static_cast<const std::uint16_t*>(value ? kv.values : kv.keys) + head;
  return detail::bf16_to_f32(value ? base[p * D + (i / 32) * 32 + slot(i % 32)]
                                   : base[((p / kBlock) * D + i) * kBlock + slot(static_cast<int>(p % kBlock))]);
}

void attention(const KvLayer& kv, const float* q, int n_heads, int first_pos, int T, float* out) {
  check_layer(kv, "attention");
  if (T < 1 || first_pos < 0 || n_heads < kv.kv_heads || n_heads % kv.kv_heads != 0 ||
      n_heads / kv.kv_heads > kMaxGroup)
    throw Error("kernels::attention: bad shape (T " + std::to_string(T) + ", first_pos " + std::to_string(first_pos) +
                ", heads " + std::to_string(n_heads) + " over " + std::to_string(kv.kv_heads) + ")");
  const int HD = kv.head_dim, D = padded_dim(HD), NKV = kv.kv_heads, group = n_heads / NKV;
  const std::size_t row = static_cast<std::size_t>(n_heads) * D;  // one token's (padded) queries

  // Queries scaled by 1/sqrt(head_dim) once (zeros in the padding).
  thread_local std::vector<float> scaled;
  scaled.assign(static_cast<std::size_t>(T) * row, 0.0f);
  {
    const DF d;
    const int N = static_cast<int>(hn::Lanes(d));
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(HD)));
    if (D == HD) {
      const VF vs = hn::Set(d, scale);
      for (std::size_t i = 0; i < scaled.size(); i += N) hn::StoreU(hn::Mul(hn::LoadU(d, q + i), vs), d, &scaled[i]);
    } else {
      for (std::size_t r = 0; r < static_cast<std::size_t>(T) * n_heads; ++r)
        for (int i = 0; i < HD; ++i) scaled[r * D + i] = q[r * HD + i] * scale;
    }
  }
  // Output head (t, h): finished in the padded width, the head_dim kept.
  auto write = [&](const Partial& acc, int t, int h) {
    float* o = out + (static_cast<std::size_t>(t) * n_heads + h) * HD;
    if (D == HD) return finish(acc, D, o);
    alignas(64) float tmp[kMaxHeadDim + 32];
    finish(acc, D, tmp);
    std::memcpy(o, tmp, static_cast<std::size_t>(HD) * sizeof(float));
  };
  const float* qs = scaled.data();
  const int last = first_pos + T - 1;
  const int tiles = last / kTile + 1;
  const std::size_t pstride = static_cast<std::size_t>(D) + 2;  // a partial in scratch: m, l, o[D]

  if (T <= kTileParallelMaxTokens) {
    // Every (key/value head, tile) in parallel, then the tiles combined in order.
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<std::size_t>(T) * n_heads * tiles * pstride);
    float* sc = scratch.data();
    auto at = [&](int t, int h, int tile) {
      return sc + ((static_cast<std::size_t>(t) * n_heads + h) * tiles + tile) * pstride;
    };
    // An item is a run of consecutive tiles of one key/value head, so that
    // each thread reads long sequential stretches of the cache (prefetched
    // one tile ahead) rather than a tile here and there.
    const int runs = (tiles + kDecodeTilesPerItem - 1) / kDecodeTilesPerItem;
    parallel_for(static_cast<std::int64_t>(NKV) * runs, [&](std::int64_t item, int) {
      const int g = static_cast<int>(item / runs), run = static_cast<int>(item % runs);
      for (int tile = run * kDecodeTilesPerItem; tile < std::min(tiles, (run + 1) * kDecodeTilesPerItem); ++tile) {
        const int begin = tile * kTile;
        for (int t = 0; t < T; ++t) {
          const int pos = first_pos + t;
          if (begin > pos) continue;
          Partial p[kMaxGroup];
          for (int h = 0; h < group; ++h) p[h].o = at(t, g * group + h, tile) + 2;
          group_partials(kv, g, qs + t * row + static_cast<std::size_t>(g) * group * D, group, begin,
                         std::min(pos + 1, begin + kTile), p, /*prefetch=*/t == 0);
          for (int h = 0; h < group; ++h) {
            at(t, g * group + h, tile)[0] = p[h].m;
            at(t, g * group + h, tile)[1] = p[h].l;
          }
        }
      }
    });
    parallel_for(static_cast<std::int64_t>(T) * n_heads, [&](std::int64_t item, int) {
      const int t = static_cast<int>(item / n_heads), h = static_cast<int>(item % n_heads);
      alignas(64) float o[kMaxHeadDim + 32];
      Partial acc{kNegInf, 0.0f, o};
      for (int tile = 0; tile <= (first_pos + t) / kTile; ++tile) {
        float* pt = at(t, h, tile);
        combine(acc, Partial{pt[0], pt[1], pt + 2}, D);
      }
      write(acc, t, h);
    });
    return;
  }

  // Prefill: a block of queries per item, walking the tiles in order.
  const int blocks = (T + kQueryBlock - 1) / kQueryBlock;
  std::vector<std::vector<float>> accs(num_threads());
  parallel_for(static_cast<std::int64_t>(NKV) * blocks, [&](std::int64_t item, int thread) {
    const int g = static_cast<int>(item / blocks), b = static_cast<int>(item % blocks);
    const int t0 = b * kQueryBlock, t1 = std::min(T, t0 + kQueryBlock);
    std::vector<float>& buf = accs[thread];
    buf.resize(static_cast<std::size_t>(kQueryBlock + 2) * group * pstride);
    std::vector<Partial> acc(static_cast<std::size_t>(t1 - t0) * group), tmp(2 * group);
    for (int t = t0; t < t1; ++t)
      for (int h = 0; h < group; ++h) {
        const std::size_t i = static_cast<std::size_t>(t - t0) * group + h;
        acc[i] = Partial{kNegInf, 0.0f, buf.data() + i * pstride};
      }
    for (int h = 0; h < 2 * group; ++h)
      tmp[h].o = buf.data() + (static_cast<std::size_t>(kQueryBlock) * group + h) * pstride;
    const float* qp[2 * kMaxGroup];
    for (int tile = 0; tile <= (first_pos + t1 - 1) / kTile; ++tile) {
      const int begin = tile * kTile;
      for (int t = t0; t < t1;) {
        const int pos = first_pos + t;
        if (begin > pos) {
          ++t;
          continue;
        }
        // Two tokens at once when the tile is whole for both (the same range).
        const int tokens = t + 1 < t1 && 2 * group <= kQueriesAtOnce && pos + 1 >= begin + kTile ? 2 : 1;
        for (int i = 0; i < tokens; ++i)
          for (int h = 0; h < group; ++h)
            qp[i * group + h] = qs + (t + i) * row + static_cast<std::size_t>(g * group + h) * D;
        query_partials(kv, g, qp, tokens * group, begin, std::min(pos + 1, begin + kTile), tmp.data());
        for (int i = 0; i < tokens; ++i)
          for (int h = 0; h < group; ++h)
            combine(acc[static_cast<std::size_t>(t + i - t0) * group + h], tmp[i * group + h], D);
        t += tokens;
      }
    }
    for (int t = t0; t < t1; ++t)
      for (int h = 0; h < group; ++h) write(acc[static_cast<std::size_t>(t - t0) * group + h], t, g * group + h);
  });
}

}  // namespace qwen3::kernels
