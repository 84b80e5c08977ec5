#pragma once
// The quantized fixtures (tiny-qwen3-q layout, see its README): every folder
// under shared/fixtures with model-<TYPE>.gguf files and a reference-<TYPE>/
// folder for each. Tests take their expectations from these files, so any
// fixture of the same layout is tested the same way.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "qwen3/model_config.h"

namespace qwen3::test {

struct GgufFixture {
  std::string name;  // "tiny-qwen3-q/Q8_0"
  std::filesystem::path gguf;
  std::filesystem::path reference;  // reference-<TYPE>/
};

// Scanned when the test binary starts (CTest sets QWEN3_SHARED_DIR, also for
// test discovery); empty without it.
inline std::vector<GgufFixture> gguf_fixtures() {
  namespace fs = std::filesystem;
  std::vector<GgufFixture> out;
  const char* shared = std::getenv("QWEN3_SHARED_DIR");
  if (!shared || !*shared || !fs::is_directory(fs::path(shared) / "fixtures")) return out;
  for (const auto& dir : fs::directory_iterator(fs::path(shared) / "fixtures")) {
    if (!dir.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(dir.path())) {
      const std::string file = f.path().filename().string();
      if (file.rfind("model-", 0) != 0 || f.path().extension() != ".gguf") continue;
      const std::string type = file.substr(6, file.size() - 6 - 5);
      const fs::path ref = dir.path() / ("reference-" + type);
      if (fs::is_directory(ref)) out.push_back({dir.path().filename().string() + "/" + type, f.path(), ref});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

// For gtest names: letters and digits only.
inline std::string test_name(const std::string& s) {
  std::string r;
  for (char c : s) r += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return r;
}

// A config read from GGUF metadata against its config.json: every field the
// metadata carries (the floats as the f32 GGUF stores them).
inline void expect_same_config(const ModelConfig& a, const ModelConfig& b, const std::string& where) {
  EXPECT_EQ(a.hidden_size, b.hidden_size) << where;
  EXPECT_EQ(a.intermediate_size, b.intermediate_size) << where;
  EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers) << where;
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads) << where;
  EXPECT_EQ(a.num_key_value_heads, b.num_key_value_heads) << where;
  EXPECT_EQ(a.head_dim, b.head_dim) << where;
  EXPECT_EQ(a.vocab_size, b.vocab_size) << where;
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings) << where;
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings) << where;
  EXPECT_FLOAT_EQ(static_cast<float>(a.rope_theta), static_cast<float>(b.rope_theta)) << where;
  EXPECT_FLOAT_EQ(static_cast<float>(a.rms_norm_eps), static_cast<float>(b.rms_norm_eps)) << where;
}

}  // namespace qwen3::test
