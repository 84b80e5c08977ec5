#pragma once
// Shared by the tokenizer tests: one Tokenizer loaded once per test binary
// (loading is the slow part) from QWEN3_TOKENIZER_DIR.
#include <nlohmann/json.hpp>

#include <fstream>

#include "common/test_paths.h"
#include "qwen3/tokenizer.h"

namespace qwen3::test {

inline const Tokenizer& qwen3_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::load(tokenizer_dir());
  return tokenizer;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return nlohmann::json::parse(in);
}

}  // namespace qwen3::test
