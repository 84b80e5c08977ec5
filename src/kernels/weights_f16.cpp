// F16 weights: widened by the hardware conversion (vcvtph2ps / F16C).
#include "kernels/convert.h"
#include "kernels/pack_gather.h"
#include "kernels/tile_f32ops.h"

namespace qwen3::kernels::detail {
namespace {
struct Widen {
  template <class D>
  auto operator()(D d, const std::uint16_t* p) const {
    const hn::Rebind<hwy::float16_t, D> dh;
    return hn::PromoteTo(d, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(p)));
  }
};
}  // namespace

TileKernel tile_kernel_f16() { return make_tile_kernel<F32ActivationOps<std::uint16_t, Widen>>(); }

// GCC 12 reports the intrinsics' own _mm512_undefined_* operands (inlined
// from its headers) as "may be used uninitialized" here: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
void pack_panel_f16(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                    float* panel) {
#if defined(__AVX512F__) && defined(__AVX512BW__)
  const auto split = [](__m512i pair, __m512& even, __m512& odd) {
    even = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(pair));
    odd = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(pair, 16)));
  };
  if (pack_panel_gather16(w, sel, row0, n, k0, kc, panel, split)) return;
#endif
  pack_panel_impl<std::uint16_t>(w, sel, row0, n, k0, kc, panel, f16_to_f32);
}
#pragma GCC diagnostic pop

}  // namespace qwen3::kernels::detail
