#pragma once
// `qwen3 quantize`: a Qwen3 checkpoint (BF16, F16 or F32 safetensors) or
// qwen3-dummy-v1 weights written as a quantized GGUF v3 file that llama.cpp
// and Ollama read: general.architecture qwen3 with the qwen3.* hyperparameters
// llama.cpp's convert_hf_to_gguf.py writes, the tokenizer (tokenizer.ggml.*,
// gpt2 / qwen2), the chat template, llama.cpp's tensor names, norms in F32 and
// the matrices quantized as llama.cpp's llama-quantize quantizes them without
// an importance matrix (the same blocks, bit for bit):
//   q8_0    every matrix Q8_0 (llama-quantize Q8_0);
//   q4_0    every matrix Q4_0 (llama-quantize --pure Q4_0, the blocks of dtype q4_0);
//   q4_k_m  Q4_K, with Q6_K for the output matrix (the tied embedding) and for
//           attn_v and ffn_down in the layers llama.cpp gives more bits
//           (llama-quantize Q4_K_M).
// Tensors are quantized one at a time, a few rows at a time: memory stays
// small whatever the model's size.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "qwen3/settings.h"

namespace qwen3 {

enum class QuantType : std::uint8_t { Q8_0, Q4_0, Q4_K_M };

// "q8_0", "q4_0", "q4_k_m".
std::string_view quant_type_name(QuantType type);
// The type a name stands for (as quant_type_name writes it); throws
// qwen3::Error "quantize type \"NAME\" is not supported (expected q8_0, q4_0 or q4_k_m)".
QuantType parse_quant_type(std::string_view name);

struct QuantizeResult {
  std::filesystem::path file;
  std::uint64_t bytes = 0;
  std::map<std::string, int> tensors_by_type;  // ggml type name ("Q4_K") -> tensors
};

// Writes the model the settings name (model: a checkpoint folder; or
// model_config with dummy_weights), with the tokenizer and chat template
// they name (tokenizer_dir, chat_template_for in qwen3/engine.h), to `out`
// as a GGUF file of `type`. The file is written as OUT.tmp and renamed when
// complete; on any error OUT.tmp is removed and OUT is left as it was.
// Throws qwen3::Error naming the file, tensor or setting.
QuantizeResult quantize_model(const Settings& settings, QuantType type, const std::filesystem::path& out);

}  // namespace qwen3
