// Thread count of every kernel. One OpenMP team, sized once, so kernels never
// nest parallel regions or oversubscribe the cores.
#include <omp.h>

#include <string>

#include "kernels/kernels.h"
#include "qwen3/error.h"

namespace qwen3::kernels {

void set_num_threads(int n) {
  if (n < 1) throw Error("kernels::set_num_threads: expected a thread count >= 1, got " + std::to_string(n));
  omp_set_dynamic(0);
  omp_set_max_active_levels(1);
  omp_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace qwen3::kernels
