#pragma once
// BF16 weights as (k, k+1) pairs, the operand vdpbf16ps multiplies: a 16 x 16
// transpose of 32-bit pairs, shared by the decode kernel (tile_bf16dot.cpp),
// which transposes rows in registers, and the blocked prefill kernel's
// panel packing (blocked_bf16dot.cpp). AVX-512 only.
#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>

// GCC 12's unpack intrinsics pass _mm512_undefined_epi32() as the unused
// merge source, which -Wuninitialized reports once inlined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace qwen3::kernels::detail {

inline constexpr int kLanes = 16;  // rows per transposed group; also k pairs per vector

// v[r] (row r's 16 pairs) -> v[q] (pair q of the 16 rows), 64 shuffles.
inline void transpose16(__m512i v[kLanes]) {
  __m512i t[kLanes], u[kLanes];
#pragma GCC unroll 8
  for (int a = 0; a < 8; ++a) {
    t[2 * a] = _mm512_unpacklo_epi32(v[2 * a], v[2 * a + 1]);
    t[2 * a + 1] = _mm512_unpackhi_epi32(v[2 * a], v[2 * a + 1]);
  }
  // u[4b + j], 128-bit lane L: rows 4b..4b+3 at pair 4L + j.
#pragma GCC unroll 4
  for (int b = 0; b < 4; ++b) {
    u[4 * b + 0] = _mm512_unpacklo_epi64(t[4 * b], t[4 * b + 2]);
    u[4 * b + 1] = _mm512_unpackhi_epi64(t[4 * b], t[4 * b + 2]);
    u[4 * b + 2] = _mm512_unpacklo_epi64(t[4 * b + 1], t[4 * b + 3]);
    u[4 * b + 3] = _mm512_unpackhi_epi64(t[4 * b + 1], t[4 * b + 3]);
  }
#pragma GCC unroll 4
  for (int j = 0; j < 4; ++j) {
    const __m512i p_lo = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x44), p_hi = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xEE);
    const __m512i q_lo = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0x44);
    const __m512i q_hi = _mm512_shuffle_i32x4(u[8 + j], u[12 + j], 0xEE);
    v[j] = _mm512_shuffle_i32x4(p_lo, q_lo, 0x88);
    v[4 + j] = _mm512_shuffle_i32x4(p_lo, q_lo, 0xDD);
    v[8 + j] = _mm512_shuffle_i32x4(p_hi, q_hi, 0x88);
    v[12 + j] = _mm512_shuffle_i32x4(p_hi, q_hi, 0xDD);
  }
}

}  // namespace qwen3::kernels::detail

#endif
