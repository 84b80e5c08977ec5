#pragma once
// The generation loop: prompt ids -> model -> sampler -> reasoning parser,
// with Qwen3's stop tokens, user stop strings, a thinking budget, an optional
// vocabulary restriction (English-only decoding), streaming through a
// callback, and usage figures. Chat::reply() puts the chat template in front.
//
//   qwen3::ModelRunner runner(*model);
//   qwen3::Chat chat(runner, tokenizer, qwen3::ChatTemplate::qwen3());
//   auto result = chat.reply(request, options, [](const qwen3::ReplyPiece& p) {
//     std::cout << p.text; return true; });
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qwen3/chat.h"
#include "qwen3/model.h"
#include "qwen3/reasoning.h"
#include "qwen3/sampling.h"
#include "qwen3/tokenizer.h"

namespace qwen3 {

namespace vocab {
class TokenMask;
}

// What the loop needs from a model: feed tokens, read the next-token logits.
// The Qwen3 Model (through ModelRunner) or a test double with chosen logits.
// It remembers which tokens its cache holds, so a new prompt that shares a
// prefix with them (the next turn of a chat) only computes the rest.
class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  virtual int logit_rows() const = 0;      // rows of the output projection (151,936)
  virtual int context_length() const = 0;  // tokens the cache holds at most

  const std::vector<TokenId>& tokens() const { return tokens_; }  // in the cache now
  int position() const { return static_cast<int>(tokens_.size()); }
  // Keeps the first n tokens of the cache (n <= position()).
  void truncate(int n);
  // Appends `tokens` and writes the logits of the last one to logits[logit_rows()].
  // With allowed_rows, only those rows are computed and the others are -inf.
  void forward(std::span<const TokenId> tokens, float* logits,
               const std::vector<std::int32_t>* allowed_rows);

 protected:
  virtual void run(std::span<const TokenId> tokens, float* logits,
                   const std::vector<std::int32_t>* allowed_rows) = 0;
  virtual void drop_after(int n) = 0;

 private:
  std::vector<TokenId> tokens_;
};

// The Qwen3 Model with one Session: the LanguageModel the engine runs.
class ModelRunner final : public LanguageModel {
 public:
  explicit ModelRunner(const Model& model);
  int logit_rows() const override;
  int context_length() const override;

 protected:
  void run(std::span<const TokenId> tokens, float* logits,
           const std::vector<std::int32_t>* allowed_rows) override;
  void drop_after(int n) override;

 private:
  const Model* model_;
  Session session_;
};

// Qwen's early-stop text for an exhausted thinking budget (from the Qwen3
// model card's thinking-budget recipe); it closes the think block.
inline constexpr std::string_view kDefaultBudgetStopText =
    "\n\nConsidering the limited time by the user, I have to give the solution based on the "
    "thinking directly now.\n</think>\n\n";

struct GenerationOptions {
  SamplingParams sampling;  // max_new_tokens included
  // Reasoning tokens allowed before the think block is closed for the model
  // by inserting budget_stop_text. nullopt: unlimited.
  std::optional<int> thinking_budget;
  std::string budget_stop_text = std::string(kDefaultBudgetStopText);
  // Generation stops when the answer contains one of these; the stop string
  // and what follows are not returned. They apply to the answer, not to the
  // reasoning, so a word the model weighs while thinking does not cut it off.
  std::vector<std::string> stop;
  // Keep going past <|im_end|> and <|endoftext|> (they are then ordinary
  // tokens): benchmarks and tests that need a fixed length, like vLLM's
  // ignore_eos and llama.cpp's --ignore-eos.
  bool ignore_eos = false;
  // English-only decoding: only these ids can be produced (nullptr: any).
  const vocab::TokenMask* allowed = nullptr;
};

enum class FinishReason {
  Stop,        // <|im_end|> or <|endoftext|>
  StopString,  // a user stop string
  Length,      // max_new_tokens reached
  Context,     // the context is full
  Cancelled,   // the callback asked to stop (e.g. Ctrl-C)
};
std::string_view finish_reason_name(FinishReason reason);  // "stop", "stop_string", "length", "context", "cancelled"

struct Usage {
  int prompt_tokens = 0;
  int reasoning_tokens = 0;  // generated inside the think block (tags excluded)
  int answer_tokens = 0;     // generated after it, stop token excluded
  int generated_tokens = 0;  // everything generated, tags and forced budget text included
  double time_to_first_token_ms = 0;
  double tokens_per_second = 0;  // decode speed after the first token
};

struct GenerationResult {
  std::vector<TokenId> ids;  // generated ids, forced budget text included, stop token excluded
  std::string reasoning;     // parse_reply(ids) (the answer cut at a stop string)
  std::string content;
  ThinkingState thinking_state = ThinkingState::NoThinking;
  FinishReason finish_reason = FinishReason::Stop;
  std::string message;  // why generation ended early, for Context ("" otherwise)
  bool budget_exhausted = false;  // the thinking budget closed the think block
  Usage usage;
};

// Receives each labelled piece as it becomes ready; returns false to stop.
using PieceCallback = std::function<bool(const ReplyPiece& piece)>;

// Generates from prompt ids (the model's cache is reused for the longest
// common prefix with what it already holds).
GenerationResult generate(LanguageModel& model, const Tokenizer& tokenizer,
                          std::span<const TokenId> prompt, const GenerationOptions& options,
                          const PieceCallback& on_piece = {});

// A conversation front end: renders requests with the chat template, picks
// the mode, runs generate(), and keeps a history of answers only.
class Chat {
 public:
  Chat(LanguageModel& model, const Tokenizer& tokenizer, ChatTemplate chat_template);

  // The prompt ids of `request` (add_generation_prompt forced on; a thinking
  // budget of 0 turns thinking off as enable_thinking=false does).
  std::vector<TokenId> prompt_ids(ChatRequest request, const GenerationOptions& options) const;
  // One reply to `request`.
  GenerationResult reply(ChatRequest request, const GenerationOptions& options,
                         const PieceCallback& on_piece = {});

  // Interactive use: appends `user_text` to the history, replies, and keeps
  // the answer (never the reasoning) in the history.
  GenerationResult say(const std::string& user_text, std::optional<bool> enable_thinking,
                       const GenerationOptions& options, const PieceCallback& on_piece = {});
  void reset() { history_.clear(); }
  std::vector<ChatMessage>& history() { return history_; }

 private:
  LanguageModel* model_;
  const Tokenizer* tokenizer_;
  ChatTemplate template_;
  std::vector<ChatMessage> history_;
};

}  // namespace qwen3
