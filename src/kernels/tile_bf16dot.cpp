// BF16 weights with bf16-rounded activations on vdpbf16ps: each instruction
// multiplies 16 lanes x 2 k positions and adds both products into an f32
// lane, twice the FLOPs of an f32 FMA. A bf16 row already holds the (k, k+1)
// pairs vdpbf16ps wants, so neither weights nor activations are repacked.
// Highway 1.0.3 has no vdpbf16ps (its bf16 ReorderWidenMulAccumulate widens
// and uses FMAs), hence the intrinsics.
#include <hwy/highway.h>

#include "kernels/tile_kernel.h"

#if defined(__AVX512BF16__) && defined(__AVX512F__)
#include <immintrin.h>

namespace qwen3::kernels::detail {
namespace {
namespace hn = hwy::HWY_NAMESPACE;

struct Bf16DotOps {
  using WT = std::uint16_t;
  using XT = std::uint16_t;
  using V = __m512;
  static constexpr int kStep = 32;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static __m512bh load_w(const std::uint16_t* p) { return (__m512bh)_mm512_loadu_si512(p); }
  // Once into a register for the tile's rows (see tile_f32ops.h).
  static __m512bh load_x(const std::uint16_t* p) {
    __m512i v = _mm512_loadu_si512(p);
    asm("" : "+v"(v));
    return (__m512bh)v;
  }
  static V madd(V acc, __m512bh w, __m512bh x) { return _mm512_dpbf16_ps(acc, w, x); }
  // Highway's horizontal sum (the one the f32 kernels use; GCC 12's
  // _mm512_reduce_add_ps warns of an uninitialised intermediate).
  static float reduce(V v) {
    hn::Vec512<float> h;
    h.raw = v;
    return hn::GetLane(hn::SumOfLanes(hn::Full512<float>(), h));
  }
};

}  // namespace

TileKernel tile_kernel_bf16dot() {
  return TileKernel{&tile_rows<Bf16DotOps>, tile_state_floats<Bf16DotOps>(), Bf16DotOps::kStep};
}

}  // namespace qwen3::kernels::detail

#else

namespace qwen3::kernels::detail {
TileKernel tile_kernel_bf16dot() { return {}; }
}  // namespace qwen3::kernels::detail

#endif
