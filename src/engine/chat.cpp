// Chat front end: template -> prompt ids -> generate(), history of answers.
#include <algorithm>

#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/utf8.h"

namespace qwen3 {

ChatRequest effective_request(ChatRequest request, std::optional<int> thinking_budget) {
  request.add_generation_prompt = true;
  // A budget of zero means no thinking at all: the same prompt as non-thinking mode.
  if (thinking_budget && *thinking_budget == 0) request.enable_thinking = false;
  return request;
}

SamplingMode mode_of(const ChatRequest& request, std::optional<int> thinking_budget) {
  return thinking_expected(effective_request(request, thinking_budget)) ? SamplingMode::Thinking
                                                                        : SamplingMode::NonThinking;
}

Chat::Chat(LanguageModel& model, const Tokenizer& tokenizer, ChatTemplate chat_template)
    : local_(std::make_shared<LocalBackend>(model)),
      backend_(local_.get()),
      tokenizer_(&tokenizer),
      template_(std::move(chat_template)) {}

Chat::Chat(Backend& backend, const Tokenizer& tokenizer, ChatTemplate chat_template)
    : backend_(&backend), tokenizer_(&tokenizer), template_(std::move(chat_template)) {}

std::vector<TokenId> Chat::prompt_ids(ChatRequest request, const GenerationOptions& options) const {
  const ChatRequest effective = effective_request(std::move(request), options.thinking_budget);
  if (!options.special_tokens_in_content_as_text) return tokenizer_->encode(template_.render(effective));
  std::vector<Tokenizer::Span> supplied;
  const std::string prompt = template_.render(effective, &supplied);
  return tokenizer_->encode(prompt, supplied);
}

GenerationResult Chat::reply(ChatRequest request, const GenerationOptions& options, const PieceCallback& on_piece) {
  const auto ids = prompt_ids(std::move(request), options);
  return backend_->generate(*tokenizer_, ids, options, on_piece);
}

GenerationResult Chat::say(const std::string& user_text, std::optional<bool> enable_thinking,
                           const GenerationOptions& options, const PieceCallback& on_piece) {
  // Named where the user typed it, not at its offset in the rendered prompt.
  if (const std::size_t valid = utf8_valid_prefix(user_text); valid != user_text.size())
    throw Error("the message is not valid UTF-8 at byte " + std::to_string(valid) + " (expected UTF-8 text)");
  ChatMessage message;
  message.role = Role::User;
  message.content = user_text;
  ChatRequest request;
  request.messages = history_;
  request.messages.push_back(message);
  request.enable_thinking = enable_thinking;

  // Room for the reply: drop the oldest turns (never a leading system
  // message, never the new one) until the prompt leaves it.
  const int ctx = backend_->context_length();
  const int room = std::max(1, std::min(options.sampling.max_new_tokens, ctx / 4));
  const std::size_t first = !request.messages.empty() && request.messages.front().role == Role::System ? 1 : 0;
  int dropped = 0;
  std::vector<TokenId> ids = prompt_ids(request, options);
  while (request.messages.size() > first + 1 && static_cast<int>(ids.size()) + room > ctx) {
    // A turn is a user message and what answered it, up to the next user message.
    auto end = request.messages.begin() + static_cast<std::ptrdiff_t>(first) + 1;
    while (end != request.messages.end() - 1 && end->role != Role::User) ++end;
    dropped += static_cast<int>(end - (request.messages.begin() + static_cast<std::ptrdiff_t>(first)));
    request.messages.erase(request.messages.begin() + static_cast<std::ptrdiff_t>(first), end);
    ids = prompt_ids(request, options);
  }

  // The prompt is rendered and tokenized once; on error the history is unchanged.
  auto result = backend_->generate(*tokenizer_, ids, options, on_piece);
  result.dropped_messages = dropped;
  if (result.finish_reason == FinishReason::Cancelled) return result;  // a cancelled answer is not kept
  history_.erase(history_.begin() + static_cast<std::ptrdiff_t>(first),
                 history_.begin() + static_cast<std::ptrdiff_t>(first) + dropped);
  history_.push_back(std::move(message));
  append_assistant_answer(history_, result.content);
  return result;
}

}  // namespace qwen3
