// BF16 weights with bf16-rounded activations on vdpbf16ps: each instruction
// multiplies 16 lanes x 2 k positions and adds both products into an f32
// lane, twice the FLOPs of an f32 FMA. Highway 1.0.3 has no vdpbf16ps (its
// bf16 ReorderWidenMulAccumulate widens and uses FMAs), hence the intrinsics.
//
// The order of the sums is the blocked prefill kernel's (blocked_bf16dot.cpp):
// output (token b, row i) is one chain over the k pairs s = 0, 1, ... of
//   acc = vdpbf16ps(acc, (W[i][2s], W[i][2s+1]), (x[b][2s], x[b][2s+1]))
// from acc = 0, with a zero upper half in a last half pair (odd K). Prefill
// runs it with one row per lane from packed panels; decode (below) with the
// weights as stored, transposing 16 rows x 16 pairs in registers, so that a
// token gives the same bits alone, in a batch or in a prompt.
#include "kernels/bf16_pairs.h"
#include "kernels/tile_kernel.h"

#if defined(__AVX512BF16__) && defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

#include <hwy/cache_control.h>

namespace qwen3::kernels::detail {
namespace {

// One step: 16 rows x `pairs` k pairs from k (all 16 but in a last, partial
// step, whose loads are masked to the `left` values that exist).
template <int B, bool kFull>
inline void step(const std::uint16_t* const w[kLanes], int nr, std::int64_t k, std::int64_t left, const TileJob& job,
                 __m512 acc[B]) {
  const std::uint16_t* x = static_cast<const std::uint16_t*>(job.x) + k;
  const __mmask32 mask = kFull ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1);
  __m512i v[kLanes];
#pragma GCC unroll 16
  for (int r = 0; r < kLanes; ++r) {
    if (kFull && job.prefetch) hwy::Prefetch(reinterpret_cast<const char*>(w[r] + k) + kPrefetchBytes);
    if (kFull && r < nr)
      v[r] = _mm512_loadu_si512(w[r] + k);
    else
      v[r] = r < nr ? _mm512_maskz_loadu_epi16(mask, w[r] + k) : _mm512_setzero_si512();
  }
  transpose16(v);
  const int pairs = kFull ? kLanes : static_cast<int>((left + 1) / 2);
#pragma GCC unroll 16
  for (int q = 0; q < kLanes; ++q) {
    if (!kFull && q >= pairs) break;
#pragma GCC unroll 6
    for (int b = 0; b < B; ++b) {
      // x's rows are padded with zeros to whole lines (matmul.cpp), so a
      // last half pair reads (x[K - 1], 0).
      std::uint32_t pair;
      std::memcpy(&pair, x + b * job.x_stride + 2 * q, 4);
      acc[b] = _mm512_dpbf16_ps(acc[b], (__m512bh)v[q], (__m512bh)_mm512_set1_epi32(static_cast<int>(pair)));
    }
  }
}

// Rows [i0, i0 + nr) (nr <= 16) x tokens [0, B) over all of k.
template <int B>
void group(const TileJob& job, std::int64_t i0, int nr) {
  const std::int64_t K = job.w->cols;
  const std::uint16_t* w[kLanes];
  for (int r = 0; r < kLanes; ++r)
    w[r] = static_cast<const std::uint16_t*>(job.w->data) + job.sel(i0 + (r < nr ? r : 0) * job.row_step) * K;
  __m512 acc[B];
#pragma GCC unroll 6
  for (int b = 0; b < B; ++b) acc[b] = _mm512_setzero_ps();
  const std::int64_t full_end = K / (2 * kLanes) * (2 * kLanes);
  for (std::int64_t k = 0; k < full_end; k += 2 * kLanes) step<B, true>(w, nr, k, 2 * kLanes, job, acc);
  if (full_end < K) step<B, false>(w, nr, full_end, K - full_end, job, acc);
  const __mmask16 rows = static_cast<__mmask16>((1u << nr) - 1);
  if (job.row_step == 1) {
#pragma GCC unroll 6
    for (int b = 0; b < B; ++b) _mm512_mask_storeu_ps(job.y + b * job.y_stride + i0, rows, acc[b]);
    return;
  }
  alignas(64) float out[kLanes];
  for (int b = 0; b < B; ++b) {
    _mm512_store_ps(out, acc[b]);
    for (int r = 0; r < nr; ++r) job.y[b * job.y_stride + i0 + r * job.row_step] = out[r];
  }
}

// The TileRowsFn of decode: rows [r0, r1) x tokens [t0, t0 + nt) over all
// of k (k0 = 0, k1 = K; there is no parked state).
void rows_by_pairs(const TileJob& job, std::int64_t r0, std::int64_t r1, int, int t0, int nt, std::int64_t,
                   std::int64_t, float*) {
  TileJob j = job;
  j.x = static_cast<const std::uint16_t*>(job.x) + (t0 - job.x_t0) * job.x_stride;
  j.y = job.y + t0 * job.y_stride;
  static constexpr void (*kGroup[kTileTokens])(const TileJob&, std::int64_t, int) = {&group<1>, &group<2>, &group<3>,
                                                                                     &group<4>, &group<5>, &group<6>};
  if (job.row_step > 1) {
    for (std::int64_t i = r0; i < r1; ++i) kGroup[nt - 1](j, i, kLanes);
    return;
  }
  for (std::int64_t i = r0; i < r1; i += kLanes)
    kGroup[nt - 1](j, i, static_cast<int>(std::min<std::int64_t>(kLanes, r1 - i)));
}

}  // namespace

TileKernel tile_kernel_bf16dot() { return TileKernel{&rows_by_pairs, 0, 2 * kLanes, kLanes}; }

}  // namespace qwen3::kernels::detail

#else

namespace qwen3::kernels::detail {
TileKernel tile_kernel_bf16dot() { return {}; }
}  // namespace qwen3::kernels::detail

#endif
