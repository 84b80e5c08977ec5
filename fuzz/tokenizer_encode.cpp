// Tokenizer::encode on arbitrary bytes: valid UTF-8 gives ids in range whose
// decode() is the text, invalid UTF-8 a one-line error; text in NFC
// (Qwen3's normalizer) comes back from decode() unchanged. The first byte picks
// plain spans (special-token text kept as text) for encode(text, plain).
#include "fuzz/fuzz.h"
#include "qwen3/utf8.h"
#include "tokenizer/nfc.h"

QWEN3_FUZZ_TARGET(tokenizer_encode) {
  using namespace qwen3;
  const Tokenizer& tok = fuzz::qwen3_tokenizer();
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  std::vector<Tokenizer::Span> plain;
  if (mode & 1) {  // spans cut at the positions the next bytes of mode give
    const std::size_t step = 1 + (mode >> 1) % 17;
    for (std::size_t b = 0; b < text.size(); b += 2 * step) plain.push_back({b, std::min(text.size(), b + step)});
  }
  std::vector<TokenId> ids;
  const bool ok = fuzz::returns_or_errs([&] { ids = tok.encode(text, plain); });
  if (ok != is_valid_utf8(text)) fuzz::fail(ok ? "invalid UTF-8 was encoded" : "valid UTF-8 was refused");
  if (!ok) return 0;
  for (TokenId id : ids)
    if (id < 0 || id >= tok.vocab_size()) fuzz::fail("encode gave id " + std::to_string(id) + ", out of range");
  // Qwen3's normalizer is NFC: text already in NFC comes back unchanged.
  static const tokenizer::Nfc nfc;
  if (nfc.is_normalized(text) && tok.decode(ids) != text) fuzz::fail("decode(encode(x)) != x for x in NFC");
  return 0;
}
