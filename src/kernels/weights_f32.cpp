// F32 weights: loaded as they are.
#include "kernels/dot_rows.h"

namespace qwen3::kernels::detail {
namespace {
struct Load {
  template <class D>
  auto operator()(D d, const float* p) const {
    return hn::LoadU(d, p);
  }
};
float identity(float v) { return v; }
}  // namespace

void dot_rows_f32(const Matrix& w, RowSelection sel, std::int64_t begin, std::int64_t end, const float* x, int batch,
                  float* y, std::int64_t y_stride) {
  dot_rows_impl<float>(w, sel, begin, end, x, batch, y, y_stride, Load{}, identity);
}

void pack_panel_f32(const Matrix& w, RowSelection sel, std::int64_t row0, int n, std::int64_t k0, int kc,
                    float* panel) {
  pack_panel_impl<float>(w, sel, row0, n, k0, kc, panel, identity);
}

}  // namespace qwen3::kernels::detail
