#pragma once
// The tokenizer as GGUF metadata (tokenizer.ggml.*), written as llama.cpp's
// convert_hf_to_gguf.py writes a Qwen3 tokenizer, so that llama.cpp, Ollama
// and Tokenizer::from_gguf read it back: model gpt2, pre-tokenizer qwen2,
// one token per embedding row (model tokens normal; added tokens control
// when special or spelled <|...|>, else user-defined; the rows past the
// vocabulary "[PADi]", unused), the merges, the special ids and add_bos false.
#include <optional>

#include "common/gguf_writer.h"
#include "qwen3/tokenizer.h"

namespace qwen3::tokenizer {

struct GgufSpecialIds {
  TokenId eos = token::kImEnd;
  TokenId padding = token::kEndOfText;
  TokenId bos = token::kEndOfText;
};

// `rows`: the model's embedding rows (>= vocab_size()). Throws qwen3::Error
// when the vocabulary does not fit in them.
void add_gguf_metadata(const Tokenizer& tokenizer, int rows, const GgufSpecialIds& ids, gguf::Writer& w);

}  // namespace qwen3::tokenizer
