#pragma once
// The configuration of a dense Qwen3 checkpoint (Qwen3ForCausalLM, Qwen3-0.6B
// to 32B and the 2507 variants): config.json as the Hugging Face hub
// publishes it (generation_config.json's sampling defaults are one source of
// the options model: qwen3/settings.h). Every field the engine uses is
// validated; anything the engine does not implement (another architecture,
// mixture of experts, a sliding window in use, attention biases, a RoPE
// scaling other than YaRN) is refused with a qwen3::Error naming the file and
// the field.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace qwen3 {

// rope_scaling of config.json. Only YaRN ({"rope_type": "yarn"} or the older
// {"type": "yarn"}) is supported, as Qwen3 documents for 131,072 tokens.
struct RopeScaling {
  bool yarn = false;                                  // false: plain RoPE (rope_scaling null)
  double factor = 1.0;                                // "factor"
  std::int64_t original_max_position_embeddings = 0;  // or max_position_embeddings when absent
  std::optional<double> attention_factor;             // "attention_factor" (default: from factor)
  double beta_fast = 32.0;                            // "beta_fast"
  double beta_slow = 1.0;                             // "beta_slow"
  std::optional<double> mscale;                       // "mscale" (DeepSeek-style, optional)
  std::optional<double> mscale_all_dim;               // "mscale_all_dim"
  bool truncate = true;                               // "truncate": floor/ceil the correction range
};

struct ModelConfig {
  int hidden_size = 0;
  int intermediate_size = 0;
  int num_hidden_layers = 0;
  int num_attention_heads = 0;
  int num_key_value_heads = 0;
  int head_dim = 0;
  int vocab_size = 0;
  std::int64_t max_position_embeddings = 0;
  double rope_theta = 0;
  double rms_norm_eps = 0;
  bool tie_word_embeddings = true;
  std::string torch_dtype;  // informative ("bfloat16"); the stored dtypes are what count
  RopeScaling rope_scaling;

  // The longest context the positions support: max_position_embeddings, or
  // factor x original_max_position_embeddings with YaRN (131,072 for Qwen3).
  std::int64_t max_context() const;
  // Number of parameters (embedding counted once when tied).
  std::int64_t parameter_count() const;
  // Query heads per key/value head (the GQA group size).
  int gqa_group() const { return num_attention_heads / num_key_value_heads; }

  // Parses the text of a config.json; `source` names the file in errors.
  static ModelConfig parse(const std::string& json_text, const std::string& source);
  // Reads a config.json, or the metadata of a GGUF file (architecture qwen3).
  static ModelConfig load(const std::filesystem::path& config_json);
};

// The folder of the data the project carries (data/ in the source tree, or
// share/qwen3 where it is installed). Looked up in this order: the
// environment variable QWEN3_DATA_DIR, <exe dir>/../share/qwen3 (the installed
// program, also after moving the whole prefix), the source tree's data/
// (compile definition QWEN3_SOURCE_DATA_DIR), the install prefix's
// share/qwen3 as configured at build time (QWEN3_INSTALL_DATA_DIR: programs
// linking the installed library). The last three count only when they hold
// models/. Throws qwen3::Error when none does.
std::filesystem::path data_dir();

// A model config (model_config) names a file (config.json), a folder holding
// config.json, or a carried model ("qwen3-4b" -> data/models/qwen3-4b/config.json).
// Throws qwen3::Error "model_config = NAME: no such file ..." otherwise.
std::filesystem::path resolve_config(const std::string& name_or_path);

}  // namespace qwen3
