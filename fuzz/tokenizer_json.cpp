// tokenizer.json through Tokenizer::load: a one-line error naming the file
// and the field, or a tokenizer that encodes a sample of several scripts
// (and special-token text) to ids in range and decodes them to valid UTF-8.
#include "fuzz/fuzz.h"
#include "qwen3/utf8.h"

QWEN3_FUZZ_TARGET(tokenizer_json) {
  using namespace qwen3;
  const auto path = fuzz::write_temp("tokenizer.json", fuzz::as_text(data, size));
  std::optional<Tokenizer> tok;
  if (!fuzz::returns_or_errs([&] { tok.emplace(Tokenizer::load(path)); })) return 0;
  std::vector<TokenId> ids;
  if (!fuzz::returns_or_errs([&] { ids = tok->encode("Hello world, don't 123 你好 Ünïcödé 😀 <|im_end|>\n\n x"); }))
    return 0;
  for (TokenId id : ids)
    if (id < 0 || id >= tok->vocab_size()) fuzz::fail("encode gave id " + std::to_string(id) + ", out of range");
  std::string text;
  if (fuzz::returns_or_errs([&] { text = tok->decode(ids); }) && !is_valid_utf8(text))
    fuzz::fail("decode returned invalid UTF-8");
  return 0;
}
