// The generation loop. One step: sample from the logits (or insert the
// budget's early-stop text), hand the id to the reasoning parser, stream the
// labelled text, feed the id back to the model.
#include <algorithm>
#include <chrono>
#include <string>

#include "engine/stop_strings.h"
#include "qwen3/engine.h"
#include "qwen3/error.h"
#include "qwen3/vocab.h"

namespace qwen3 {

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::Stop:
      return "stop";
    case FinishReason::StopString:
      return "stop_string";
    case FinishReason::Length:
      return "length";
    case FinishReason::Context:
      return "context";
    case FinishReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Routes parser pieces to the caller: the answer through the stop-string
// matcher, and both into the result.
class PieceSink {
 public:
  PieceSink(const PieceCallback& callback, std::vector<std::string> stops, GenerationResult& result)
      : callback_(callback), stops_(std::move(stops)), result_(result) {}

  // Returns false when generation must end (stop string or cancelled).
  bool take(const std::vector<ReplyPiece>& pieces) {
    for (const auto& piece : pieces) {
      if (piece.kind == PieceKind::Reasoning) {
        if (!deliver(piece)) return false;
      } else {
        if (!deliver({PieceKind::Content, stops_.push(piece.text)})) return false;
        if (stops_.stopped()) {
          result_.finish_reason = FinishReason::StopString;
          return false;
        }
      }
    }
    return true;
  }
  void finish() {
    if (!cancelled_) deliver({PieceKind::Content, stops_.flush()});
  }

 private:
  bool deliver(const ReplyPiece& piece) {
    if (piece.text.empty()) return true;
    (piece.kind == PieceKind::Reasoning ? result_.reasoning : result_.content) += piece.text;
    if (callback_ && !callback_(piece)) {
      cancelled_ = true;
      result_.finish_reason = FinishReason::Cancelled;
      return false;
    }
    return true;
  }

  const PieceCallback& callback_;
  StopStringMatcher stops_;
  GenerationResult& result_;
  bool cancelled_ = false;
};

void validate_options(const GenerationOptions& options, const LanguageModel& model, const Tokenizer& tokenizer) {
  validate(options.sampling);
  if (options.thinking_budget && *options.thinking_budget < 0)
    throw Error("thinking_budget = " + std::to_string(*options.thinking_budget) + " is out of range: expected >= 0");
  if (options.allowed && options.allowed->rows() != model.logit_rows())
    throw Error("the allowed-token mask has " + std::to_string(options.allowed->rows()) + " rows but the model has " +
                std::to_string(model.logit_rows()));
  if (tokenizer.vocab_size() > model.logit_rows())
    throw Error("the tokenizer has " + std::to_string(tokenizer.vocab_size()) + " tokens but the model only " +
                std::to_string(model.logit_rows()) + " logit rows");
}

}  // namespace

void check_prompt_ids(std::span<const TokenId> ids, const Tokenizer& tokenizer) {
  const int vocab = tokenizer.vocab_size();
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      throw Error("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                  " is not a token: expected ids from 0 to " + std::to_string(vocab - 1) +
                  " (the tokenizer's vocabulary; rows beyond it are padding)");
}

GenerationResult generate(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                          const GenerationOptions& options, const PieceCallback& on_piece) {
  validate_options(options, model, tokenizer);
  const int ctx = model.context_length();
  if (prompt.empty()) throw Error("the prompt is empty: expected at least one token");
  check_prompt_ids(prompt, tokenizer);
  if (static_cast<int>(prompt.size()) >= ctx)
    throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens, which leaves no room in the context of " +
                std::to_string(ctx) + " tokens (raise ctx or shorten the prompt)");

  GenerationResult result;
  result.usage.prompt_tokens = static_cast<int>(prompt.size());
  const auto start = Clock::now();

  // Reuse the cache for the longest common prefix; at least the last prompt
  // token is run again, for its logits.
  const auto& cached = model.tokens();
  std::size_t common = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first - cached.begin();
  common = std::min(common, prompt.size() - 1);
  model.truncate(static_cast<int>(common));

  const std::vector<std::int32_t>* rows = options.allowed ? &options.allowed->ids() : nullptr;
  std::vector<float> logits(static_cast<std::size_t>(model.logit_rows()));
  // The sampler sees only real tokens: padding rows can never be drawn.
  const std::span<float> sampled(logits.data(), static_cast<std::size_t>(tokenizer.vocab_size()));
  Sampler sampler(options.sampling);
  result.seed = sampler.seed();
  ReasoningStream stream(tokenizer, {prompt_opens_think(prompt)});
  PieceSink sink(on_piece, options.stop, result);
  bool budget_used = false;

  model.forward(prompt.subspan(common), logits.data(), rows);
  auto first_token_time = start;
  std::vector<TokenId> step;  // what this step feeds back: one sampled id, or the budget text

  // Appends generated (or inserted) ids to the output and the parser.
  auto emit_ids = [&](std::span<const TokenId> ids) {
    for (TokenId id : ids) {
      sampler.accept(id);
      result.ids.push_back(id);
      if (!sink.take(stream.push(id))) return false;
    }
    return true;
  };

  for (;;) {
    const int produced = static_cast<int>(result.ids.size());
    if (produced >= options.sampling.max_new_tokens) {
      result.finish_reason = FinishReason::Length;
      break;
    }
    step.clear();
    if (options.thinking_budget && !budget_used && stream.in_reasoning() &&
        stream.reasoning_tokens() >= *options.thinking_budget) {
      // Out of thinking budget: close the think block for the model, in its
      // own words, and let it answer.
      budget_used = result.budget_exhausted = true;
      step = tokenizer.encode(options.budget_stop_text);
      step.resize(std::min<std::size_t>(step.size(), options.sampling.max_new_tokens - produced));
    } else {
      const TokenId next = sampler.sample(sampled);
      if (produced == 0) {
        first_token_time = Clock::now();
        result.usage.time_to_first_token_ms = ms_since(start);
      }
      if (!options.ignore_eos && (next == token::kImEnd || next == token::kEndOfText)) {
        result.finish_reason = FinishReason::Stop;
        break;
      }
      step.push_back(next);
    }
    if (step.empty()) continue;
    if (!emit_ids(step)) break;
    if (static_cast<int>(result.ids.size()) >= options.sampling.max_new_tokens) {
      result.finish_reason = FinishReason::Length;  // no forward pass for logits nobody reads
      break;
    }
    if (model.position() + static_cast<int>(step.size()) > ctx) {
      result.finish_reason = FinishReason::Context;
      result.message = "the context of " + std::to_string(ctx) + " tokens is full (raise ctx for longer replies)";
      break;
    }
    model.forward(step, logits.data(), rows);
  }
  if (result.finish_reason != FinishReason::Cancelled && result.finish_reason != FinishReason::StopString)
    sink.take(stream.finish());
  sink.finish();

  result.thinking_state = stream.state();
  auto& usage = result.usage;
  usage.generated_tokens = static_cast<int>(result.ids.size());
  usage.reasoning_tokens = stream.reasoning_tokens();
  const auto tags = std::count_if(result.ids.begin(), result.ids.end(),
                                  [](TokenId id) { return id == token::kThinkStart || id == token::kThinkEnd; });
  usage.answer_tokens = usage.generated_tokens - usage.reasoning_tokens - static_cast<int>(tags);
  const double decode_ms = ms_since(first_token_time);
  if (usage.generated_tokens > 1 && decode_ms > 0)
    usage.tokens_per_second = (usage.generated_tokens - 1) * 1000.0 / decode_ms;
  return result;
}

}  // namespace qwen3
