// tokenizer_config.json (or chat_template.jinja text) through
// ChatTemplate::from_tokenizer_config: the template is recognised as the
// official Qwen3 one (or one of the variants it knows) or refused with a
// one-line error. The first byte picks the file: .json or .jinja.
#include "fuzz/fuzz.h"
#include "qwen3/chat.h"

QWEN3_FUZZ_TARGET(tokenizer_config) {
  using namespace qwen3;
  if (size == 0) return 0;
  const bool jinja = data[0] & 1;
  const auto path =
      fuzz::write_temp(jinja ? "chat_template.jinja" : "tokenizer_config.json", fuzz::as_text(data + 1, size - 1));
  std::optional<ChatTemplate> t;
  if (!fuzz::returns_or_errs([&] { t.emplace(ChatTemplate::from_tokenizer_config(path)); })) return 0;
  ChatRequest request;
  request.messages.push_back({Role::User, "Hi", std::nullopt, {}, ""});
  request.add_generation_prompt = true;
  fuzz::returns_or_errs([&] { (void)t->render(request); });
  return 0;
}
