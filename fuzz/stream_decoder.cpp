// StreamDecoder against Tokenizer::decode: every piece is valid UTF-8 and
// the pieces joined are decode() of all the ids, with and without
// skip_special; an unknown id is a one-line error.
#include "fuzz/fuzz.h"
#include "qwen3/utf8.h"

QWEN3_FUZZ_TARGET(stream_decoder) {
  using namespace qwen3;
  const Tokenizer& tok = fuzz::qwen3_tokenizer();
  if (size == 0) return 0;
  const bool skip_special = data[0] & 1;
  const std::vector<TokenId> ids = fuzz::ids_from({data + 1, size - 1}, Tokenizer::kEmbeddingRows);
  StreamDecoder stream(tok, skip_special);
  std::string joined;
  std::vector<TokenId> accepted;
  for (TokenId id : ids) {
    std::string piece;
    if (!fuzz::returns_or_errs([&] { piece = stream.push(id); })) {
      if (id < tok.vocab_size()) fuzz::fail("push refused id " + std::to_string(id));
      continue;
    }
    if (id >= tok.vocab_size()) fuzz::fail("push accepted id " + std::to_string(id));
    if (!is_valid_utf8(piece)) fuzz::fail("a piece is not valid UTF-8");
    joined += piece;
    accepted.push_back(id);
  }
  const std::string tail = stream.flush();
  if (!is_valid_utf8(tail)) fuzz::fail("the flushed tail is not valid UTF-8");
  joined += tail;
  if (joined != tok.decode(accepted, skip_special)) fuzz::fail("the streamed text differs from decode()");
  return 0;
}
