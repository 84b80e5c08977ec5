#pragma once
// Ops for tile_kernel.h with f32 activations: a weight vector is widened to
// f32 (exactly) by Widen, then one FMA per k position; the accumulator is a
// full SIMD vector of f32 (Highway, the static target of -march).
#include <hwy/highway.h>

#include "kernels/tile_kernel.h"

namespace qwen3::kernels::detail {
namespace hn = hwy::HWY_NAMESPACE;

template <class T, class Widen>
struct F32ActivationOps {
  using D = hn::ScalableTag<float>;
  using WT = T;
  using XT = float;
  using V = hn::Vec<D>;
  static constexpr int kStep = static_cast<int>(hn::MaxLanes(D()));
  static V zero() { return hn::Zero(D()); }
  static V load(const float* p) { return hn::LoadU(D(), p); }
  static void store(float* p, V v) { hn::StoreU(v, D(), p); }
  static V load_w(const T* p) { return Widen{}(D(), p); }
  // Loaded once into a register for the tile's rows: left to itself, GCC
  // folds the load into each of the R multiply-adds (R loads instead of one).
  static V load_x(const float* p) {
    V v = hn::LoadU(D(), p);
    asm("" : "+v"(v.raw));
    return v;
  }
  static V madd(V acc, V w, V x) { return hn::MulAdd(w, x, acc); }
  static float reduce(V v) { return hn::GetLane(hn::SumOfLanes(D(), v)); }
};

template <class Ops>
TileKernel make_tile_kernel() {
  return TileKernel{&tile_rows<Ops>, tile_state_floats<Ops>(), Ops::kStep};
}

}  // namespace qwen3::kernels::detail
