#pragma once
// An Ollama model's params layer (qwen3/ollama.h): Ollama's names for the
// sampling defaults of a model, as one more source of options.
#include <filesystem>

#include "qwen3/settings.h"

namespace qwen3::settings {

// Applies the params blob at `path` (a JSON object) to both sampling presets
// and the general options (source OllamaParams) and returns `path`. Keys:
// temperature, top_p, top_k, min_p, presence_penalty, frequency_penalty,
// repeat_penalty (repetition_penalty), seed (>= 0), num_predict (> 0:
// max_new_tokens), stop (a string or a list of them), num_ctx (ctx),
// num_thread (threads); Ollama's others (mirostat, num_gpu, ...) mean
// nothing here and are skipped. Throws qwen3::Error naming the file and key
// for malformed JSON, a wrong type or an out-of-range value.
std::filesystem::path apply_ollama_params(Settings& s, const std::filesystem::path& path);

}  // namespace qwen3::settings
