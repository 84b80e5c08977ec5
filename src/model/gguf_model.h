#pragma once
// A Qwen3 model in a GGUF file (llama.cpp's layout for architecture "qwen3"):
// its metadata as a ModelConfig, validated as config.json is, and the one
// table that binds GGUF tensor names (blk.0.attn_q.weight) to the Hugging
// Face names of model::for_each_tensor (model.layers.0.self_attn.q_proj.weight).
#include <optional>
#include <string>

#include "common/gguf.h"
#include "kernels/kernels.h"
#include "qwen3/model_config.h"

namespace qwen3::model {

// The config of the model in `file`: general.architecture must be "qwen3";
// the hyperparameters come from the qwen3.* keys (and the vocabulary from
// token_embd.weight). Errors name the file and the GGUF key.
ModelConfig gguf_model_config(const gguf::File& file);

// "model.layers.3.self_attn.q_proj.weight" -> "blk.3.attn_q.weight".
std::string gguf_tensor_name(const std::string& hf_name);

// The kernel type of a ggml type, nullopt for one the kernels do not have.
std::optional<kernels::WeightType> weight_type_of(std::uint32_t ggml_type);

}  // namespace qwen3::model
