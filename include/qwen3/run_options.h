#pragma once
// How a model runs: the counterpart of transformers' device_map, torch_dtype
// and max length. One struct shared by every command and by the library.
#include <string>

namespace qwen3 {

// More threads than this is a mistake, not a machine: each one is a real
// thread with a stack (a count like 100000 would exhaust memory).
inline constexpr int kMaxThreads = 1024;

// Auto: as stored in the checkpoint. Q8_0 / Q4_0: float matrices quantized
// while loading, block by block exactly as llama.cpp's llama-quantize does
// (ggml's quantize_row_q8_0_ref / quantize_row_q4_0_ref); norms stay f32.
enum class WeightDType { Auto, BF16, F32, Q8_0, Q4_0 };
enum class KvDType { BF16, F32 };          // the KV cache's keys and values
enum class ActivationDType { F32, BF16 };  // what the matrix products multiply the weights with

struct RunOptions {
  std::string device = "cpu";  // only "cpu" until another backend exists
  WeightDType dtype = WeightDType::Auto;
  int threads = 0;  // 0: all of the machine's cores; at most kMaxThreads
  int ctx = 32768;  // KV-cache length in tokens
  // f32 keeps the logits within 1e-3 of the reference; bf16 halves the cache
  // but moves fixture A's logits by up to 0.24 (docs/performance.md).
  KvDType kv_dtype = KvDType::F32;
  // f32 multiplies BF16 weights by f32 activations (exact: the reference
  // within 1e-3); bf16 rounds the activations to bf16 before each product,
  // as llama.cpp does for BF16 weights, for vdpbf16ps's twice-the-FMA rate in
  // prefill (AVX512_BF16 CPUs), and moves the logits slightly
  // (docs/performance.md). Either way every output is computed in the same
  // order whatever the batch, so results stay batch-invariant. The choice
  // applies to the whole process (the kernels' setting), like threads.
  ActivationDType activations = ActivationDType::F32;
};

}  // namespace qwen3
