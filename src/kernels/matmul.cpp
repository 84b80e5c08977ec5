// matmul / matmul_rows: argument checks, the dispatch on the weight dtype and
// precision, and the split of the work across threads: decode streams row
// chunks, prefill works on blocks of tokens x rows. Both run the same tile
// kernel (tile_kernel.h), so the result does not depend on the batch.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "kernels/kernels.h"
#include "kernels/convert.h"
#include "kernels/matmul_internal.h"
#include "kernels/quant.h"
#include "kernels/tile_kernel.h"
#include "qwen3/error.h"

namespace qwen3::kernels {
namespace {

using detail::RowSelection;

std::atomic<MatmulPrecision> g_precision{MatmulPrecision::Exact};
std::atomic<bool> g_batch_invariant{true};

void check_matrix(const char* fn, const Matrix& w) {
  if (w.data == nullptr) throw Error(std::string("kernels::") + fn + ": weight matrix has no data");
  if (w.rows < 1 || w.cols < 1)
    throw Error(std::string("kernels::") + fn + ": weight shape must be positive, got [" + std::to_string(w.rows) +
                "x" + std::to_string(w.cols) + "]");
  if (w.type > WeightType::Q6_K)
    throw Error(std::string("kernels::") + fn + ": unsupported weight type " +
                std::to_string(static_cast<int>(w.type)));
  if (w.cols % block_elements(w.type) != 0)
    throw Error(std::string("kernels::") + fn + ": " + weight_type_name(w.type) + " rows of " + std::to_string(w.cols) +
                " are not whole blocks of " + std::to_string(block_elements(w.type)));
}

void check_batch(const char* fn, int batch, const float* x, const float* y) {
  if (batch < 1) throw Error(std::string("kernels::") + fn + ": batch must be >= 1, got " + std::to_string(batch));
  if (x == nullptr || y == nullptr) throw Error(std::string("kernels::") + fn + ": null input or output");
}

detail::TileKernel f32_activation_kernel(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return detail::tile_kernel_f32();
    case WeightType::BF16:
      return detail::tile_kernel_bf16();
    case WeightType::F16:
      return detail::tile_kernel_f16();
    default:
      break;
  }
  return {};  // unreachable: check_matrix rejected the type
}

// Prefill blocking (see run). The register tile of prefill is the decode
// tile, 4 rows x 6 tokens, which reads 10 vectors per 24 multiply-adds, so
// both its operands must come from L1. A work item is kBlockTokens tokens x
// kBlockRows rows; it runs k in passes of kBlockKBytes of activations per
// token (512 f32 or 1024 bf16 values). Within a pass, a 6-token tile's
// activations (12 KiB) stay in L1 while it sweeps every row of the block,
// whose weights for the pass (kBlockRows x 2 KiB of bf16) stay in L2 while
// the token tiles take their turn. Each copy of a weight row into the
// aligned pack is then used by kBlockTokens tokens, and each activation
// load from L2 by kBlockRows rows.
constexpr int kGemmRows = detail::kTileRows;
constexpr int kGemmTokens = detail::kTileTokens;
constexpr int kBlockTokens = 16 * kGemmTokens;
constexpr std::int64_t kBlockKBytes = 2048;
constexpr std::int64_t kBlockRows = 64;
// Batches up to this many tokens (decode, and the server's batched decode
// steps) stream the weights: each group of kStreamRows rows is read from
// memory once and applied to every token tile from L1/L2. Beyond it, the
// prefill blocking (above) pays for its copies.
constexpr int kStreamBatch = 4 * detail::kTileTokens;
constexpr std::int64_t kStreamRows = 16;

detail::PackPanelFn pack_panel_for(WeightType t) {
  switch (t) {
    case WeightType::F32:
      return detail::pack_panel_f32;
    case WeightType::BF16:
      return detail::pack_panel_bf16;
    case WeightType::F16:
      return detail::pack_panel_f16;
    default:
      break;
  }
  return nullptr;
}

// A tile-kernel product set up: the kernel, its job and the activations it
// reads. Prefill reads them from a copy whose rows start on 64-byte lines
// (a vector load that straddles two lines costs two), bf16-rounded once per
// matmul when the precision asks for it, the same for every tile.
struct Prepared {
  detail::TileKernel kernel;
  detail::TileJob job;
  std::unique_ptr<unsigned char[], detail::FreeDeleter> x_copy;
  std::size_t x_size = 4;
};

// Whether w's products take bf16-rounded activations (BF16 weights under
// MatmulPrecision::Bf16Activations).
bool rounds_activations(const Matrix& w) {
  return w.type == WeightType::BF16 && g_precision.load(std::memory_order_relaxed) == MatmulPrecision::Bf16Activations;
}

void prepare(const Matrix& w, RowSelection sel, std::int64_t n, const float* x, int batch, float* y, Prepared& p) {
  const std::int64_t K = w.cols;
  detail::TileKernel kernel;
  const bool rounded = rounds_activations(w);
  if (rounded) kernel = detail::tile_kernel_bf16dot();
  const bool bf16_activations = kernel.fn != nullptr;
  if (!bf16_activations) kernel = f32_activation_kernel(w.type);
  // A build without vdpbf16ps (QWEN3_NATIVE=OFF, or a CPU without
  // AVX512_BF16) still rounds the activations to bf16, kept as f32 for the
  // f32 kernel: the same product up to the order of the f32 sums.
  const bool round_in_f32 = rounded && !bf16_activations;

  const std::size_t x_size = bf16_activations ? 2 : 4;
  const bool prefill = batch > detail::kTileTokens;
  const std::int64_t per_line = 64 / static_cast<std::int64_t>(x_size);
  // (The bf16 kernel reads a last half pair of an odd K as (x[K - 1], 0).)
  const std::int64_t stride = prefill || bf16_activations ? (K + per_line - 1) / per_line * per_line : K;
  const bool copy =
      bf16_activations || round_in_f32 || (prefill && (stride != K || reinterpret_cast<std::uintptr_t>(x) % 64 != 0));
  if (copy) {
    p.x_copy = detail::aligned_buffer<unsigned char>(static_cast<std::size_t>(batch * stride) * x_size);
    unsigned char* const out = p.x_copy.get();
    const auto convert = [&](std::int64_t b, int) {
      unsigned char* row = out + b * stride * static_cast<std::int64_t>(x_size);
      if (bf16_activations) {
        detail::f32_to_bf16_row(x + b * K, K, reinterpret_cast<std::uint16_t*>(row));
      } else if (round_in_f32) {
        auto* out_row = reinterpret_cast<float*>(row);
        for (std::int64_t k = 0; k < K; ++k) out_row[k] = detail::bf16_to_f32(detail::f32_to_bf16(x[b * K + k]));
      } else {
        std::memcpy(row, x + b * K, K * x_size);
      }
      std::memset(row + K * x_size, 0, (stride - K) * x_size);
    };
    if (batch < 8)
      for (int b = 0; b < batch; ++b) convert(b, 0);
    else
      parallel_for(batch, convert);
  }
  p.x_size = x_size;
  p.kernel = kernel;
  detail::TileJob& job = p.job;
  job.w = &w;
  job.sel = sel;
  job.x = copy ? static_cast<const void*>(p.x_copy.get()) : x;
  job.x_stride = stride;
  job.y = y;
  job.y_stride = n;
  job.prefetch = batch <= kStreamBatch;
}

// Decode (and batches up to one tile): every weight row is streamed once
// and dotted with all the tokens. Rows are dealt in chunks of a multiple
// of 16 (no two threads write the same 64-byte line of y), several per
// thread, claimed dynamically, so that a thread the OS delays (the machine
// is shared) does not hold up the others. A chunk is still hundreds of
// KiB of contiguous weights, long enough for the hardware prefetchers.
std::int64_t decode_chunk(std::int64_t n) {
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), (n + 15) / 16));
  constexpr std::int64_t kChunksPerThread = 8;
  return threads == 1 ? n : std::max<std::int64_t>(16, (n / (threads * kChunksPerThread) + 15) / 16 * 16);
}

// Decode: rows [r0, r1) of a chunk. Each register tile takes its rows
// (kernel.tile_rows of them) a 1/tile_rows of the chunk apart, so that it
// reads that many long sequential streams (runs of consecutive rows), which
// the hardware prefetchers follow, rather than that many short rows side by
// side, which they do not (2 threads, 2560-wide BF16 rows: 38.5 -> 47 GB/s).
// The rows left over, fewer than a tile per stream, as usual.
void decode_rows(const detail::TileKernel& kernel, const detail::TileJob& job, std::int64_t r0, std::int64_t r1,
                 int batch, std::int64_t K) {
  const std::int64_t step = (r1 - r0) / kernel.tile_rows;
  if (step >= 8) {
    detail::TileJob strided = job;
    strided.row_step = step;
    kernel.fn(strided, r0, r0 + step, kernel.tile_rows, 0, batch, 0, K, nullptr);
    r0 += step * kernel.tile_rows;
  }
  if (r0 < r1) kernel.fn(job, r0, r1, kernel.tile_rows, 0, batch, 0, K, nullptr);
}

void run(const Matrix& w, RowSelection sel, std::int64_t n, const float* x, int batch, float* y) {
  if (is_quantized(w.type)) return detail::quantized_matmul(w, sel, n, x, batch, y);
  // BF16 weights x bf16 activations: prefill runs the blocked kernel, whose
  // sums are the decode kernel's (tile_bf16dot.cpp), so it is invariant too.
  const bool bf16_acts = rounds_activations(w);
  const bool bf16_dot = bf16_acts && detail::tile_kernel_bf16dot().fn != nullptr;
  if (batch > kStreamBatch && bf16_dot && detail::blocked_matmul_bf16dot(w, sel, n, x, batch, y)) return;
  if (batch > detail::kTileTokens && !bf16_acts && !g_batch_invariant.load(std::memory_order_relaxed))
    return detail::blocked_matmul_f32(w, sel, n, x, batch, y, pack_panel_for(w.type));
  const std::int64_t K = w.cols;
  Prepared p;
  prepare(w, sel, n, x, batch, y, p);
  const detail::TileKernel& kernel = p.kernel;

  if (batch <= kStreamBatch) {
    const std::int64_t chunk = decode_chunk(n);
    parallel_for((n + chunk - 1) / chunk, [&](std::int64_t c, int) {
      const std::int64_t r0 = c * chunk, r1 = std::min(n, r0 + chunk);
      if (batch <= detail::kTileTokens) return decode_rows(kernel, p.job, r0, r1, batch, K);
      for (std::int64_t i = r0; i < r1; i += kStreamRows)
        for (int t = 0; t < batch; t += detail::kTileTokens)
          kernel.fn(p.job, i, std::min(r1, i + kStreamRows), detail::kTileRows, t,
                    std::min(detail::kTileTokens, batch - t), 0, K, nullptr);
    });
    return;
  }

  // Prefill: work items of kBlockTokens tokens x kBlockRows rows, in
  // token-block-major order (the threads share one block of activations
  // while they sweep the rows). An item runs k in passes of kBlockK, parking
  // each tile's accumulators in between; that changes no rounding (see
  // tile_kernel.h), so the result is the decode path's, bit for bit.
  const std::int64_t kBlockK = kBlockKBytes / static_cast<std::int64_t>(p.x_size);
  const std::int64_t w_size = w.type == WeightType::F32 ? 4 : 2;
  const std::int64_t row_blocks = (n + kBlockRows - 1) / kBlockRows;
  const std::int64_t token_blocks = (batch + kBlockTokens - 1) / kBlockTokens;
  const std::int64_t per_token_tile = kBlockRows / kGemmRows * kernel.state_floats;
  const std::int64_t state_per_thread = kBlockTokens / kGemmTokens * per_token_tile;
  auto states = detail::aligned_buffer<float>(static_cast<std::size_t>(state_per_thread) * num_threads());
  // The block's weight rows for one k pass, copied to 64-byte aligned rows
  // (a safetensors tensor starts at any even offset) unless every row of W
  // already starts on a line.
  const bool pack_w = sel.list != nullptr || reinterpret_cast<std::uintptr_t>(w.data) % 64 != 0 || K * w_size % 64 != 0;
  const std::size_t w_pack_bytes = pack_w ? static_cast<std::size_t>(kBlockRows * kBlockK * w_size) : 0;
  auto w_packs = detail::aligned_buffer<unsigned char>(w_pack_bytes * num_threads());
  parallel_for(token_blocks * row_blocks, [&](std::int64_t item, int thread) {
    const std::int64_t r0 = item % row_blocks * kBlockRows, r1 = std::min(n, r0 + kBlockRows);
    const int t_begin = static_cast<int>(item / row_blocks) * kBlockTokens;
    const int t_end = std::min(batch, t_begin + kBlockTokens);
    float* state = states.get() + state_per_thread * thread;
    unsigned char* w_pack = w_packs.get() + w_pack_bytes * thread;
    for (std::int64_t k0 = 0; k0 < K; k0 += kBlockK) {
      const std::int64_t k1 = std::min(K, k0 + kBlockK);
      detail::TileJob job = p.job;
      if (pack_w) {
        for (std::int64_t i = r0; i < r1; ++i)
          std::memcpy(w_pack + (i - r0) * kBlockK * w_size,
                      static_cast<const unsigned char*>(w.data) + (sel(i) * K + k0) * w_size, (k1 - k0) * w_size);
        job.w_packed = w_pack;
        job.w_stride = kBlockK;
        job.w_k0 = k0;
        job.w_r0 = r0;
      }
      // While the token tiles compute, the next pass's weights are fetched
      // into L2, a few rows before each tile, so the copy above reads them
      // from there instead of stalling on memory.
      const std::int64_t next_bytes = (std::min(K, k1 + kBlockK) - k1) * w_size;
      const int tiles = (t_end - t_begin + kGemmTokens - 1) / kGemmTokens;
      const std::int64_t rows_per_tile = (r1 - r0 + tiles - 1) / tiles;
      for (int t = t_begin, ti = 0; t < t_end; t += kGemmTokens, ++ti) {
        for (std::int64_t i = r0 + ti * rows_per_tile; i < std::min(r1, r0 + (ti + 1) * rows_per_tile); ++i) {
          const unsigned char* row = static_cast<const unsigned char*>(w.data) + (sel(i) * K + k1) * w_size;
          for (std::int64_t b = 0; b < next_bytes; b += 64) __builtin_prefetch(row + b, 0, 2);
        }
        kernel.fn(job, r0, r1, kGemmRows, t, std::min(kGemmTokens, t_end - t), k0, k1, state + ti * per_token_tile);
      }
    }
  });
}

}  // namespace

void set_matmul_precision(MatmulPrecision p) {
  if (p != MatmulPrecision::Exact && p != MatmulPrecision::Bf16Activations)
    throw Error("kernels::set_matmul_precision: unknown precision " + std::to_string(static_cast<int>(p)));
  g_precision.store(p);
}

MatmulPrecision matmul_precision() { return g_precision.load(); }

void set_batch_invariant(bool on) { g_batch_invariant.store(on); }

bool batch_invariant() { return g_batch_invariant.load(); }

void matmul(const Matrix& w, const float* x, int batch, float* y) {
  check_matrix("matmul", w);
  check_batch("matmul", batch, x, y);
  run(w, RowSelection{}, w.rows, x, batch, y);
}

void matmul_many(const Matrix* ws, int count, const float* x, int batch, float* const* ys) {
  for (int i = 0; i < count; ++i) {
    check_matrix("matmul_many", ws[i]);
    check_batch("matmul_many", batch, x, ys[i]);
    if (ws[i].cols != ws[0].cols)
      throw Error("kernels::matmul_many: matrices of " + std::to_string(ws[0].cols) + " and " +
                  std::to_string(ws[i].cols) + " columns share one input");
  }
  // Prefill (each product is long enough to be its own parallel region) and
  // quantized weights (their own kernels): one product after the other.
  const bool any_quantized = std::any_of(ws, ws + count, [](const Matrix& w) { return is_quantized(w.type); });
  if (batch > detail::kTileTokens || any_quantized) {
    for (int i = 0; i < count; ++i) run(ws[i], RowSelection{}, ws[i].rows, x, batch, ys[i]);
    return;
  }
  // Decode: the row chunks of every matrix in one parallel region (one wait
  // instead of `count`); each row is computed as matmul computes it.
  constexpr int kMax = 8;
  if (count < 1 || count > kMax)
    throw Error("kernels::matmul_many: 1 to " + std::to_string(kMax) + " matrices, got " + std::to_string(count));
  Prepared p[kMax];
  std::int64_t chunk[kMax], first[kMax + 1] = {0};
  for (int i = 0; i < count; ++i) {
    prepare(ws[i], RowSelection{}, ws[i].rows, x, batch, ys[i], p[i]);
    chunk[i] = decode_chunk(ws[i].rows);
    first[i + 1] = first[i] + (ws[i].rows + chunk[i] - 1) / chunk[i];
  }
  parallel_for(first[count], [&](std::int64_t item, int) {
    int i = 0;
    while (item >= first[i + 1]) ++i;
    const std::int64_t c = item - first[i], n = ws[i].rows;
    decode_rows(p[i].kernel, p[i].job, c * chunk[i], std::min(n, (c + 1) * chunk[i]), batch, ws[i].cols);
  });
}

void matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y) {
  check_matrix("matmul_rows", w);
  check_batch("matmul_rows", batch, x, y);
  if (n_rows < 0) throw Error("kernels::matmul_rows: n_rows must be >= 0, got " + std::to_string(n_rows));
  if (n_rows == 0) return;
  if (rows == nullptr) throw Error("kernels::matmul_rows: null row list");
  for (int i = 0; i < n_rows; ++i)
    if (rows[i] < 0 || rows[i] >= w.rows)
      throw Error("kernels::matmul_rows: rows[" + std::to_string(i) + "] = " + std::to_string(rows[i]) +
                  " is outside [0, " + std::to_string(w.rows) + ")");
  run(w, RowSelection{rows}, n_rows, x, batch, y);
}

}  // namespace qwen3::kernels
