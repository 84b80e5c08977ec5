// A chat request (the JSON `qwen3 template` and the engine read) through
// parse_chat_request, the official Qwen3 template and the tokenizer, as the
// engine does it: a one-line error, or a prompt of valid UTF-8 whose
// supplied spans are ordered and inside it, that encodes (special-token
// text in the spans kept as text) and decodes back to itself.
#include "fuzz/fuzz.h"
#include "qwen3/chat.h"
#include "qwen3/utf8.h"

QWEN3_FUZZ_TARGET(chat_request) {
  using namespace qwen3;
  static const ChatTemplate official = ChatTemplate::qwen3();
  const Tokenizer& tok = fuzz::qwen3_tokenizer();
  ChatRequest request;
  if (!fuzz::returns_or_errs([&] { request = parse_chat_request(fuzz::as_text(data, size), "request.json"); }))
    return 0;
  std::string prompt;
  std::vector<Tokenizer::Span> supplied;
  if (!fuzz::returns_or_errs([&] { prompt = official.render(request, &supplied); })) return 0;
  if (!is_valid_utf8(prompt)) fuzz::fail("the rendered prompt is not valid UTF-8");
  std::size_t last = 0;
  for (const auto& s : supplied) {
    if (s.begin < last || s.end < s.begin || s.end > prompt.size()) fuzz::fail("supplied spans out of order or range");
    last = s.end;
  }
  if (prompt != official.render(request)) fuzz::fail("render with and without spans differ");
  std::vector<TokenId> ids;
  if (!fuzz::returns_or_errs([&] { ids = tok.encode(prompt, supplied); })) fuzz::fail("the prompt does not encode");
  (void)latest_soft_switch(request.messages);
  (void)thinking_expected(request);
  return 0;
}
