#pragma once
// Which files of a repository a model needs: the shards a safetensors index
// names, and the .gguf file (or parts) a quantization name picks.
#include <string>
#include <vector>

namespace qwen3::hub::detail {

// The shard files a model.safetensors.index.json names (its weight_map's
// values), sorted, each once. `source` names the file in errors.
std::vector<std::string> index_shards(const std::string& json_text, const std::string& source);

// The .gguf file of `files` that `quant` names as a whole word, case aside
// ("Q4_K_M" picks Qwen3-4B-Q4_K_M.gguf, never a Q4_K_S); with no quant,
// Q4_K_M if there is one, else the first. mmproj files are never picked. A
// split file gives every part, the first first. Throws qwen3::Error naming
// `model` and the quantizations there are when none matches.
std::vector<std::string> choose_gguf(const std::vector<std::string>& files, const std::string& quant,
                                     const std::string& model);

}  // namespace qwen3::hub::detail
