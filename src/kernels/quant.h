#pragma once
// Quantized weights: ggml's block formats, the activations quantized the way
// llama.cpp's CPU backend quantizes them before a product (its vec_dot_type:
// Q8_0 blocks of 32 for Q8_0/Q4_0 weights, Q8_K blocks of 256 for the
// K-quants), and the integer dot products over them.
//
// Each weight type has its own file (weights_<type>.cpp) with its exact
// dequantization (ggml's to_float, bit for bit) and its dot kernel: an AVX-512
// VNNI one (vpdpbusd: u8 x s8 -> s32) where the compiler targets it, and a
// portable scalar one with the same integer sums. quant_matmul.cpp splits the
// rows across threads and tiles the batch; quant_acts.cpp quantizes x.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/convert.h"
#include "kernels/kernels.h"
#include "kernels/matmul_internal.h"

#if defined(__AVX512VNNI__) && defined(__AVX512VL__) && defined(__AVX512BW__) && defined(__F16C__)
#include <immintrin.h>
#define QWEN3_QUANT_VNNI 1
#endif

namespace qwen3::kernels::detail {

// ggml's blocks (ggml-common.h); the scales are IEEE half floats.
struct BlockQ8_0 {
  std::uint16_t d;
  std::int8_t qs[32];
};
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[16];  // element j: low nibble of qs[j]; element j + 16: high nibble; value - 8
};
struct BlockQ4_K {
  std::uint16_t d, dmin;
  std::uint8_t scales[12];  // 8 six-bit scales and 8 six-bit mins, packed
  std::uint8_t qs[128];
};
struct BlockQ5_K {
  std::uint16_t d, dmin;
  std::uint8_t scales[12];
  std::uint8_t qh[32];  // the fifth bit
  std::uint8_t qs[128];
};
struct BlockQ6_K {
  std::uint8_t ql[128];  // low four bits
  std::uint8_t qh[64];   // high two bits
  std::int8_t scales[16];
  std::uint16_t d;
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_K) == 144 &&
              sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Q4_K / Q5_K: scale and min of sub-block j (0..7), six bits each.
inline void scale_min_k4(int j, const std::uint8_t* q, std::uint8_t& d, std::uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Q4_K / Q5_K: the eight sub-block scales of a super-block into sc, and
// sum_j min_j * sum(x over sub-block j) from the activations' group sums.
inline std::int32_t k4_scales(const std::uint8_t* packed, const std::int32_t* bsums, std::uint8_t sc[8]) {
  std::int32_t summs = 0;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t m;
    scale_min_k4(j, packed, sc[j], m);
    summs += m * (bsums[2 * j] + bsums[2 * j + 1]);
  }
  return summs;
}

// Two int16 values in one 32-bit word (vpdpwssd's pairs): low in bits 0-15.
inline std::int32_t int16_pair(int low, int high) {
  return static_cast<std::int32_t>(static_cast<std::uint16_t>(low) |
                                   (static_cast<std::uint32_t>(static_cast<std::uint16_t>(high)) << 16));
}

// An IEEE half as f32 (the hardware conversion where there is one).
inline float half_to_f32(std::uint16_t h) {
#if defined(QWEN3_QUANT_VNNI)
  return _cvtsh_ss(h);
#else
  return f16_to_f32(h);
#endif
}

// Activations quantized for one matmul: `batch` vectors of `blocks` blocks.
//  Q8_0 (block 32): d = fp16(amax / 127) as f32, qs = round-half-even(x * 127 / amax).
//  Q8_K (block 256): d = 1 / (-127 / max) (max: the value of largest magnitude),
//    qs = round-half-even(x * -127 / max), sums[b][k * 16 + s] = sum of the
//    16 qs of group s (ggml's bsums).
struct QuantizedActs {
  int block = 32;
  std::int64_t blocks = 0;  // per vector
  std::vector<std::int8_t> qs;
  std::vector<float> d;
  std::vector<std::int32_t> sums;  // Q8_K only

  const std::int8_t* q(int b) const { return qs.data() + static_cast<std::int64_t>(b) * blocks * block; }
  const float* scale(int b) const { return d.data() + static_cast<std::int64_t>(b) * blocks; }
  const std::int32_t* sum(int b) const { return sums.data() + static_cast<std::int64_t>(b) * blocks * 16; }

  // Q4_0 weights' view (prepare_q4_0_groups): per vector and group of 4
  // blocks (the last one zero-padded), 64 words: values 0-15 of each block
  // (16 bytes a block), values 16-31, minus 8 times the sum of each 32-bit
  // lane's values in those two, the blocks' scales in 4 lanes each.
  std::vector<std::int32_t> q4_groups;
  const std::int32_t* q4_group(int b, std::int64_t g) const {
    return q4_groups.data() + (static_cast<std::int64_t>(b) * ((blocks + 3) / 4) + g) * 64;
  }

  // Q8_K's view for the K-quant panels (prepare_k_sub_sums): per vector and
  // super-block, kSubSumWords words of int16 pairs: words 0-3 the 8 sums of
  // 32 values (word i: sub-block 2i in the low half, 2i + 1 in the high
  // half), words 4-11 the 16 sums of 16 values (group 2i, 2i + 1).
  static constexpr int kSubSumWords = 12;
  std::vector<std::int32_t> sub_sums;
  const std::int32_t* sub_sum(int b) const {
    return sub_sums.data() + static_cast<std::int64_t>(b) * blocks * kSubSumWords;
  }

  // Q8_0's view for its panels (prepare_q8_0_offsets): per vector and block,
  // 8 words: -128 times the sum of values 4l .. 4l + 3.
  std::vector<std::int32_t> lane_offsets;
  const std::int32_t* lane_offset(int b) const {
    return lane_offsets.data() + static_cast<std::int64_t>(b) * blocks * 8;
  }

  // Q4_0's view for its packed panels (prepare_q4_0_offsets): per vector
  // and block, -8 times the sum of its values.
  std::vector<std::int32_t> block_offsets;
  const std::int32_t* block_offset(int b) const { return block_offsets.data() + static_cast<std::int64_t>(b) * blocks; }
};

void quantize_acts_q8_0(const float* x, int batch, std::int64_t cols, QuantizedActs& out);
void quantize_acts_q8_k(const float* x, int batch, std::int64_t cols, QuantizedActs& out);
// Fills a.q4_groups from Q8_0 activations (VNNI builds; the portable Q4_0
// product reads the blocks as they are).
void prepare_q4_0_groups(QuantizedActs& a, int batch);
// Fills a.sub_sums from Q8_K activations.
void prepare_k_sub_sums(QuantizedActs& a, int batch);
// Fills a.lane_offsets from Q8_0 activations.
void prepare_q8_0_offsets(QuantizedActs& a, int batch);
// Fills a.block_offsets from Q8_0 activations.
void prepare_q4_0_offsets(QuantizedActs& a, int batch);

// The block size of the activations a weight type multiplies with (32 or 256).
int act_block(WeightType t);

// For i in [begin, end) and b in [b0, b0 + nb): y[b * y_stride + i] = W[sel(i)] . x[b].
using QuantDotFn = void (*)(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end,
                            const QuantizedActs& x, int b0, int nb, float* y, std::int64_t y_stride);

// The kernels of one quantized weight type (its weights_<type>.cpp); null
// where the type, or this build (the panels need VNNI), has none. Every one
// computes an element with the same bits (packed Q4_0 aside: it sums its
// blocks in order, the portable product's bits).
struct QuantKernels {
  QuantDotFn rows = nullptr;    // register tiles: decode and batches under kPanelTokens
  QuantDotFn panels = nullptr;  // batches of kPanelTokens or more, 16 rows packed per call
  QuantDotFn packed = nullptr;  // a matrix packed at load (kernels::repack), any batch
  std::int64_t (*packed_bytes)(const Matrix& w) = nullptr;
  void (*repack)(const Matrix& w, void* out) = nullptr;
};
extern const QuantKernels kQuantQ8_0, kQuantQ4_0, kQuantQ4_K, kQuantQ5_K, kQuantQ6_K;

// ggml's reference quantizers (llama-quantize's, with no importance matrix)
// for n elements (a multiple of the block: 32, or 256 for the K-quants) into
// blocks at out.
void quantize_q8_0(const float* x, std::int64_t n, void* out);
void quantize_q4_0(const float* x, std::int64_t n, void* out);
void quantize_q4_k(const float* x, std::int64_t n, void* out);
void quantize_q6_k(const float* x, std::int64_t n, void* out);

// ggml's nearest_int: round half to even through the float adder (|f| below 2^22).
inline int nearest_int(float f) {
  const float shifted = f + 12582912.f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

// ggml's to_float for n elements (a multiple of the block) starting at a block.
void dequantize_q8_0(const void* src, std::int64_t n, float* out);
void dequantize_q4_0(const void* src, std::int64_t n, float* out);
void dequantize_q4_k(const void* src, std::int64_t n, float* out);
void dequantize_q5_k(const void* src, std::int64_t n, float* out);
void dequantize_q6_k(const void* src, std::int64_t n, float* out);

// The loop every weight type's dot_rows shares: row by row, each row dotted
// with the nb activation vectors while it is in L1. dot(row, blocks, x, b)
// is the type's one-row, one-vector product.
template <class Block, int kBlock, class Dot>
void dot_rows_quant(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                    int b0, int nb, float* y, std::int64_t y_stride, Dot dot) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
  for (std::int64_t i = begin; i < end; ++i) {
    const Block* row = base + sel(i) * blocks;
    for (int b = b0; b < b0 + nb; ++b) y[b * y_stride + i] = dot(row, blocks, x, b);
  }
}

// The same products in register tiles of R rows x J vectors, for types
// whose one-row dot is a chain of dependent multiply-adds (one per block of
// 32): a tile runs R x J such chains side by side, each element computed by
// exactly the one-row dot's operations in its order (the same bits), so
// that the core is not left waiting on one chain's latency; a tile also
// unpacks each weight block once for its J vectors. Decode uses 4 rows x 1
// vector, batches 2 rows x up to 4 vectors. tile.template operator()<R, J>(
// rows, blocks, x, b, out) writes out[r * J + j] = rows[r] . x[b + j].
template <class Block, int kBlock, class Tile>
void dot_rows_tiled(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const QuantizedActs& x,
                    int b0, int nb, float* y, std::int64_t y_stride, Tile tile) {
  const std::int64_t blocks = w.cols / kBlock;
  const Block* base = static_cast<const Block*>(w.data);
  float out[8];  // R x J of every tile below: 4 x 1, 2 x 4, 1 x 4
  // Rows i, i + step, ... (step 1: consecutive rows).
  const auto run = [&]<int R, int J>(std::int64_t i, int b, std::int64_t step = 1) {
    const Block* rows[R];
    for (int r = 0; r < R; ++r) rows[r] = base + sel(i + r * step) * blocks;
    tile.template operator()<R, J>(rows, blocks, x, b, out);
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < J; ++j) y[(b + j) * y_stride + i + r * step] = out[r * J + j];
  };
  const auto row_pass = [&]<int R>(std::int64_t i) {
    int b = b0;
    for (; b + 4 <= b0 + nb; b += 4) run.template operator()<R, 4>(i, b);
    switch (b0 + nb - b) {
      case 3:
        return run.template operator()<R, 3>(i, b);
      case 2:
        return run.template operator()<R, 2>(i, b);
      case 1:
        return run.template operator()<R, 1>(i, b);
      default:
        return;
    }
  };
  std::int64_t i = begin;
  // Decode: a tile's 4 rows a quarter of the range apart, so that it reads 4
  // long sequential streams (as the dense kernels, matmul.cpp).
  if (const std::int64_t step = (end - begin) / 4; nb == 1 && step >= 8) {
    for (; i < begin + step; ++i) run.template operator()<4, 1>(i, b0, step);
    i = begin + 4 * step;
  }
  if (nb == 1)
    for (; i + 4 <= end; i += 4) run.template operator()<4, 1>(i, b0);
  else
    for (; i + 2 <= end; i += 2) row_pass.template operator()<2>(i);
  for (; i < end; ++i) row_pass.template operator()<1>(i);
}

#if defined(QWEN3_QUANT_VNNI)
// In a tile's k-th block step: fetches block k of the row after each of the
// tile's rows. Decode's tiles take rows a quarter of the range apart
// (dot_rows_tiled), so that is the next tile's row of the same stream.
template <int R, class Block>
inline void prefetch_next_tile(const Block* const* rows, std::int64_t blocks, std::int64_t k) {
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    const char* next = reinterpret_cast<const char*>(rows[r] + blocks + k);
    for (int l = 0; l < static_cast<int>(sizeof(Block)); l += 64) _mm_prefetch(next + l, _MM_HINT_T0);
  }
}

inline float hsum(__m256 v) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_movehdup_ps(t)));
}

// Q8_0 tiles run two rows per 512-bit vector: lanes 0-7 are the first
// row's 8-lane accumulator, lanes 8-15 the second's, each the same chain as
// in a 256-bit vector, each half summed by hsum.
inline float hsum_low(__m512 v) { return hsum(_mm512_castps512_ps256(v)); }
inline float hsum_high(__m512 v) { return hsum(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))); }

// Two rows' f16 block scales as f32: the first in lanes 0-7, the second in 8-15.
inline __m512 pair_scales(std::uint16_t a, std::uint16_t b) {
  const __m128i ha = _mm_set1_epi16(static_cast<short>(a)), hb = _mm_set1_epi16(static_cast<short>(b));
  return _mm512_cvtph_ps(_mm256_inserti128_si256(_mm256_castsi128_si256(ha), hb, 1));
}

// Q4_K / Q5_K: the 12 packed bytes (read as 16: a block's scales are
// followed by its levels) as 16 int16 lanes, the 8 scales (lanes 0-7) and 8
// mins (lanes 8-15) scale_min_k4 gives. With the three words w0-w2, ggml's
// word masks in vector lanes: scales 0-3 = w0 & 0x3f.., scales 4-7 = (w2 &
// 0x0f..) | (w0 >> 6 & 0x03..) << 4, mins 0-3 = w1 & 0x3f.., mins 4-7 =
// (w2 >> 4 & 0x0f..) | (w1 >> 6 & 0x03..) << 4.
inline __m256i k4_scales_mins(const std::uint8_t* packed) {
  const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
  const __m128i low =
      _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(w, _MM_SHUFFLE(2, 1, 2, 0)), _mm_setr_epi32(0, 0, 0, 4)),
                    _mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f));
  const __m128i high = _mm_srli_epi32(_mm_shuffle_epi32(w, _MM_SHUFFLE(1, 1, 0, 0)), 2);
  // (high & mask) | low
  const __m128i v = _mm_ternarylogic_epi32(high, _mm_setr_epi32(0, 0x30303030, 0, 0x30303030), low, 0xEA);
  return _mm256_cvtepu8_epi16(v);
}

// k4_scales_mins for four rows at once (a decode tile's), one row per
// 128-bit lane: the same operations, a quarter of the instructions.
inline void k4_scales_mins4(const std::uint8_t* const packed[4], __m256i sm[4]) {
  const auto row = [&](int r) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed[r])); };
  __m512i w = _mm512_castsi128_si512(row(0));
  w = _mm512_inserti32x4(w, row(1), 1);  // (the lane must be a constant for clang)
  w = _mm512_inserti32x4(w, row(2), 2);
  w = _mm512_inserti32x4(w, row(3), 3);
  const __m512i low = _mm512_and_si512(
      _mm512_srlv_epi32(_mm512_shuffle_epi32(w, _MM_PERM_CBCA), _mm512_broadcast_i32x4(_mm_setr_epi32(0, 0, 0, 4))),
      _mm512_broadcast_i32x4(_mm_setr_epi32(0x3f3f3f3f, 0x0f0f0f0f, 0x3f3f3f3f, 0x0f0f0f0f)));
  const __m512i high = _mm512_srli_epi32(_mm512_shuffle_epi32(w, _MM_PERM_BBAA), 2);
  const __m512i v =
      _mm512_ternarylogic_epi32(high, _mm512_broadcast_i32x4(_mm_setr_epi32(0, 0x30303030, 0, 0x30303030)), low, 0xEA);
  const __m512i rows01 = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(v));
  const __m512i rows23 = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(v, 1));
  sm[0] = _mm512_castsi512_si256(rows01);
  sm[1] = _mm512_extracti64x4_epi64(rows01, 1);
  sm[2] = _mm512_castsi512_si256(rows23);
  sm[3] = _mm512_extracti64x4_epi64(rows23, 1);
}

// Four vectors' lanes 0-7 summed into low's lanes 0-3 and their lanes 8-15
// into high's (integers: exact in any order). One transposed reduction
// instead of four horizontal ones.
inline void reduce_halves4(const __m512i v[4], __m128i& low, __m128i& high) {
  // Per 128-bit chunk: [v0 l0 + l2, v1 l0 + l2, v0 l1 + l3, v1 l1 + l3].
  const __m512i a = _mm512_add_epi32(_mm512_unpacklo_epi32(v[0], v[1]), _mm512_unpackhi_epi32(v[0], v[1]));
  const __m512i b = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2], v[3]), _mm512_unpackhi_epi32(v[2], v[3]));
  // Per chunk: each vector's sum over the chunk, v0 to v3.
  const __m512i c = _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
  const __m512i e = _mm512_add_epi32(c, _mm512_shuffle_i64x2(c, c, _MM_SHUFFLE(2, 3, 0, 1)));
  low = _mm512_castsi512_si128(e);
  high = _mm512_extracti32x4_epi32(e, 2);
}

// A K-quant super-block's integer products with the 256 values at q8:
// vpmaddubsw pairs the levels q[i] (unsigned, at most 63) with the values
// (no saturation: 63 x 127 x 2 < 2^15), vpdpwssd multiplies each pair by its
// int16 scale s[i] and accumulates; lanes 0-7 hold that sum's halves added,
// lanes 8-15 `second`'s 8 lanes.
inline __m512i k_dot(const __m512i q[4], const __m512i s[4], const std::int8_t* q8, __m256i second) {
  __m512i acc = _mm512_setzero_si512();
  for (int i = 0; i < 4; ++i)
    acc = _mm512_dpwssd_epi32(acc, _mm512_maddubs_epi16(q[i], _mm512_loadu_si512(q8 + 64 * i)), s[i]);
  const __m256i folded = _mm256_add_epi32(_mm512_castsi512_si256(acc), _mm512_extracti64x4_epi64(acc, 1));
  return _mm512_inserti64x4(_mm512_zextsi256_si512(folded), second, 1);
}

// The J activation vectors b .. b + J - 1 at super-block k, as the K-quant
// tiles use them: the 16 group sums as int16 (each at most 16 x 127), the scale.
template <int J>
struct KActs {
  KActs(const QuantizedActs& x, int b, std::int64_t k) {
    for (int t = 0; t < J; ++t) {
      bsums[t] = _mm512_cvtepi32_epi16(_mm512_loadu_si512(x.sum(b + t) + 16 * k));
      dx[t] = x.scale(b + t)[k];
    }
  }
  __m256i bsums[J];
  float dx[J];
};

// For the R x J tiles below, whose element i = r J + t is row r times
// vector t: lane l holds dx[t] * d[r] of element 4g + l (the last element's
// past the tile's R J).
template <int R, int J>
inline __m128 element_scales(const float* dx, const float* d, int g) {
  float p[4];
  for (int l = 0; l < 4; ++l) {
    const int i = std::min(4 * g + l, R * J - 1);
    p[l] = dx[i % J] * d[i / J];
  }
  return _mm_setr_ps(p[0], p[1], p[2], p[3]);
}

// Q4_K / Q5_K products in R x J tiles (dot_rows_tiled). A row's super-block
// is unpacked once for the tile's J vectors (Unpack: its 256 levels as four
// 64-byte vectors, sub-block 2j in the low half of vector j and 2j + 1 in the
// high half, the activations' order) with its scales as int16 lanes. Per
// element and super-block, in integers (exact, whatever the lane order):
// vpmaddubsw pairs levels x values (at most 31 x 127 x 2: no saturation),
// vpdpwssd multiplies the pairs by their sub-block's scale and accumulates:
// sumi = sum_j scale_j (q . x over sub-block j); vpmaddwd pairs the mins with
// the activations' group sums: summs = sum_j min_j sum_j(x). The tile's
// elements are reduced four at a time (reduce_halves4), and each element's
// float sum takes, super-block by super-block, exactly the portable
// product's operations: sum + ((dx d) sumi - (dx dmin) summs).
template <class Block, class Unpack>
struct TileK4 {
  template <int R, int J>
  void operator()(const Block* const* rows, std::int64_t blocks, const QuantizedActs& x, int b, float* out) const {
    constexpr int N = R * J, G = (N + 3) / 4;  // elements, groups of four
    // Vector j's int16 lanes 0-15 take sub-block 2j's scale, 16-31 2j + 1's;
    // the mins' lanes 2i and 2i + 1 take min i (a pair of 16-value groups).
    __m512i scale_index[4];
    for (int j = 0; j < 4; ++j)
      scale_index[j] = _mm512_mask_blend_epi16(0xFFFF0000u, _mm512_set1_epi16(static_cast<short>(2 * j)),
                                               _mm512_set1_epi16(static_cast<short>(2 * j + 1)));
    const __m256i min_index = _mm256_setr_epi16(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    __m128 sum[G];
    for (int g = 0; g < G; ++g) sum[g] = _mm_setzero_ps();
    for (std::int64_t k = 0; k < blocks; ++k) {
      prefetch_next_tile<R>(rows, blocks, k);
      const KActs<J> xs(x, b, k);
      // Element i = r J + t: lanes 0-7 sum to its sumi, lanes 8-15 to its summs.
      __m512i v[4 * G];
      float d[R], dmin[R];
      __m256i sm4[4];  // a decode tile's four rows' scales and mins, unpacked together
      if constexpr (R == 4) {
        const std::uint8_t* packed[4] = {rows[0][k].scales, rows[1][k].scales, rows[2][k].scales, rows[3][k].scales};
        k4_scales_mins4(packed, sm4);
      }
      for (int r = 0; r < R; ++r) {
        const Block& B = rows[r][k];
        __m512i q[4], s[4];
        Unpack{}(B, q);
        __m256i sm;
        if constexpr (R == 4)
          sm = sm4[r];
        else
          sm = k4_scales_mins(B.scales);
        for (int j = 0; j < 4; ++j) s[j] = _mm512_permutexvar_epi16(scale_index[j], _mm512_castsi256_si512(sm));
        const __m256i mins = _mm256_permutexvar_epi16(min_index, sm);
        d[r] = half_to_f32(B.d);
        dmin[r] = half_to_f32(B.dmin);
        for (int t = 0; t < J; ++t)
          v[r * J + t] = k_dot(q, s, x.q(b + t) + 256 * k, _mm256_madd_epi16(mins, xs.bsums[t]));
      }
      for (int i = N; i < 4 * G; ++i) v[i] = _mm512_setzero_si512();
      for (int g = 0; g < G; ++g) {
        __m128i sumi, summs;
        reduce_halves4(v + 4 * g, sumi, summs);
        __m128 dxd, dxm;                   // dx d and dx dmin of the group's elements
        if constexpr (R == 4 && J == 1) {  // decode: the four rows' d and dmin converted together
          static_assert(offsetof(Block, dmin) == offsetof(Block, d) + 2);
          std::uint32_t h[4];
          for (int r = 0; r < 4; ++r) std::memcpy(&h[r], &rows[r][k].d, 4);  // d, then dmin
          const __m256 both = _mm256_permutevar8x32_ps(_mm256_cvtph_ps(_mm_setr_epi32(h[0], h[1], h[2], h[3])),
                                                       _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
          const __m128 dx = _mm_set1_ps(xs.dx[0]);
          dxd = _mm_mul_ps(dx, _mm256_castps256_ps128(both));
          dxm = _mm_mul_ps(dx, _mm256_extractf128_ps(both, 1));
        } else {
          dxd = element_scales<R, J>(xs.dx, d, g);
          dxm = element_scales<R, J>(xs.dx, dmin, g);
        }
        const __m128 a = _mm_mul_ps(dxd, _mm_cvtepi32_ps(sumi));
        const __m128 c = _mm_mul_ps(dxm, _mm_cvtepi32_ps(summs));
        sum[g] = _mm_add_ps(sum[g], _mm_sub_ps(a, c));
      }
    }
    for (int i = 0; i < N; ++i) out[i] = sum[i / 4][i % 4];
  }
};
#endif

// The one of those for `type`.
void dequantize(const void* src, WeightType type, std::int64_t n, float* out);

// y[b][i] = W[sel(i)] . x[b] for a quantized W (matmul.cpp's entry).
void quantized_matmul(const Matrix& w, RowSelection sel, std::int64_t n_rows, const float* x, int batch, float* y);

}  // namespace qwen3::kernels::detail
