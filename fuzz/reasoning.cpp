// The reasoning parser: parse_reply (batch) and ReasoningStream (one id at a
// time) must agree on the reasoning, the content and the thinking state, for
// any ids, with and without a prompt that opened the think block. Bit 1 of
// the first byte picks the ids: one byte each from a small alphabet (think
// tags, newlines, end tokens, pieces of multi-byte characters), or 3 bytes
// each over the whole vocabulary.
#include <optional>

#include "fuzz/fuzz.h"
#include "qwen3/reasoning.h"
#include "qwen3/utf8.h"

namespace {

const std::vector<qwen3::TokenId>& alphabet() {
  using namespace qwen3;
  static const std::vector<TokenId> ids = [] {
    const Tokenizer& tok = fuzz::qwen3_tokenizer();
    std::vector<TokenId> v = {token::kThinkStart, token::kThinkEnd,      token::kImEnd,
                              token::kEndOfText,  token::kToolCallStart, token::kImStart};
    for (const char* text : {"\n", "\n\n", "\n\n\n", "Hi", " there", "你好", "😀", " \n", "</think>"})
      for (TokenId id : tok.encode(text)) v.push_back(id);
    // Single bytes of multi-byte characters (GPT-2 byte alphabet): ä = 0xE4, ½ = 0xBD, ł = 0xA0, ð = 0xF0.
    for (const char* piece : {"ä", "½", "ł", "ð", "Ł", "Ċ", "ĊĊ"})
      if (auto id = tok.token_to_id(piece)) v.push_back(*id);
    return v;
  }();
  return ids;
}

}  // namespace

QWEN3_FUZZ_TARGET(reasoning) {
  using namespace qwen3;
  const Tokenizer& tok = fuzz::qwen3_tokenizer();
  if (size == 0) return 0;
  ReasoningOptions options;
  options.prompt_opened_think = data[0] & 1;
  std::vector<TokenId> ids;
  if (data[0] & 2) {
    ids = fuzz::ids_from({data + 1, size - 1}, static_cast<std::uint32_t>(tok.vocab_size()));
  } else {
    const auto& a = alphabet();
    for (std::size_t i = 1; i < size; ++i) ids.push_back(a[data[i] % a.size()]);
  }

  ParsedReply batch;
  if (!fuzz::returns_or_errs([&] { batch = parse_reply(tok, ids, options); })) fuzz::fail("parse_reply refused ids");
  ReasoningStream stream(tok, options);
  std::string reasoning, content;
  auto take = [&](const std::vector<ReplyPiece>& pieces) {
    for (const ReplyPiece& p : pieces) {
      if (p.text.empty()) fuzz::fail("an empty piece");
      if (!is_valid_utf8(p.text)) fuzz::fail("a piece is not valid UTF-8");
      (p.kind == PieceKind::Reasoning ? reasoning : content) += p.text;
    }
  };
  for (TokenId id : ids) take(stream.push(id));
  take(stream.finish());
  if (stream.state() != batch.state)
    fuzz::fail("thinking state: stream " + std::string(thinking_state_name(stream.state())) + ", batch " +
               std::string(thinking_state_name(batch.state)));
  if (reasoning != batch.reasoning)
    fuzz::fail("reasoning differs: stream \"" + reasoning + "\", batch \"" + batch.reasoning + "\"");
  if (content != batch.content)
    fuzz::fail("content differs: stream \"" + content + "\", batch \"" + batch.content + "\"");
  return 0;
}
