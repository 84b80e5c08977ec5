#pragma once
// The model's generation_config.json: transformers' sampling defaults for the
// checkpoint, which for Qwen3 are the thinking preset (0.6 / 0.95 / 20).
#include <filesystem>
#include <optional>

#include "qwen3/settings.h"

namespace qwen3::settings {

// Applies MODEL_DIR/generation_config.json to s.thinking (source
// GenerationConfig) and returns its path; nullopt if there is no such file.
// Throws qwen3::Error naming the file for malformed JSON, a wrong type or an
// out-of-range value.
std::optional<std::filesystem::path> apply_generation_config(Settings& s, const std::filesystem::path& model_dir);

}  // namespace qwen3::settings
