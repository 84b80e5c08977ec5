// F32 weights: loaded as they are.
#include "kernels/convert.h"
#include "kernels/pack_gather.h"
#include "kernels/tile_f32ops.h"

namespace qwen3::kernels::detail {
namespace {
struct Load {
  template <class D>
  auto operator()(D d, const float* p) const {
    return hn::LoadU(d, p);
  }
};
}  // namespace

TileKernel tile_kernel_f32() { return make_tile_kernel<F32ActivationOps<float, Load>>(); }

void pack_panel_f32(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                    float* panel) {
  pack_panel_impl<float>(w, sel, row0, n, k0, kc, panel, [](float v) { return v; });
}

}  // namespace qwen3::kernels::detail
