#pragma once
// The real Qwen3 tokenizer and its classified vocabulary, loaded once per test
// program (loading takes a fraction of a second; every test reads them).
#include <map>
#include <string>

#include "common/test_paths.h"
#include "qwen3/tokenizer.h"
#include "qwen3/vocab.h"

namespace qwen3::vocab::test {

inline const Tokenizer& qwen3_tokenizer() {
  static const Tokenizer tokenizer = Tokenizer::load(qwen3::test::tokenizer_dir());
  return tokenizer;
}

inline const VocabTable& qwen3_table() {
  static const VocabTable table = VocabTable::classify(qwen3_tokenizer());
  return table;
}

inline const TokenMask& qwen3_mask(const std::string& spec) {
  static std::map<std::string, TokenMask> masks;
  auto it = masks.find(spec);
  if (it == masks.end()) it = masks.emplace(spec, build_mask(qwen3_table(), Policy::parse(spec))).first;
  return it->second;
}

}  // namespace qwen3::vocab::test
