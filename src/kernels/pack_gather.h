#pragma once
// Vectorised panel packing for 16-bit weight dtypes on AVX-512: one 32-bit
// gather fetches the (k, k+1) pair of 16 rows at once, which is then split
// into two f32 columns of the panel. A scalar, row-by-row transpose costs
// about 5 cycles per weight (a scattered store each); this costs well under one.
// Returns false when it cannot be used (no AVX-512, or offsets beyond int32),
// and the caller packs with the scalar loop.
#include <cstdint>

#include "kernels/matmul_internal.h"

#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#endif

namespace qwen3::kernels::detail {

// SplitPair(__m512i pairs, __m512& even, __m512& odd): the two f32 columns.
template <class SplitPair>
bool pack_panel_gather16(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                         float* panel, SplitPair split) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  static_assert(kPanelRows == 32);
  if (w.rows * w.cols >= (std::int64_t{1} << 31) - 2 || n < 1) return false;
  const auto* base = static_cast<const std::uint16_t*>(w.data);
  alignas(64) std::int32_t offsets[kPanelRows];
  for (int r = 0; r < kPanelRows; ++r)
    offsets[r] = static_cast<std::int32_t>(sel(row0 + (r < n ? r : 0)) * w.cols + k0);
  const __m512i idx0 = _mm512_load_si512(offsets), idx1 = _mm512_load_si512(offsets + 16);
  const __mmask16 m0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xffff) : n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1);
  const __m512i zero = _mm512_setzero_si512();
  const int pairs = kc / 2;
  for (int s = 0; s < pairs; ++s) {
    const __m512i step = _mm512_set1_epi32(2 * s);
    const __m512i p0 = _mm512_mask_i32gather_epi32(zero, m0, _mm512_add_epi32(idx0, step), base, 2);
    const __m512i p1 = _mm512_mask_i32gather_epi32(zero, m1, _mm512_add_epi32(idx1, step), base, 2);
    __m512 e0, o0, e1, o1;
    split(p0, e0, o0);
    split(p1, e1, o1);
    float* col = panel + 2 * s * kPanelRows;
    _mm512_store_ps(col, e0);
    _mm512_store_ps(col + 16, e1);
    _mm512_store_ps(col + kPanelRows, o0);
    _mm512_store_ps(col + kPanelRows + 16, o1);
  }
  if (kc % 2) {
    // The last column alone: a pair would read past the end of the row.
    const int k = kc - 1;
    for (int r = 0; r < kPanelRows; ++r) {
      if (r < n) {
        const __m512i one = _mm512_set1_epi32(base[offsets[r] + k]);
        __m512 e, o;
        split(one, e, o);
        panel[k * kPanelRows + r] = _mm512_cvtss_f32(e);
      } else {
        panel[k * kPanelRows + r] = 0.f;
      }
    }
  }
  return true;
#else
  return false;
#endif
}

// Panel packing for any dtype: scalar widening, row by row (the packing is
// O(rows x cols) against the O(rows x cols x batch) multiply).
template <class T, class ScalarWiden>
void pack_panel_impl(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc, float* panel,
                     ScalarWiden scalar) {
  const T* base = static_cast<const T*>(w.data);
  for (int r = 0; r < n; ++r) {
    const T* src = base + sel(row0 + r) * w.cols + k0;
    for (int k = 0; k < kc; ++k) panel[k * kPanelRows + r] = scalar(src[k]);
  }
  for (int r = n; r < kPanelRows; ++r)
    for (int k = 0; k < kc; ++k) panel[k * kPanelRows + r] = 0.f;
}

}  // namespace qwen3::kernels::detail
