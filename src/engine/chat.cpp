// Chat front end: template -> prompt ids -> generate(), history of answers.
#include "qwen3/engine.h"

namespace qwen3 {

Chat::Chat(LanguageModel& model, const Tokenizer& tokenizer, ChatTemplate chat_template)
    : model_(&model), tokenizer_(&tokenizer), template_(std::move(chat_template)) {}

std::vector<TokenId> Chat::prompt_ids(ChatRequest request, const GenerationOptions& options) const {
  request.add_generation_prompt = true;
  // A budget of zero means no thinking at all: the same prompt as non-thinking mode.
  if (options.thinking_budget && *options.thinking_budget == 0) request.enable_thinking = false;
  return tokenizer_->encode(template_.render(request));
}

GenerationResult Chat::reply(ChatRequest request, const GenerationOptions& options,
                             const PieceCallback& on_piece) {
  const auto ids = prompt_ids(std::move(request), options);
  return generate(*model_, *tokenizer_, ids, options, on_piece);
}

GenerationResult Chat::say(const std::string& user_text, std::optional<bool> enable_thinking,
                           const GenerationOptions& options, const PieceCallback& on_piece) {
  ChatMessage message;
  message.role = Role::User;
  message.content = user_text;
  ChatRequest request;
  request.messages = history_;
  request.messages.push_back(message);
  request.enable_thinking = enable_thinking;
  auto result = reply(std::move(request), options, on_piece);  // on error the history is unchanged
  history_.push_back(std::move(message));
  append_assistant_answer(history_, result.content);
  return result;
}

}  // namespace qwen3
