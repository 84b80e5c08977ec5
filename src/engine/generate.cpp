// The generation loop. One step: sample from the logits (or insert the
// budget's early-stop text), hand the id to the reasoning parser, stream the
// labelled text, feed the id back to the model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
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
    case FinishReason::Repetition:
      return "repetition";
  }
  return "unknown";
}

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

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
  if (options.repetition_repeats < 0 || options.repetition_repeats == 1)
    throw Error("repetition_guard = " + std::to_string(options.repetition_repeats) +
                " is out of range: expected 0 (off) or >= 2 (repeats)");
  if (options.repetition_repeats &&
      (options.repetition_min_period < 1 || options.repetition_min_period > kMaxRepetitionPeriod))
    throw Error("repetition_min_period = " + std::to_string(options.repetition_min_period) +
                " is out of range: expected 1 <= repetition_min_period <= " + std::to_string(kMaxRepetitionPeriod));
  for (const auto& [id, bias] : options.logit_bias)
    if (id < 0 || id >= tokenizer.vocab_size() || !std::isfinite(bias))
      throw Error("logit_bias: id " + std::to_string(id) + " must be a token id below " +
                  std::to_string(tokenizer.vocab_size()) + " with a finite bias");
  if (options.logprobs && (*options.logprobs < 0 || *options.logprobs > kMaxTopLogprobs))
    throw Error("logprobs = " + std::to_string(*options.logprobs) +
                " is out of range: expected 0 <= logprobs <= " + std::to_string(kMaxTopLogprobs));
}

}  // namespace

// Routes parser pieces to the caller: the answer through the stop-string
// matcher, and both into the result.
class Generation::Sink {
 public:
  Sink(PieceCallback callback, std::vector<std::string> stops, GenerationResult& result)
      : callback_(std::move(callback)), stops_(std::move(stops)), result_(result) {}

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
  void cancel() {
    cancelled_ = true;
    result_.finish_reason = FinishReason::Cancelled;
  }

 private:
  bool deliver(const ReplyPiece& piece) {
    if (piece.text.empty()) return true;
    (piece.kind == PieceKind::Reasoning ? result_.reasoning : result_.content) += piece.text;
    if (callback_ && !callback_(piece)) {
      cancel();
      return false;
    }
    return true;
  }

  PieceCallback callback_;
  StopStringMatcher stops_;
  GenerationResult& result_;
  bool cancelled_ = false;
};

void check_prompt_ids(std::span<const TokenId> ids, const Tokenizer& tokenizer) {
  const int vocab = tokenizer.vocab_size();
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocab)
      throw Error("token id " + std::to_string(ids[i]) + " at index " + std::to_string(i) +
                  " is not a token: expected ids from 0 to " + std::to_string(vocab - 1) +
                  " (the tokenizer's vocabulary; rows beyond it are padding)");
}

Generation::Generation(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                       GenerationOptions options, PieceCallback on_piece)
    : model_(&model), tokenizer_(&tokenizer), options_(std::move(options)) {
  validate_options(options_, model, tokenizer);
  const int ctx = model.context_length();
  if (prompt.empty()) throw Error("the prompt is empty: expected at least one token");
  check_prompt_ids(prompt, tokenizer);
  if (static_cast<int>(prompt.size()) >= ctx)
    throw Error("the prompt has " + std::to_string(prompt.size()) + " tokens, which leaves no room in the context of " +
                std::to_string(ctx) + " tokens (raise ctx or shorten the prompt)");
  start_ns_ = first_token_ns_ = now_ns();
  result_.usage.prompt_tokens = static_cast<int>(prompt.size());

  // Reuse the cache for the longest common prefix; at least the last prompt
  // token is run again, for its logits.
  const auto& cached = model.tokens();
  std::size_t common = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end()).first - cached.begin();
  common = std::min(common, prompt.size() - 1);
  model.truncate(static_cast<int>(common));
  input_.assign(prompt.begin() + static_cast<std::ptrdiff_t>(common), prompt.end());

  logits_.resize(static_cast<std::size_t>(model.logit_rows()));
  sampler_ = std::make_unique<Sampler>(options_.sampling);
  result_.seed = sampler_->seed();
  stream_ = std::make_unique<ReasoningStream>(tokenizer, ReasoningOptions{prompt_opens_think(prompt)});
  sink_ = std::make_unique<Sink>(std::move(on_piece), options_.stop, result_);
  if (options_.raw_text) raw_ = std::make_unique<StreamDecoder>(tokenizer, /*skip_special=*/true);
  if (options_.repetition_repeats) repeat_run_.assign(kMaxRepetitionPeriod + 1, 0);
}

Generation::~Generation() = default;

std::span<const TokenId> Generation::input() const {
  if (finished_) return {};
  return std::span<const TokenId>(input_).subspan(consumed_);
}

void Generation::consumed(std::size_t n) {
  if (n >= input().size())
    throw Error("Generation::consumed(" + std::to_string(n) + "): expected fewer than the " +
                std::to_string(input().size()) + " tokens of the input");
  consumed_ += n;
}

float* Generation::logits() { return logits_.data(); }

const std::vector<std::int32_t>* Generation::allowed_rows() const {
  return options_.allowed ? &options_.allowed->ids() : nullptr;
}

void Generation::record_logprobs(TokenId id) {
  // The model's distribution over the real vocabulary (masked ids are -inf).
  const std::span<const float> l(raw_logits_);
  const float max = *std::max_element(l.begin(), l.end());
  double sum = 0;
  for (float v : l) sum += std::exp(static_cast<double>(v - max));
  const float log_z = max + static_cast<float>(std::log(sum));
  TokenLogprob lp{id, l[static_cast<std::size_t>(id)] - log_z, {}};
  if (const int n = *options_.logprobs; n > 0) {
    std::vector<TokenId> best(static_cast<std::size_t>(n));
    std::vector<TokenId> ids(l.size());
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<TokenId>(i);
    std::partial_sort_copy(ids.begin(), ids.end(), best.begin(), best.end(), [&](TokenId a, TokenId b) {
      return l[static_cast<std::size_t>(a)] > l[static_cast<std::size_t>(b)] ||
             (l[static_cast<std::size_t>(a)] == l[static_cast<std::size_t>(b)] && a < b);
    });
    for (TokenId t : best) lp.top.emplace_back(t, l[static_cast<std::size_t>(t)] - log_z);
  }
  result_.logprobs.push_back(std::move(lp));
}

// Appends generated (or inserted) ids to the output and the parser.
bool Generation::emit(std::span<const TokenId> ids) {
  for (TokenId id : ids) {
    sampler_->accept(id);
    result_.ids.push_back(id);
    auto pieces = stream_->push(id);
    if (raw_) pieces = {{PieceKind::Content, raw_->push(id)}};
    if (!sink_->take(pieces)) return false;
    if (repeating()) return false;
  }
  return true;
}

// The repetition guard, one id at a time: repeat_run_[p] counts the trailing
// ids equal to the id p places before them, so a cycle of period p written
// r times in a row shows as repeat_run_[p] >= (r - 1) * p.
bool Generation::repeating() {
  if (repeat_run_.empty()) return false;
  const auto& ids = result_.ids;
  const int n = static_cast<int>(ids.size());
  const int last = std::min(kMaxRepetitionPeriod, n - 1);
  for (int p = options_.repetition_min_period; p <= last; ++p) {
    int& run = repeat_run_[static_cast<std::size_t>(p)];
    run = ids[n - 1] == ids[n - 1 - p] ? run + 1 : 0;
    if (run >= (options_.repetition_repeats - 1) * p) {
      result_.finish_reason = FinishReason::Repetition;
      result_.message = "a cycle of " + std::to_string(p) + " tokens was repeated " +
                        std::to_string(options_.repetition_repeats) + " times (the repetition guard)";
      // Only one period can report: the others keep their counts.
      for (int q = p + 1; q <= last; ++q) {
        int& r = repeat_run_[static_cast<std::size_t>(q)];
        r = ids[n - 1] == ids[n - 1 - q] ? r + 1 : 0;
      }
      return true;
    }
  }
  return false;
}

bool Generation::accept_logits() { return advance(std::nullopt); }

bool Generation::accept_token(TokenId id) {
  if (!finished_ && (id < 0 || id >= tokenizer_->vocab_size()))
    throw Error("the endpoint returned token id " + std::to_string(id) +
                ", which is not a token: expected ids from 0 to " + std::to_string(tokenizer_->vocab_size() - 1) +
                " (is it serving another model?)");
  return advance(id);
}

void Generation::end(FinishReason reason, std::string message) {
  if (finished_) return;
  result_.finish_reason = reason;
  result_.message = std::move(message);
  finish();
}

// One step: `given` (a remote server's sample) or a sample from logits().
bool Generation::advance(std::optional<TokenId> given) {
  if (finished_) return true;
  const int ctx = model_->context_length();
  // The sampler sees only real tokens: padding rows can never be drawn.
  const std::span<float> sampled(logits_.data(), static_cast<std::size_t>(tokenizer_->vocab_size()));
  std::vector<TokenId> step;  // what this step feeds back: one sampled id, or the budget text
  for (;;) {
    const int produced = static_cast<int>(result_.ids.size());
    if (produced >= options_.sampling.max_new_tokens) {
      result_.finish_reason = FinishReason::Length;
      break;
    }
    if (options_.thinking_budget && !budget_used_ && stream_->in_reasoning() &&
        stream_->reasoning_tokens() >= *options_.thinking_budget) {
      // Out of thinking budget: close the think block for the model, in its
      // own words, and let it answer.
      budget_used_ = result_.budget_exhausted = true;
      step = tokenizer_->encode(options_.budget_stop_text);
      step.resize(std::min<std::size_t>(step.size(), options_.sampling.max_new_tokens - produced));
    } else {
      if (!given) {
        for (const auto& [id, bias] : options_.logit_bias) {
          float& logit = sampled[static_cast<std::size_t>(id)];
          logit = bias <= -100 ? -std::numeric_limits<float>::infinity() : logit + bias;
        }
        // The model's own distribution, before sample() penalises the logits in place.
        if (options_.logprobs) raw_logits_.assign(sampled.begin(), sampled.end());
      }
      const TokenId next = given ? *given : sampler_->sample(sampled);
      if (produced == 0) {
        first_token_ns_ = now_ns();
        result_.usage.time_to_first_token_ms = static_cast<double>(first_token_ns_ - start_ns_) / 1e6;
      }
      if (!options_.ignore_eos && (next == token::kImEnd || next == token::kEndOfText)) {
        result_.finish_reason = FinishReason::Stop;
        break;
      }
      if (options_.logprobs && !given) record_logprobs(next);
      step.push_back(next);
    }
    if (step.empty()) continue;
    if (!emit(step)) break;
    if (static_cast<int>(result_.ids.size()) >= options_.sampling.max_new_tokens) {
      result_.finish_reason = FinishReason::Length;  // no forward pass for logits nobody reads
      break;
    }
    if (model_->position() + static_cast<int>(step.size()) > ctx) {
      result_.finish_reason = FinishReason::Context;
      result_.message = "the context of " + std::to_string(ctx) + " tokens is full (raise ctx for longer replies)";
      break;
    }
    input_ = std::move(step);
    consumed_ = 0;
    return false;
  }
  finish();
  return true;
}

void Generation::cancel() {
  if (finished_) return;
  sink_->cancel();
  finish();
}

void Generation::finish() {
  const FinishReason why = result_.finish_reason;
  if (why != FinishReason::Cancelled && why != FinishReason::StopString) {
    auto pieces = stream_->finish();
    if (raw_) pieces = {{PieceKind::Content, raw_->flush()}};
    sink_->take(pieces);
  }
  sink_->finish();
  finished_ = true;
  input_.clear();
  consumed_ = 0;

  result_.thinking_state = stream_->state();
  auto& usage = result_.usage;
  usage.generated_tokens = static_cast<int>(result_.ids.size());
  usage.reasoning_tokens = stream_->reasoning_tokens();
  const auto tags = std::count_if(result_.ids.begin(), result_.ids.end(),
                                  [](TokenId id) { return id == token::kThinkStart || id == token::kThinkEnd; });
  usage.answer_tokens = usage.generated_tokens - usage.reasoning_tokens - static_cast<int>(tags);
  const double decode_ms = static_cast<double>(now_ns() - first_token_ns_) / 1e6;
  if (usage.generated_tokens > 1 && decode_ms > 0)
    usage.tokens_per_second = (usage.generated_tokens - 1) * 1000.0 / decode_ms;
}

GenerationResult Generation::run() {
  while (!finished_) {
    model_->forward(input(), logits(), allowed_rows());
    accept_logits();
  }
  return result_;
}

GenerationResult generate(LanguageModel& model, const Tokenizer& tokenizer, std::span<const TokenId> prompt,
                          const GenerationOptions& options, const PieceCallback& on_piece) {
  return Generation(model, tokenizer, prompt, options, on_piece).run();
}

}  // namespace qwen3
