#pragma once
// The CPU kernels the Qwen3 forward pass is made of. Matrices stay in the
// dtype they are stored in (BF16 memory-mapped from safetensors, or F32), and
// every kernel converts on the fly, so decoding streams the weights once per
// token. Multithreaded inside (our own thread pool; thread count from
// set_num_threads).
// Quantized formats (ggml's Q8_0, Q4_0 and the K-quants Q4_K, Q5_K, Q6_K,
// as GGUF files hold them) are further WeightType values: their rows are
// arrays of blocks, and their products quantize the activations per block as
// llama.cpp does (src/kernels/quant.h).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace qwen3::kernels {

enum class WeightType : std::uint8_t { F32, BF16, F16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K };

// "f32", "bf16", "f16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k".
const char* weight_type_name(WeightType t);
bool is_quantized(WeightType t);
// Elements and bytes of one block (1 and the element size for F32/BF16/F16).
int block_elements(WeightType t);
int block_bytes(WeightType t);
// Bytes of a row of `cols` elements (cols a multiple of the block).
std::int64_t row_bytes(WeightType t, std::int64_t cols);

// A row-major weight matrix [rows, cols] (the Hugging Face Linear layout
// [out_features, in_features]); y = W x.
struct Matrix {
  const void* data = nullptr;
  WeightType type = WeightType::F32;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  // Rows repacked at load in panels of 16 (repack, below) rather than in
  // rows: matmul and matmul_many read it, row lists (matmul_rows) do not.
  bool packed = false;
};

// The number of threads every kernel uses (the caller's thread included);
// one process-wide setting. The default is the machine's hardware threads.
void set_num_threads(int n);
int num_threads();

// Runs fn(ctx, item, thread) for every item in [0, n) on the kernels' threads
// (src/kernels/threads.cpp: a persistent pool whose waits sleep rather than
// spin, so a core taken by another process costs only that core's share).
// Items are claimed one at a time, so uneven or delayed threads balance;
// `thread` (0 = the caller, up to num_threads() - 1) indexes per-thread
// scratch. Called from inside an item, it runs serially on that thread.
using ParallelFn = void (*)(void* ctx, std::int64_t item, int thread);
void parallel_for(std::int64_t n, ParallelFn fn, void* ctx);

// The same with any callable body(item, thread).
template <class Body>
void parallel_for(std::int64_t n, Body&& body) {
  using B = std::remove_reference_t<Body>;
  parallel_for(
      n, [](void* ctx, std::int64_t item, int thread) { (*static_cast<B*>(ctx))(item, thread); },
      const_cast<void*>(static_cast<const void*>(&body)));
}

// How matmuls with BF16 weights and batch > 1 (prefill) multiply.
//  Exact: activations stay f32, every bf16 weight is widened exactly, sums
//    are f32 (the default; decode always works this way).
//  Bf16Activations: activations are rounded to bf16 (8 significant bits) and
//    multiplied by vdpbf16ps, as llama.cpp's BF16 path does: about twice the
//    prefill FLOP rate, at a relative error of about 2^-9 per product. Decode
//    rounds them too (a token's result must not depend on its batch). Falls
//    back to Exact on CPUs without AVX512_BF16.
enum class MatmulPrecision : std::uint8_t { Exact, Bf16Activations };
void set_matmul_precision(MatmulPrecision p);
MatmulPrecision matmul_precision();

// Batch invariance (the default, on): every output element of matmul and
// matmul_rows is computed by the same operations in the same order whatever
// the batch, the element's place in it, the row list and the thread count,
// so a prompt prefilled at once, in chunks or one token at a time gives the
// same bits, and a request batched with others gets the result it would get
// alone. Off: batches over 6 tokens use a packed outer-product kernel that
// sums in another order (within the same f32 rounding error) and prefills
// faster (docs/performance.md gives the figures).
void set_batch_invariant(bool on);
bool batch_invariant();

// y[b][r] = sum_c W[r][c] * x[b][c] for b < batch, r < W.rows.
// x: [batch][W.cols] f32, y: [batch][W.rows] f32. batch == 1 is decode
// (matrix-vector, bandwidth-bound); batch > 1 is prefill (matrix-matrix).
void matmul(const Matrix& w, const float* x, int batch, float* y);

// y_i = W_i x for `count` (<= 8) matrices with the same number of columns:
// each product exactly as matmul computes it (the same bits), but a decode
// step (batch <= 6) runs the row chunks of all of them in one parallel region
// (one synchronisation instead of `count`). The forward pass's q/k/v and
// gate/up products.
void matmul_many(const Matrix* ws, int count, const float* x, int batch, float* const* ys);

// Like matmul, but only for the listed rows: y[b][i] = W[rows[i]] . x[b].
// The output projection restricted to an allowed vocabulary.
void matmul_rows(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y);

// Batch-invariant matmul and matmul_rows: every y[b] is computed with exactly
// the arithmetic of a batch of one (the decode dot-row kernel), whatever
// `batch` is and whatever the other rows of x hold. Batched decoding (a
// server's sequences in one pass) uses these, so that a sequence's tokens do
// not depend on what else is running; the weights are still read once for
// the whole batch.
void matmul_invariant(const Matrix& w, const float* x, int batch, float* y);
void matmul_rows_invariant(const Matrix& w, const std::int32_t* rows, int n_rows, const float* x, int batch, float* y);

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], for `batch` vectors of size n.
void rmsnorm(float* out, const float* x, const float* weight, int n, int batch, float eps);

// out[i] = silu(gate[i]) * up[i]
void swiglu(float* out, const float* gate, const float* up, std::int64_t n);

// x[i] += y[i]
void add_inplace(float* x, const float* y, std::int64_t n);

// Row `row` of an embedding table as f32 (any WeightType; quantized rows are
// dequantized exactly as ggml's to_float does).
void embedding_row(const Matrix& table, std::int64_t row, float* out);

// Converts n values to f32 (norm weights are kept in f32). Quantized types:
// n is a multiple of the block, src starts at a block.
void to_f32(const void* src, WeightType type, std::int64_t n, float* out);

// n f32 values into Q8_0 or Q4_0 blocks (n a multiple of 32) or Q4_K or Q6_K
// super-blocks (n a multiple of 256) at out, as ggml's reference quantizers
// (quantize_row_q8_0_ref, q4_0_ref, q4_K_ref, q6_K_ref: what llama-quantize
// runs without an importance matrix): the same blocks, bit for bit.
void quantize(const float* x, WeightType type, std::int64_t n, void* out);

// Quantized matrices repacked at load, 16 rows interleaved so that one
// vector instruction takes a value of each (as llama.cpp's CPU_REPACK
// buffers): the decode and prefill kernels then need no reductions and no
// per-call unpacking, and compute the same bits as on the rows. packed_bytes
// is the size repack needs (about the matrix's own), or 0 where w's type has
// no packed layout in this build (w is then used as it is). repack writes
// it to out (64-byte aligned) and returns the matrix that reads it.
std::int64_t packed_bytes(const Matrix& w);
Matrix repack(const Matrix& w, void* out);

// How decode (batch 1) reads a matrix packed at load: each thread's panels
// as `streams` runs read side by side (1 or 4), each prefetched
// `prefetch_bytes` ahead of its loads (0: left to the hardware prefetchers;
// at most 65,536). Every schedule computes the same bits; which reads
// fastest depends on the machine (a 2-core Xeon: four streams prefetched
// 2 KiB ahead; an AMD EPYC: one stream, no software prefetch;
// docs/performance.md), so the model measures them at load
// (tune_decode_schedule). One process-wide setting; the default is the first
// of decode_schedules().
struct DecodeSchedule {
  int streams = 4;
  int prefetch_bytes = 2048;
  friend bool operator==(const DecodeSchedule&, const DecodeSchedule&) = default;
};
void set_decode_schedule(DecodeSchedule s);
DecodeSchedule decode_schedule();
// The schedules tune_decode_schedule tries.
std::span<const DecodeSchedule> decode_schedules();
// "4 streams, prefetched 2048 bytes ahead" and the like.
std::string describe(DecodeSchedule s);

// Times decode over the packed ones of `matrices` (in order, up to 256 MiB
// of them: more than any L3 cache) under each of decode_schedules(), in
// `rounds` alternating rounds on the kernels' threads, sets the fastest
// (least median time) and returns each schedule's median weights GB/s, in
// decode_schedules()'s order. Nothing packed: no change, an empty result.
std::vector<double> tune_decode_schedule(std::span<const Matrix> matrices, int rounds = 5);

// The first of n_blocks blocks of a quantized type whose f16 scale (d, and
// dmin for Q4_K / Q5_K) is NaN or infinite, or -1 when every scale is finite
// (and for types without block scales). A NaN scale can vanish in an integer
// product where a float one would show: loaders check it.
std::int64_t first_nonfinite_scale(const void* blocks, WeightType type, std::int64_t n_blocks);

// In-place softmax over n values.
void softmax(float* x, int n);

// Dot product of two f32 vectors.
float dot(const float* a, const float* b, int n);

// y[i] += a * x[i]
void axpy(float* y, float a, const float* x, int n);

// ---- KV cache and attention (attention.cpp) ----------------------------

// The type keys and values are held in: f32, or bf16 (rounded to nearest
// even: half the bytes to store and to read).
enum class KvType : std::uint8_t { F32, BF16 };

// Positions per key block, and per attention tile (tiles start at multiples
// of kAttentionTile, absolute positions, whatever the chunk being run).
inline constexpr int kKvBlock = 32;
inline constexpr int kAttentionTile = 128;

// One layer's cache. Each key/value head owns head_stride elements (from
// kv_head_elements) of keys and of values:
//  keys: blocks of kKvBlock positions, each [head_dim][kKvBlock] (a
//    dimension's 32 positions contiguous, so one vector multiply-add per
//    dimension scores 16 keys);
//  values: [position][head_dim].
// In bf16, a group of 32 entries (a key block's positions, 32 dimensions of a
// value) is 16 32-bit words, word i holding entry i in its low half and
// entry 16 + i in its high half, so widening to f32 is one shift or one mask.
// A head_dim that is not a multiple of 32 is stored padded with zeros to one
// (Qwen3: 128).
struct KvLayer {
  void* keys = nullptr;
  void* values = nullptr;
  KvType type = KvType::BF16;
  int kv_heads = 0;
  int head_dim = 0;
  std::size_t head_stride = 0;  // elements from one head to the next
};

// Elements of keys (or of values) per head for `capacity` positions.
std::size_t kv_head_elements(int capacity, int head_dim);

// Writes the keys and values of T positions from `pos`: k, v: [T][kv_heads][head_dim].
void kv_store(const KvLayer& kv, int pos, int T, const float* k, const float* v);

// One stored key (value = false) or value entry, as f32 (for tests).
float kv_load(const KvLayer& kv, bool value, int kv_head, int pos, int i);

// Causal grouped-query attention of T queries at positions first_pos ..
// first_pos + T - 1 over the cache, which already holds their own keys and
// values: out = softmax(q k^T / sqrt(head_dim)) v, query head h reading
// key/value head h / (n_heads / kv_heads). q, out: [T][n_heads][head_dim].
// Tiled with an online softmax, threaded over heads and tiles; a query's
// result depends only on it, its position and the cache (the same bits for
// any T, chunking or thread count).
void attention(const KvLayer& kv, const float* q, int n_heads, int first_pos, int T, float* out);

}  // namespace qwen3::kernels
