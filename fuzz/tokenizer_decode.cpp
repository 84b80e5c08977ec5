// Tokenizer::decode on arbitrary ids (4 bytes each, raw: most are out of
// range, which must be a one-line error; the first byte then selects
// in-range ids, 3 bytes each, modulo the embedding rows). The result is
// always valid UTF-8 (invalid byte runs become U+FFFD).
#include "fuzz/fuzz.h"
#include "qwen3/utf8.h"

QWEN3_FUZZ_TARGET(tokenizer_decode) {
  using namespace qwen3;
  const Tokenizer& tok = fuzz::qwen3_tokenizer();
  if (size == 0) return 0;
  const bool skip_special = data[0] & 1;
  std::vector<TokenId> ids;
  if (data[0] & 2) {
    for (std::size_t i = 1; i + 4 <= size; i += 4) {
      std::int32_t v;
      std::memcpy(&v, data + i, 4);
      ids.push_back(v);
    }
  } else {
    ids = fuzz::ids_from({data + 1, size - 1}, Tokenizer::kEmbeddingRows);
  }
  bool in_range = true;
  for (TokenId id : ids) in_range = in_range && id >= 0 && id < tok.vocab_size();
  std::string text;
  const bool ok = fuzz::returns_or_errs([&] { text = tok.decode(ids, skip_special); });
  if (ok != in_range) fuzz::fail(ok ? "decode accepted an id out of range" : "decode refused ids in range");
  if (ok && !is_valid_utf8(text)) fuzz::fail("decode returned invalid UTF-8");
  return 0;
}
