// Tokenizer -> tokenizer.ggml.* metadata: the inverse of from_gguf.cpp.
#include "tokenizer/to_gguf.h"

#include <string>
#include <vector>

#include "qwen3/error.h"

namespace qwen3::tokenizer {
namespace {

// llama.cpp's token types (llama_token_type).
enum TokenType : std::int32_t { kNormal = 1, kControl = 3, kUserDefined = 4, kUnused = 5 };

// The converter's does_token_look_special, for Qwen's added tokens.
bool looks_special(const std::string& token) {
  return token.size() >= 4 && token.starts_with("<|") && token.ends_with("|>");
}

}  // namespace

void add_gguf_metadata(const Tokenizer& t, int rows, const GgufSpecialIds& ids, gguf::Writer& w) {
  const int n = t.vocab_size();
  if (rows < n)
    throw Error("the tokenizer has " + std::to_string(n) + " tokens but the model only " + std::to_string(rows) +
                " embedding rows (expected one row per token)");
  std::vector<std::string> tokens(static_cast<std::size_t>(rows));
  std::vector<std::int32_t> types(static_cast<std::size_t>(rows), kNormal);
  for (int id = 0; id < n; ++id) tokens[id] = t.token_string(id);
  for (const AddedToken& a : t.added_tokens()) {
    tokens[a.id] = a.content;
    types[a.id] = a.special || looks_special(a.content) ? kControl : kUserDefined;
  }
  for (int id = n; id < rows; ++id) {
    tokens[id] = "[PAD" + std::to_string(id) + "]";
    types[id] = kUnused;
  }
  for (const auto& [key, id] : {std::pair{"eos", ids.eos}, {"padding", ids.padding}, {"bos", ids.bos}})
    if (id < 0 || id >= rows)
      throw Error(std::string("tokenizer ") + key + " token id " + std::to_string(id) + " is outside the " +
                  std::to_string(rows) + " tokens");
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string("tokenizer.ggml.pre", "qwen2");
  w.add_strings("tokenizer.ggml.tokens", tokens);
  w.add_i32s("tokenizer.ggml.token_type", types);
  w.add_strings("tokenizer.ggml.merges", t.merges());
  w.add_u32("tokenizer.ggml.eos_token_id", static_cast<std::uint32_t>(ids.eos));
  w.add_u32("tokenizer.ggml.padding_token_id", static_cast<std::uint32_t>(ids.padding));
  w.add_u32("tokenizer.ggml.bos_token_id", static_cast<std::uint32_t>(ids.bos));
  w.add_bool("tokenizer.ggml.add_bos_token", false);
}

}  // namespace qwen3::tokenizer
