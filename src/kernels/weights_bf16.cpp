// BF16 weights: the upper half of an f32, so widening is a 16-bit shift
// (exact; no rounding happens until the f32 FMA).
#include "kernels/convert.h"
#include "kernels/pack_gather.h"
#include "kernels/tile_f32ops.h"

namespace qwen3::kernels::detail {
namespace {
struct Widen {
  template <class D>
  auto operator()(D d, const std::uint16_t* p) const {
    const hn::Rebind<std::uint16_t, D> d16;
    const hn::RebindToUnsigned<D> d32;
    return hn::BitCast(d, hn::ShiftLeft<16>(hn::PromoteTo(d32, hn::LoadU(d16, p))));
  }
};
}  // namespace

TileKernel tile_kernel_bf16() { return make_tile_kernel<F32ActivationOps<std::uint16_t, Widen>>(); }

// GCC 12 reports the intrinsics' own _mm512_undefined_* operands (inlined
// from its headers) as "may be used uninitialized" here: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void pack_panel_bf16(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                     float* panel) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  const auto split = [](__m512i pair, __m512& even, __m512& odd) {
    even = _mm512_castsi512_ps(_mm512_slli_epi32(pair, 16));
    odd = _mm512_castsi512_ps(_mm512_and_si512(pair, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
  };
  if (pack_panel_gather16(w, sel, row0, n, k0, kc, panel, split)) return;
#endif
  pack_panel_impl<std::uint16_t>(w, sel, row0, n, k0, kc, panel, bf16_to_f32);
}
#pragma GCC diagnostic pop

}  // namespace qwen3::kernels::detail
